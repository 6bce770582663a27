"""The KPI `prospect_conversion` (issue 21) in the §7 form: the prospects converted in the month over those open in
the pool or claimed during it (open at its start, or filed during it), per region up the tree and per department,
counted once per run from the prospects (not chunk by chunk over customers), with its default target."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from crm.periods import Period
from kpis.metrics import METRIC_BY_CODE
from kpis.models import KpiSnapshot
from kpis.services import kpi_compute
from kpis.totals import PROSPECT_TOTALS, SUMMED_FIELDS, count_rows, prospect_rows
from prospects.models import Prospect, ProspectStatus
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
OCTOBER = Period(datetime.date(2026, 10, 1))
LAST_DAY = datetime.date(2026, 10, 31)


def moment(month: int, day: int) -> datetime.datetime:
    return datetime.datetime(2026, month, day, 10, tzinfo=timezone.get_current_timezone())


def prospect(region, filed: datetime.datetime, converted: datetime.datetime | None = None, **extra) -> Prospect:
    row = Prospect.objects.create(name=f"企业{Prospect.objects.count()}", address="某路1号", region=region, **extra)
    if converted is not None:
        customer = CustomerFactory(region=region)
        row.status, row.customer, row.converted_at = ProspectStatus.CONVERTED, customer, converted
        row.save()
    Prospect.objects.filter(pk=row.pk).update(created_at=filed)
    return row


@pytest.fixture
def pool(territory, cast):
    grid, wuhou, tianhe = territory["grid"], territory["wuhou"], territory["tianhe"]
    prospect(grid, moment(9, 10))  # open at the start, still open
    prospect(grid, moment(9, 10), moment(9, 20))  # converted before the month: not in it
    prospect(grid, moment(9, 10), moment(10, 15))  # open at the start, converted in it
    prospect(grid, moment(10, 5), moment(10, 20))  # filed and converted in it
    prospect(grid, moment(10, 5), status=ProspectStatus.CLAIMED, claimed_by=cast["alice"], claimed_at=moment(10, 6))
    prospect(grid, moment(11, 2))  # filed after it
    prospect(grid, moment(9, 1), moment(11, 3))  # open all month, converted after it
    prospect(wuhou, moment(10, 1))
    prospect(tianhe, moment(10, 1), moment(10, 2))
    return territory


def figure(**scope) -> tuple:
    row = KpiSnapshot.objects.get(period=OCTOBER.start, metric="prospect_conversion", **scope)
    return row.numerator, row.denominator, row.value


def ratio(numerator: int, denominator: int) -> tuple:
    return Decimal(numerator), Decimal(denominator), (Decimal(numerator) / denominator).quantize(Decimal("0.000001"))


def test_the_rate_is_the_month_s_conversions_over_the_prospects_open_in_it_per_region(pool, cast):
    run = kpi_compute(period=OCTOBER, as_of=LAST_DAY)
    assert run.status == "succeeded", run.errors
    assert figure(region=pool["grid"]) == ratio(2, 5)
    assert figure(region=pool["jinjiang"]) == ratio(2, 5)
    assert figure(region=pool["wuhou"]) == ratio(0, 1)
    assert figure(region=pool["chengdu"]) == ratio(2, 6)
    assert figure(region=pool["sichuan"]) == ratio(2, 6)
    assert figure(region=pool["guangdong"]) == ratio(1, 1)
    assert figure(region=pool["root"]) == ratio(3, 7)
    # a department has its region's; the pool is a territory's, not a manager's
    assert figure(department=cast["dora"].department) == ratio(2, 6)
    managers = KpiSnapshot.objects.filter(period=OCTOBER.start, metric="prospect_conversion", manager__isnull=False)
    assert {(row.numerator, row.denominator, row.value) for row in managers} <= {(Decimal(0), Decimal(0), None)}


def test_a_day_of_the_month_counts_up_to_that_day(pool):
    rows = prospect_rows(OCTOBER, datetime.date(2026, 10, 10))
    grid = next(row for row in rows if row.region == "510104-G01")
    # p3 and p4 convert later in the month; p4 and the claimed one are filed by the 10th
    assert (grid.totals["prospects_converted"], grid.totals["prospects_open"]) == (0, 5)


def test_the_prospects_are_counted_in_one_query_and_not_over_the_customers_chunks(pool, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = prospect_rows(OCTOBER, LAST_DAY)
    assert {row.manager for row in rows} == {None}
    assert sum(row.totals["prospects_open"] for row in rows) == 7
    from accounts.models import Customer

    chunk = count_rows(Customer.objects.all(), OCTOBER, LAST_DAY, {}, fields=SUMMED_FIELDS)
    assert all(row.totals[name] == 0 for row in chunk for name in PROSPECT_TOTALS)


def test_the_metric_is_a_rate_with_a_default_target():
    metric = METRIC_BY_CODE["prospect_conversion"]
    assert (metric.numerator, metric.denominator, metric.unit) == ("prospects_converted", "prospects_open", "ratio")
    assert metric.default_target == Decimal("0.10")
    assert metric.value({"prospects_converted": 0, "prospects_open": 0}) is None


def test_the_api_gives_numerator_denominator_and_target(pool, cast, api):
    kpi_compute(period=OCTOBER, as_of=LAST_DAY)
    response = api(cast["paul"]).get("/api/v1/kpis/", {"region": "510100", "period": "2026-10"})
    assert response.status_code == 200
    item = next(row for row in response.json()["results"] if row["metric"] == "prospect_conversion")
    assert (item["numerator"], item["denominator"], item["value"], item["target"]) == (2, 6, 0.333333, 0.1)
    assert item["on_target"] is True
    # another province's staff: the region is not theirs
    assert api(cast["gd_paul"]).get("/api/v1/kpis/", {"region": "510100", "period": "2026-10"}).status_code == 404
