"""The arrears KPIs (issue 21, §7 form): the amount owed per scope, its ageing buckets and the recovery rate of the
collection cases, each with its numerator and denominator, on the dashboard and in the API, each figure linked to its
customers."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from arrears.models import ArrearsCase, CustomerArrears
from arrears.selectors import arrears_condition
from crm.periods import Period
from kpis import selectors
from kpis.drills import DRILLS
from kpis.metrics import METRIC_BY_CODE
from kpis.services import kpi_compute

pytestmark = pytest.mark.django_db


def ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


@pytest.fixture
def owed(customers):
    """CD0001 owes 86 000 for 40 days, under an open case half recovered from 172 000; CD0002 owes 9 000 for 100
    days; MY0001 (绵阳) owes 1 000 since a day unknown; a case of CD0002's closed paid this month over 20 000."""
    today = timezone.localdate()
    CustomerArrears.objects.create(customer=customers["alice"], amount=Decimal("86000"), since=ago(40), period=today)
    CustomerArrears.objects.create(customer=customers["wuhou"], amount=Decimal("9000"), since=ago(100), period=today)
    CustomerArrears.objects.create(customer=customers["mianyang"], amount=Decimal("1000"), since=None, period=today)
    common = {"threshold": Decimal("50000"), "due_on": today}
    ArrearsCase.objects.create(
        customer=customers["alice"],
        opened_amount=Decimal("172000"),
        amount=Decimal("86000"),
        opened_on=ago(60),
        **common,
    )
    ArrearsCase.objects.create(
        customer=customers["wuhou"],
        opened_amount=Decimal("20000"),
        amount=Decimal("0"),
        opened_on=ago(90),
        closed_on=today,
        status="closed",
        **common,
    )
    # closed before the month began: not worked in it
    ArrearsCase.objects.create(
        customer=customers["wuhou"],
        opened_amount=Decimal("70000"),
        amount=Decimal("0"),
        opened_on=ago(400),
        closed_on=ago(380),
        status="closed",
        **common,
    )


def test_the_figures_of_a_province_and_a_city(owed, cast, territory):
    period = Period.of(timezone.localdate())
    kpi_compute(period=period)
    sichuan = selectors.figures(selectors.scope_for(cast["paul"], region="510000"), period)
    amount = sichuan["arrears_amount"]
    assert (amount.numerator, amount.denominator, amount.value) == (Decimal("96000"), None, Decimal("96000"))
    rate = sichuan["arrears_recovery_rate"]
    assert (rate.numerator, rate.denominator) == (Decimal("106000"), Decimal("192000"))  # 86 000 + 20 000 of 192 000
    assert rate.value == Decimal("0.552083")
    assert rate.target == Decimal("0.80")
    ages = {code: sichuan[f"arrears_age_{code}"].numerator for code in ("30", "60", "90", "over_90")}
    assert ages == {"30": Decimal("1000"), "60": Decimal("86000"), "90": Decimal("0"), "over_90": Decimal("9000")}
    assert sichuan["arrears_age_60"].denominator == Decimal("96000")
    mianyang = selectors.figures(selectors.scope_for(cast["paul"], region="510700"), period)
    assert mianyang["arrears_amount"].numerator == Decimal("1000")
    assert mianyang["arrears_recovery_rate"].value is None  # no case: no rate


def test_each_figure_links_to_its_customers(owed, cast, api):
    expected = {
        "arrears_amount": {"CD0001", "CD0002", "MY0001"},
        "arrears_recovery_rate": {"CD0001"},
        "arrears_age_30": {"MY0001"},
        "arrears_age_60": {"CD0001"},
        "arrears_age_90": set(),
        "arrears_age_over_90": {"CD0002"},
    }
    period = Period.of(timezone.localdate())
    for code, customers in expected.items():
        query = {"region": "510000", **DRILLS[code].filters(period), "page_size": 50}
        answer = api(cast["paul"]).get("/api/v1/customers/", query)
        assert answer.status_code == 200, answer.content
        assert {row["code"] for row in answer.json()["results"]} == customers, code


def test_the_api_gives_the_recovery_rate_in_the_kpi_form(owed, cast, api):
    kpi_compute(period=Period.of(timezone.localdate()))
    items = api(cast["paul"]).get("/api/v1/kpis/", {"region": "510000"}).json()
    items = items["results"] if isinstance(items, dict) and "results" in items else items
    found = {item["metric"]: item for item in (items["items"] if isinstance(items, dict) else items)}
    rate = found["arrears_recovery_rate"]
    assert (Decimal(rate["numerator"]), Decimal(rate["denominator"])) == (Decimal("106000"), Decimal("192000"))
    assert rate["target"] == pytest.approx(0.8)
    assert "arrears_age_over_90" in found and "arrears_amount" in found


def test_the_dashboard_shows_the_arrears_and_their_ageing(owed, cast, login):
    kpi_compute(period=Period.of(timezone.localdate()))
    page = login(cast["dora"]).get("/kpis/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="kpi-arrears_recovery_rate"' in html and 'data-testid="kpi-arrears_amount"' in html
    assert 'data-testid="arrears-ageing"' in html and "arrears=over_90" in html
    assert 'data-testid="kpi-arrears_age_30"' not in html  # a table, not cards


def test_an_account_manager_sees_no_arrears_of_others(owed, cast, api):
    answer = api(cast["carol"]).get("/api/v1/customers/", {"arrears": "any"})
    assert [row["code"] for row in answer.json()["results"]] == ["MY0001"]


def test_the_metric_is_named_as_the_contract_says():
    metric = METRIC_BY_CODE["arrears_recovery_rate"]
    assert (metric.numerator, metric.denominator) == ("arrears_recovered", "arrears_due")


def test_the_age_buckets_cover_every_day(owed):
    from accounts.models import Customer

    today = timezone.localdate()
    for code in ("30", "60", "90", "over_90"):
        assert Customer.objects.filter(arrears_condition(code, today)).count() <= 3
    total = sum(
        Customer.objects.filter(arrears_condition(code, today)).count() for code in ("30", "60", "90", "over_90")
    )
    assert total == Customer.objects.filter(arrears_condition("any", today)).count() == 3


def test_partner_staff_cannot_filter_by_arrears(owed, cast, api, territory):
    from tests.factories import UserFactory

    partner = UserFactory(username="pat", role="partner", region=territory["chengdu"])
    answer = api(partner).get("/api/v1/customers/", {"arrears": "any"})
    assert answer.status_code == 200 and answer.json()["count"] == 0
