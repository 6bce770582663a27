"""The night's team gap counts (teams.TeamGapCount, issue 19): what the incomplete-teams page adds up for a
territory, held to the live count for every kind of reader, said as of when, with the live list paged without a
count (crm.paginator.OpenPaginator)."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.utils import timezone

from crm.paginator import OpenPaginator
from teams import selectors
from teams.models import TeamGapCount
from teams.services import team_gaps_snapshot
from tests.factories import TeamRoleFactory

from .test_gaps import gaps_territory  # noqa: F401 - the territory of the live counts' tests

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", ["dora", "paul", "gd_paul", "hq"])
def test_the_nights_counts_add_up_to_the_live_ones_for_every_territory(cast, gaps_territory, who):  # noqa: F811
    assert team_gaps_snapshot() > 0
    counted, live = selectors.team_gaps(cast[who]), selectors.team_gaps(cast[who], live=True)
    assert counted.as_of is not None and live.as_of is None
    assert (counted.by_role, counted.incomplete) == (live.by_role, live.incomplete)


def test_an_account_manager_counts_live_their_own_teams(cast, gaps_territory):  # noqa: F811
    team_gaps_snapshot()
    assert selectors.team_gaps(cast["alice"]).as_of is None


def test_the_snapshot_replaces_the_last_one_whole(cast, gaps_territory):  # noqa: F811
    team_gaps_snapshot()
    first = set(TeamGapCount.objects.values_list("region_id", "tier", "held", "customers"))
    team_gaps_snapshot()
    assert set(TeamGapCount.objects.values_list("region_id", "tier", "held", "customers")) == first
    assert TeamGapCount.objects.values("computed_at").distinct().count() == 1


@override_settings(CUSTOMER_LIST_PAGE_SIZE=1)
def test_the_page_says_as_of_when_and_lists_the_teams_as_they_are(login, cast, territory, gaps_territory):  # noqa: F811
    team_gaps_snapshot()
    # after the night: K6 of the Chengdu department gets every role its tier (A) requires
    from accounts.models import Customer

    k6 = Customer.objects.get(code="K6")
    for role in ["customer_manager", "service_manager", "product_manager", "network_manager", "billing_manager"]:
        TeamRoleFactory(customer=k6, user=cast["bob"], role=role, starts_on=timezone.localdate())
    TeamRoleFactory(customer=k6, user=cast["alice"], role="second_manager", starts_on=timezone.localdate())
    client = login(cast["dora"])
    response = client.get("/teams/incomplete/")
    html = response.content.decode()
    assert response.context["count"] == 4 and 'data-testid="counts-as-of"' in html  # the night's count, said so
    listed = []
    for number in range(1, 6):
        page = client.get("/teams/incomplete/", {"page": number}).context["page"]
        listed += [customer.code for customer in page]
        if not page.has_next():
            break
    assert listed == ["K2", "K3", "K5"]  # live: K6 is complete now, and no page is promised past the list
    last = client.get("/teams/incomplete/", {"page": 3}).content.decode()
    pages = last[last.index('aria-label="分页"') :]
    assert "第 3 页" in pages and "共" not in pages and "末页" not in pages  # its number, not of how many


def test_an_open_paginator_reads_a_row_past_the_page_and_never_counts(cast, gaps_territory, django_assert_num_queries):  # noqa: F811
    from accounts.models import Customer

    codes = Customer.objects.order_by("code").values_list("code", flat=True)
    paginator = OpenPaginator(codes, 3)
    with django_assert_num_queries(1):
        first = paginator.get_page(1)
        assert list(first) == ["K1", "K2", "K3"] and first.has_next() and not first.has_previous()
    last = paginator.get_page(3)
    assert list(last) == ["K7", "K8"] and not last.has_next() and last.has_previous()
    assert list(paginator.get_page(9)) == ["K1", "K2", "K3"]  # past the end, or no number: the first page
    assert list(paginator.get_page("x")) == ["K1", "K2", "K3"]
