"""Every metric of SPEC §7 computed on the hand-built province of conftest.py, the expected values worked out by
hand from its description."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db.models import Max, Min
from django.utils import timezone

from accounts.models import Customer
from kpis.metrics import METRICS, SNAPSHOT_METRICS, zero_totals
from kpis.models import KpiChunkTotals, KpiJobRun, KpiSnapshot
from kpis.services import kpi_chunk_count, kpi_chunk_failed, kpi_compute, kpi_run_finish, kpi_run_start
from kpis.totals import Row, roll_up

from .conftest import OCTOBER

pytestmark = pytest.mark.django_db
LAST_DAY = datetime.date(2026, 10, 31)


def _figures(**scope) -> dict[str, tuple]:
    rows = KpiSnapshot.objects.filter(period=OCTOBER.start, metric__in=[metric.code for metric in METRICS], **scope)
    return {row.metric: (row.numerator, row.denominator, row.value) for row in rows}


def _ratio(numerator: int, denominator: int) -> tuple:
    value = (Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.000001"))
    return (Decimal(numerator), Decimal(denominator), value)


SICHUAN = {
    "member_coverage_rate": _ratio(9, 680),  # on net 3 + 1 + 5 over handsets 200+100+50+10+20+300 of the active
    "member_authenticity_rate": _ratio(3, 11),  # verified 2 + 1 + 0 of members 4 + 2 + 5
    "stability_rate": _ratio(5, 6),  # c1 c2 c3 c4 c5 c8 active on 30 September; c5 churned since
    "archive_rate_ab": _ratio(2, 3),  # c1 and c8 complete; c2 has no key person
    "archive_rate_c": _ratio(1, 3),  # c3 complete; c4 has a blank address, c7 no customer manager
    "informatization_revenue": (Decimal("1500.50"), None, Decimal("1500.50")),
    "team_completeness_rate": _ratio(3, 6),  # c1 (the whole A team), c3, c4; c2 and c8 lack a service manager
    "visit_compliance_rate": _ratio(2, 6),  # c1 (two, one by the second manager) and c2
    "manager_overload_share": _ratio(1, 3),  # bob, with 51 customers, of alice, bob and carol
    "tier_share_a": _ratio(1, 6),
    "tier_share_b": _ratio(2, 6),
    "tier_share_c": _ratio(3, 6),
    # October's three visits (internal syncs aside) found no opportunity; none closed, none expected (their own
    # figures: tests/kpis/test_opportunity_kpis.py)
    "opportunity_discovery_rate": _ratio(0, 3),
    "opportunity_win_rate": (Decimal(0), Decimal(0), None),
    "opportunity_forecast": (Decimal(0), None, Decimal(0)),
    # nobody has personal VIPs in their care (their own figures: tests/teams/test_vips.py)
    "vip_manager_overload_share": (Decimal(0), Decimal(0), None),
}
NO_OPPORTUNITY = {metric: SICHUAN[metric] for metric in SICHUAN if metric.startswith("opportunity_")}
NO_VIP_MANAGER = {"vip_manager_overload_share": SICHUAN["vip_manager_overload_share"]}
# nobody owes anything (their own figures: tests/arrears/test_kpis.py)
NO_ARREARS = {
    "arrears_recovery_rate": (Decimal(0), Decimal(0), None),
    "arrears_amount": (Decimal(0), None, Decimal(0)),
    **{f"arrears_age_{bucket}": (Decimal(0), Decimal(0), None) for bucket in ("30", "60", "90", "over_90")},
}
SICHUAN.update(NO_ARREARS)
# no prospect was filed, none converted: no rate (their own figures: tests/prospects/test_conversion_kpi.py)
NO_PROSPECT = {"prospect_conversion": (Decimal(0), Decimal(0), None)}
SICHUAN.update(NO_PROSPECT)


def test_every_metric_of_the_province_matches_the_hand_worked_values(province, territory):
    run = kpi_compute(period=OCTOBER)
    assert run.status == "succeeded", run.errors
    assert run.as_of == LAST_DAY
    assert _figures(region=territory["sichuan"]) == SICHUAN
    assert _figures(region=territory["root"]) == SICHUAN  # Guangdong has no customers


def test_the_dashboards_counts_are_snapshotted_beside_the_kpis(province, territory):
    kpi_compute(period=OCTOBER)
    facts = dict(
        KpiSnapshot.objects.filter(
            period=OCTOBER.start, region=territory["sichuan"], metric__in=["customer_count", "visits_overdue"]
        ).values_list("metric", "numerator")
    )
    # Overdue on 31 October: the monthly standards of c1 (A), c2 and c8 (B) had no visit in September; of the
    # quarterly C tier, c4 and c7 had none in the third quarter, c3 had one on 20 September.
    assert facts == {"customer_count": 56, "visits_overdue": 5}


def test_a_department_counts_the_customers_of_its_region(province, cast):
    kpi_compute(period=OCTOBER)
    figures = _figures(department=cast["dora"].department)
    assert figures == {
        "member_coverage_rate": _ratio(4, 380),
        "member_authenticity_rate": _ratio(3, 6),
        "stability_rate": _ratio(4, 5),
        "archive_rate_ab": _ratio(1, 2),
        "archive_rate_c": _ratio(1, 3),
        "informatization_revenue": (Decimal("1500.50"), None, Decimal("1500.50")),
        "team_completeness_rate": _ratio(3, 5),
        "visit_compliance_rate": _ratio(2, 5),
        "manager_overload_share": _ratio(1, 2),
        "tier_share_a": _ratio(1, 5),
        "tier_share_b": _ratio(1, 5),
        "tier_share_c": _ratio(3, 5),
        **NO_OPPORTUNITY,
        **NO_VIP_MANAGER,
        **NO_ARREARS,
        **NO_PROSPECT,
    }
    assert _figures(region=cast["dora"].department.region) == figures


def test_a_manager_scope_counts_the_customers_they_manage(province, cast, territory):
    kpi_compute(period=OCTOBER)
    bob = _figures(manager=cast["bob"])
    assert bob["member_coverage_rate"] == _ratio(0, 60)
    assert bob["member_authenticity_rate"] == (Decimal(0), Decimal(0), None)  # no members: no value
    assert bob["stability_rate"] == _ratio(2, 3)
    assert bob["archive_rate_ab"] == (Decimal(0), Decimal(0), None)
    assert bob["archive_rate_c"] == _ratio(1, 2)
    assert bob["team_completeness_rate"] == _ratio(2, 2)
    assert bob["visit_compliance_rate"] == _ratio(0, 2)
    assert bob["manager_overload_share"] == _ratio(1, 1)
    # Every customer of bob's lies in 武侯: that is the region a viewer must see whole to see his figures.
    assert KpiSnapshot.objects.filter(manager=cast["bob"]).values_list("extent", flat=True).distinct().get() == (
        territory["wuhou"].code
    )


def test_every_region_level_down_to_the_grid_has_its_snapshots(province, territory):
    kpi_compute(period=OCTOBER)
    grid = _figures(region=territory["grid"])
    assert grid["tier_share_a"] == _ratio(1, 1)
    assert grid["visit_compliance_rate"] == _ratio(1, 1)
    jinjiang = _figures(region=territory["jinjiang"])  # c1 (its grid), c2, c6 the prospect, c7
    assert jinjiang["tier_share_c"] == _ratio(1, 3)
    assert jinjiang["stability_rate"] == _ratio(2, 2)
    assert jinjiang["manager_overload_share"] == _ratio(0, 1)  # alice only
    scopes = KpiSnapshot.objects.filter(period=OCTOBER.start, kind="region").values_list("region", flat=True)
    assert set(scopes) == {"000000", "510000", "510100", "510104", "510104-G01", "510107", "510700", "510703"}
    # every metric and fact of every scope
    assert KpiSnapshot.objects.filter(period=OCTOBER.start).count() % len(SNAPSHOT_METRICS) == 0


def test_recomputing_a_month_replaces_its_snapshots(province, territory):
    kpi_compute(period=OCTOBER)
    first = KpiSnapshot.objects.filter(period=OCTOBER.start).count()
    province["c2"].status = "churned"
    province["c2"].save()
    second_run = kpi_compute(period=OCTOBER)
    assert KpiSnapshot.objects.filter(period=OCTOBER.start).count() == first
    assert set(KpiSnapshot.objects.filter(period=OCTOBER.start).values_list("run", flat=True)) == {second_run.pk}
    # c2's churn today is after October: it was still active on 31 October.
    assert _figures(region=territory["sichuan"])["stability_rate"] == _ratio(5, 6)


def test_a_run_with_a_failed_chunk_keeps_the_previous_snapshots(province, territory):
    good = kpi_compute(period=OCTOBER)
    run = kpi_run_start(period=OCTOBER, as_of=LAST_DAY, source="nightly", chunks_total=1)
    kpi_chunk_failed(run_id=run.pk, first_id=1, last_id=10, error="OperationalError('server closed the connection')")
    finished = kpi_run_finish(run_id=run.pk, results=[])
    assert finished.status == "failed"
    assert finished.snapshots_written == 0
    assert set(KpiSnapshot.objects.values_list("run", flat=True)) == {good.pk}
    assert _figures(region=territory["sichuan"]) == SICHUAN


def test_a_run_whose_vip_loads_fail_keeps_the_previous_snapshots(province, territory, monkeypatch):
    good = kpi_compute(period=OCTOBER)

    def broken() -> int:
        raise RuntimeError("vip loads")

    monkeypatch.setattr("kpis.services.vip_loads_snapshot", broken)
    failed = kpi_compute(period=OCTOBER)
    assert (failed.status, failed.snapshots_written) == ("failed", 0)
    assert "vip loads" in str(failed.errors)
    # failed, as it says: the snapshots it computed were rolled back with the loads
    assert set(KpiSnapshot.objects.values_list("run", flat=True)) == {good.pk}
    assert _figures(region=territory["sichuan"]) == SICHUAN


def test_a_run_is_recorded_with_its_counts(province):
    run = kpi_compute(period=OCTOBER)
    assert run.chunks_total == run.chunks_done == 1
    assert run.customers_seen == 7 + 48 + 1
    assert run.snapshots_written == KpiSnapshot.objects.count()
    assert KpiJobRun.objects.get().finished_at is not None


def test_a_past_months_revenue_is_that_months_bill_where_the_billing_system_sent_one(province, territory):
    """SPEC §8.4: a customer's figure is its latest bill; a month gone by reads its own bill, and falls back on the
    customer's figure where it has none (c1's October bill 800, c2 none: 800 + 500.50)."""
    from accounts.models import BillingPeriod

    BillingPeriod.objects.create(customer=province["c1"], period=OCTOBER.start, informatization_revenue=Decimal(800))
    BillingPeriod.objects.create(  # another month's bill is not October's
        customer=province["c2"], period=datetime.date(2026, 9, 1), informatization_revenue=Decimal(1)
    )
    assert kpi_compute(period=OCTOBER).status == "succeeded"
    revenue = Decimal("1300.50")
    assert _figures(region=territory["sichuan"])["informatization_revenue"] == (revenue, None, revenue)


def _snapshots() -> set[tuple]:
    return set(
        KpiSnapshot.objects.filter(period=OCTOBER.start).values_list(
            "kind", "region", "department", "manager", "extent", "metric", "numerator", "denominator", "value"
        )
    )


def test_a_chunk_delivered_twice_is_counted_once_and_its_rows_leave_with_the_run(province, territory):
    kpi_compute(period=OCTOBER)
    expected = _snapshots()
    run = kpi_run_start(period=OCTOBER, as_of=LAST_DAY, source="nightly", chunks_total=1)
    ids = Customer.objects.aggregate(first=Min("id"), last=Max("id"))
    written = kpi_chunk_count(run_id=run.pk, first_id=ids["first"], last_id=ids["last"])
    assert written == KpiChunkTotals.objects.filter(run=run).count() > 0
    # its worker died after committing: the broker hands the chunk to another, which finds it counted
    assert kpi_chunk_count(run_id=run.pk, first_id=ids["first"], last_id=ids["last"]) == 0
    assert KpiChunkTotals.objects.filter(run=run).count() == written
    finished = kpi_run_finish(run_id=run.pk)
    assert (finished.status, finished.customers_seen) == ("succeeded", 7 + 48 + 1)
    assert _snapshots() == expected
    assert not KpiChunkTotals.objects.exists()


def test_the_rows_of_a_run_whose_worker_died_go_when_the_next_run_starts(province, territory):
    dead = kpi_run_start(period=OCTOBER, as_of=LAST_DAY, source="nightly", chunks_total=2)
    ids = Customer.objects.aggregate(first=Min("id"), last=Max("id"))
    kpi_chunk_count(run_id=dead.pk, first_id=ids["first"], last_id=ids["last"])
    KpiJobRun.objects.filter(pk=dead.pk).update(status="failed", finished_at=timezone.now())  # as the sweep fails it
    assert KpiChunkTotals.objects.filter(run=dead).exists()
    kpi_compute(period=OCTOBER)
    assert not KpiChunkTotals.objects.exists()
    assert _figures(region=territory["sichuan"]) == SICHUAN


def test_the_roll_up_refuses_rows_that_do_not_come_manager_after_manager():
    ancestors = {"000000": ["000000"], "510000": ["000000", "510000"]}
    rows = [Row("510000", manager, zero_totals()) for manager in (1, 2, 1)]
    with pytest.raises(ValueError, match="manager 1"):
        list(roll_up(rows, ancestors, {}, {}))
    scopes = list(roll_up([Row("510000", None, zero_totals()), *rows[:2]], ancestors, {}, {}))
    assert [(scope.kind, scope.manager or scope.region) for scope in scopes] == [
        ("manager", 1),
        ("manager", 2),
        ("region", "000000"),
        ("region", "510000"),
    ]
    assert [scope.totals["managers"] for scope in scopes] == [1, 1, 2, 2]
