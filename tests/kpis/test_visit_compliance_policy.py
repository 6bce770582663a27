"""Each province chooses whether visit compliance (SPEC §7) counts only verified on-site visits (外勤签到): the
nightly snapshots and the live figures honour it, on the hand-built province of conftest.py (October 2026: c1
visited twice, once by the second manager, and c2 once, all on site, none checked in)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Customer
from kpis.models import KpiSnapshot, VisitCompliancePolicy
from kpis.selectors import live_figures, verified_only_provinces
from kpis.services import kpi_compute
from teams.models import Visit

from .conftest import OCTOBER

pytestmark = pytest.mark.django_db


def _compliance(region) -> tuple[Decimal, Decimal]:
    row = KpiSnapshot.objects.get(period=OCTOBER.start, region=region, metric="visit_compliance_rate")
    return row.numerator, row.denominator


def _overdue(region) -> Decimal:
    return KpiSnapshot.objects.get(period=OCTOBER.start, region=region, metric="visits_overdue").numerator


def test_by_default_every_visit_counts(province, territory):
    kpi_compute(period=OCTOBER)
    assert _compliance(territory["sichuan"]) == (2, 6)


def test_a_province_counting_only_verified_visits_counts_none_unverified(province, territory):
    VisitCompliancePolicy.objects.create(region=territory["sichuan"], verified_only=True)
    kpi_compute(period=OCTOBER)
    assert _compliance(territory["sichuan"]) == (0, 6)
    assert _compliance(territory["chengdu"]) == (0, 5)


def test_verified_on_site_visits_count_there(province, territory):
    VisitCompliancePolicy.objects.create(region=territory["sichuan"], verified_only=True)
    c2 = Customer.objects.get(code="K002")
    Visit.objects.filter(customer=c2).update(verified=True, distance_m=40)
    kpi_compute(period=OCTOBER)
    assert _compliance(territory["sichuan"]) == (1, 6)
    # c1 needs two, one of them by its second manager: one verified visit is not enough
    c1 = Customer.objects.get(code="K001")
    Visit.objects.filter(customer=c1, visitor_role="customer_manager").update(verified=True, distance_m=10)
    kpi_compute(period=OCTOBER)
    assert _compliance(territory["sichuan"]) == (1, 6)
    Visit.objects.filter(customer=c1).update(verified=True, distance_m=10)
    kpi_compute(period=OCTOBER)
    assert _compliance(territory["sichuan"]) == (2, 6)


def test_another_provinces_choice_changes_nothing_here(province, territory):
    VisitCompliancePolicy.objects.create(region=territory["guangdong"], verified_only=True)
    VisitCompliancePolicy.objects.create(region=territory["sichuan"], verified_only=False)
    kpi_compute(period=OCTOBER)
    assert _compliance(territory["sichuan"]) == (2, 6)
    assert verified_only_provinces() == [territory["guangdong"].path]


def test_the_overdue_count_follows_the_same_choice(province, territory):
    kpi_compute(period=OCTOBER)
    before = _overdue(territory["sichuan"])
    VisitCompliancePolicy.objects.create(region=territory["sichuan"], verified_only=True)
    kpi_compute(period=OCTOBER)
    # c3's September visit (tier C, the third quarter) was not verified: it no longer saves c3 from overdue
    assert _overdue(territory["sichuan"]) == before + 1


def test_live_figures_honour_the_choice(province, territory, cast):
    customers = Customer.objects.filter(region__path__startswith=territory["sichuan"].path)
    fields = ("visit_base", "visit_met")
    with _today(datetime.date(2026, 10, 31)):
        assert live_figures(customers, {}, fields=fields).totals["visit_met"] == 2
        VisitCompliancePolicy.objects.create(region=territory["sichuan"], verified_only=True)
        assert live_figures(customers, {}, fields=fields).totals["visit_met"] == 0


def test_a_policy_is_set_per_province(territory):
    with pytest.raises(ValidationError) as refused:
        VisitCompliancePolicy(region=territory["chengdu"], verified_only=True).full_clean()
    assert "region" in refused.value.message_dict


class _today:
    """Pin `timezone.localdate()` for the live figures, which count as of today."""

    def __init__(self, day: datetime.date):
        self.day = day

    def __enter__(self):
        from unittest import mock

        self.patch = mock.patch("kpis.selectors.snapshots.timezone.localdate", return_value=self.day)
        self.patch.start()

    def __exit__(self, *exc):
        self.patch.stop()


def test_the_customer_list_behind_the_figure_counts_as_the_kpi_does(province, territory, cast, login):
    """The figure links to the customer list's visit filter: in a province counting only verified visits, the list
    holds the same customers as the KPI."""
    from django.utils import timezone

    from teams.extensions import filter_visits

    VisitCompliancePolicy.objects.create(region=territory["sichuan"], verified_only=True)
    # this month's visits: c2 (B) once on site, not verified, then c1 (A) per its standard, verified
    now = timezone.now()
    c1, c2 = Customer.objects.get(code="K001"), Customer.objects.get(code="K002")
    Visit.objects.create(
        customer=c2, visitor=cast["alice"], visitor_role="customer_manager", visited_at=now, summary="走访"
    )
    for role in ("customer_manager", "second_manager"):
        Visit.objects.create(
            customer=c1, visitor=cast["alice"], visitor_role=role, visited_at=now, summary="走访", verified=True
        )
    met = filter_visits(Customer.objects.all(), "visits", "met")
    assert list(met.values_list("code", flat=True)) == ["K001"]
