"""Group members who left (`left_on`) are not counted by the member KPIs (SPEC §7) from the day they left: a snapshot
counts the members of the customer at the end of its `as_of` day, a live figure today's."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from accounts.models import Customer, GroupMember
from kpis.models import KpiSnapshot
from kpis.selectors.snapshots import live_figures
from kpis.services import kpi_compute
from tests.factories import GroupMemberFactory

from .conftest import OCTOBER
from .test_snapshots import SICHUAN, _ratio

pytestmark = pytest.mark.django_db


def _left(customer, left_on: datetime.date) -> GroupMember:
    """A verified member on our network who left on `left_on`: every member figure would count them."""
    member = GroupMemberFactory(customer=customer, on_net=True, verified=True)
    GroupMember.objects.filter(pk=member.pk).update(left_on=left_on)
    return member


def _member_figures(region) -> dict[str, tuple]:
    rows = KpiSnapshot.objects.filter(
        period=OCTOBER.start, region=region, metric__in=["member_coverage_rate", "member_authenticity_rate"]
    )
    return {row.metric: (row.numerator, row.denominator, row.value) for row in rows}


def test_a_member_who_left_within_the_period_is_not_counted(province, territory):
    _left(province["c1"], datetime.date(2026, 10, 20))
    run = kpi_compute(period=OCTOBER)
    assert run.status == "succeeded", run.errors
    assert _member_figures(territory["sichuan"]) == {
        "member_coverage_rate": SICHUAN["member_coverage_rate"],  # 9 on net of 680 handsets, as without them
        "member_authenticity_rate": SICHUAN["member_authenticity_rate"],  # 3 verified of 11 members
    }


def test_a_member_who_left_on_the_last_day_is_not_counted(province, territory):
    _left(province["c1"], datetime.date(2026, 10, 31))
    kpi_compute(period=OCTOBER)
    assert _member_figures(territory["sichuan"])["member_authenticity_rate"] == SICHUAN["member_authenticity_rate"]


def test_a_member_who_left_after_the_period_counts_in_it(province, territory):
    _left(province["c1"], datetime.date(2026, 11, 5))
    kpi_compute(period=OCTOBER)
    assert _member_figures(territory["sichuan"]) == {
        "member_coverage_rate": _ratio(10, 680),
        "member_authenticity_rate": _ratio(4, 12),
    }


def test_live_member_coverage_counts_only_current_members(province):
    c8 = Customer.objects.filter(pk=province["c8"].pk)
    before = live_figures(c8, {}).by_metric["member_coverage_rate"]
    assert (before.numerator, before.denominator) == (Decimal(5), Decimal(300))
    _left(province["c8"], datetime.date(2026, 11, 5))
    after = live_figures(c8, {}).by_metric["member_coverage_rate"]
    assert (after.numerator, after.denominator) == (Decimal(5), Decimal(300))
