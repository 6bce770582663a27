"""The quota report adds up the counts per region and tier that every recompute leaves (tiering.TierCount) and says
as of when, instead of grouping a province's customers on every view (issue 19, point 2)."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Customer
from tests.factories import CustomerFactory
from tiering.models import TierCount
from tiering.selectors import quota_report
from tiering.services import tier_counts_snapshot

pytestmark = pytest.mark.django_db


def figures(report):
    return [(row.code, row.level, row.counts) for row in report.rows]


def test_every_recompute_leaves_the_counts_and_the_report_reads_them(login, cast, customers, territory):
    CustomerFactory.create_batch(3, region=territory["fucheng"], handset_count=800)  # A by the default rules
    CustomerFactory(region=territory["tianhe"], handset_count=150)
    assert not TierCount.objects.exists()
    assert quota_report(user=cast["paul"]).as_of is None  # nothing counted yet: counted now
    call_command("recompute_tiers", stdout=StringIO())
    assert TierCount.objects.exists()
    for who in ("paul", "gd_paul", "hq"):
        counted, live = quota_report(user=cast[who]), quota_report(user=cast[who], live=True)
        assert counted.as_of is not None and live.as_of is None
        assert figures(counted) == figures(live) and figures(counted)
    rows = {row.code: row.counts for row in quota_report(user=cast["paul"]).rows}
    assert rows["510700"]["A"] == 3 and "440000" not in rows  # Guangdong is not Paul's
    html = login(cast["paul"]).get("/tiering/quota/").content.decode()
    assert 'data-testid="counts-as-of"' in html and "统计于最近一次重算结束时" in html


def test_the_counts_stand_until_the_next_recompute_and_say_so(cast, customers, territory):
    call_command("recompute_tiers", stdout=StringIO())
    before = quota_report(user=cast["paul"])
    Customer.objects.filter(pk=customers["wuhou"].pk).update(tier="A")  # a change no recompute has counted yet
    assert figures(quota_report(user=cast["paul"])) == figures(before)
    assert figures(quota_report(user=cast["paul"], live=True)) != figures(before)
    assert tier_counts_snapshot() == TierCount.objects.count()
    assert figures(quota_report(user=cast["paul"])) == figures(quota_report(user=cast["paul"], live=True))


def test_the_report_reads_as_many_queries_for_every_province_as_for_one(cast, customers, territory):
    """The targets of every province's rule set in force come in one query: headquarters' report does not grow
    by a query per province (30 of them in a national deployment)."""
    CustomerFactory(region=territory["tianhe"], handset_count=150)
    call_command("recompute_tiers", stdout=StringIO())
    with CaptureQueriesContext(connection) as one_province:
        quota_report(user=cast["paul"])
    with CaptureQueriesContext(connection) as every_province:
        report = quota_report(user=cast["hq"])
    assert {row.code for row in report.rows if row.level == "province"} == {"440000", "510000"}
    assert len(every_province) == len(one_province)
