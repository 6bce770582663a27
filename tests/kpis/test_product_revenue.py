"""Revenue targets per product (issue 21): a province's targets for a year and a month, the revenue of the holdings
counted per region and month by the KPI computation, actual against target on the dashboard and in the API."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from campaigns.models import CustomerProduct, Product
from crm.periods import Period
from kpis import selectors
from kpis.models import ProductRevenue, ProductRevenueTarget
from kpis.services import kpi_compute, product_revenue_target_set
from tests.factories import CustomerFactory

OCTOBER = Period(datetime.date(2026, 10, 1))
SEPTEMBER = Period(datetime.date(2026, 9, 1))
CRBT = "GROUP_CRBT"  # 集团彩铃


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _holding(customer, product: str, revenue: str, since=datetime.date(2026, 1, 1)) -> CustomerProduct:
    return CustomerProduct.objects.create(
        customer=customer, product_id=product, monthly_revenue=Decimal(revenue), active_users=10, subscribed_on=since
    )


@pytest.fixture
def holdings(customers, territory):
    """集团彩铃: 1200.00 in 锦江's grid, 800.00 in 武侯, 500.00 in 绵阳, 300.00 of a churned customer (not counted),
    700.00 subscribed in November (not in October), 999.00 in 广东; V网 100.00 in 锦江."""
    _holding(customers["alice"], CRBT, "1200.00")
    _holding(customers["wuhou"], CRBT, "800.00")
    _holding(customers["mianyang"], CRBT, "500.00")
    _holding(customers["guangzhou"], CRBT, "999.00")
    _holding(customers["alice"], "VPMN", "100.00")
    churned = CustomerFactory(region=territory["wuhou"], status="churned")
    _holding(churned, CRBT, "300.00")
    late = CustomerFactory(region=territory["jinjiang"])
    _holding(late, CRBT, "700.00", since=datetime.date(2026, 11, 3))


@pytest.fixture
def targets(cast, territory):
    crbt = Product.objects.get(pk=CRBT)
    product_revenue_target_set(
        user=cast["paul"], region=territory["sichuan"], product=crbt, year=2026, amount=Decimal("30000000")
    )
    product_revenue_target_set(
        user=cast["paul"], region=territory["sichuan"], product=crbt, year=2026, month=10, amount=Decimal("2000.00")
    )


@pytest.fixture
def computed(holdings, targets):
    kpi_compute(period=SEPTEMBER)
    kpi_compute(period=OCTOBER)


# -- targets --------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_provincial_staff_set_their_provinces_targets_and_clear_them(cast, territory):
    crbt = Product.objects.get(pk=CRBT)
    target = product_revenue_target_set(
        user=cast["paul"], region=territory["sichuan"], product=crbt, year=2026, amount=Decimal("30000000")
    )
    assert target.amount == Decimal("30000000.00") and target.month is None and target.updated_by == cast["paul"]
    product_revenue_target_set(
        user=cast["paul"], region=territory["sichuan"], product=crbt, year=2026, amount=Decimal("1")
    )
    assert ProductRevenueTarget.objects.get().amount == Decimal("1.00")  # changed in place
    assert (
        product_revenue_target_set(user=cast["paul"], region=territory["sichuan"], product=crbt, year=2026, amount=None)
        is None
    )
    assert not ProductRevenueTarget.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["gd_paul", "dora", "alice"])
def test_no_one_else_sets_a_provinces_targets(cast, territory, who):
    crbt = Product.objects.get(pk=CRBT)
    with pytest.raises(PermissionDenied):
        product_revenue_target_set(
            user=cast[who], region=territory["sichuan"], product=crbt, year=2026, amount=Decimal(1)
        )
    assert not ProductRevenueTarget.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("region", "month", "amount", "field"),
    [("chengdu", None, "1", "region"), ("sichuan", None, "-1", "amount"), ("sichuan", 13, "1", "month")],
)
def test_bad_targets_name_the_field(cast, territory, region, month, amount, field):
    crbt = Product.objects.get(pk=CRBT)
    with pytest.raises(ValidationError) as error:
        product_revenue_target_set(
            user=cast["hq"], region=territory[region], product=crbt, year=2026, month=month, amount=Decimal(amount)
        )
    assert field in error.value.message_dict
    assert not ProductRevenueTarget.objects.exists()


# -- actuals --------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_computation_counts_each_products_revenue_per_region_and_month(computed, territory):
    def revenue(region, product=CRBT, period=OCTOBER):
        return ProductRevenue.objects.get(region=territory[region], product_id=product, period=period.start).revenue

    assert revenue("sichuan") == Decimal("2500.00")  # the churned customer's and November's holdings not counted
    assert revenue("chengdu") == Decimal("2000.00")
    assert revenue("grid") == Decimal("1200.00")
    assert revenue("mianyang") == Decimal("500.00")
    assert revenue("guangdong") == Decimal("999.00")
    assert revenue("sichuan", product="VPMN") == Decimal("100.00")
    assert revenue("sichuan", period=SEPTEMBER) == Decimal("2500.00")


@pytest.mark.django_db
def test_actual_against_target_for_the_month_and_the_year(computed, territory):
    rows = {row.product.code: row for row in selectors.product_revenue(territory["sichuan"], OCTOBER)}
    crbt = rows[CRBT]
    assert (crbt.revenue, crbt.target) == (Decimal("2500.00"), Decimal("2000.00"))
    assert crbt.year_to_date == Decimal("5000.00")  # September and October computed
    assert crbt.year_target == Decimal("30000000.00")
    assert crbt.year_share == Decimal("0.000167")
    assert crbt.year_pace == Decimal("25000000.00")
    assert crbt.on_target is True  # the month's target is met
    assert rows["VPMN"].target is None and rows["VPMN"].on_target is None
    # a city reads its revenue, not the province's targets
    chengdu = {row.product.code: row for row in selectors.product_revenue(territory["chengdu"], OCTOBER)}
    assert chengdu[CRBT].revenue == Decimal("2000.00") and chengdu[CRBT].year_target is None


# -- the dashboard and the API --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_provinces_dashboard_shows_crbt_revenue_against_its_target(computed, cast, login):
    page = login(cast["paul"]).get(reverse("kpis:dashboard") + "?period=2026-10")
    assert page.status_code == 200
    html = page.content.decode()
    row = html.split(f'data-product="{CRBT}"')[1].split("</tr>")[0]
    assert "集团彩铃" in row
    assert "2,500.00" in row and "2,000.00" in row and "30,000,000.00" in row
    assert "5,000.00" in row


@pytest.mark.django_db
def test_a_department_sees_its_regions_revenue_and_a_manager_none(computed, cast, login):
    html = login(cast["dora"]).get(reverse("kpis:dashboard") + "?period=2026-10").content.decode()
    row = html.split(f'data-product="{CRBT}"')[1].split("</tr>")[0]
    assert "2,000.00" in row and "30,000,000.00" not in row
    html = login(cast["alice"]).get(reverse("kpis:dashboard") + "?period=2026-10").content.decode()
    assert 'data-testid="product-revenue"' not in html


@pytest.mark.django_db
def test_the_api_gives_actual_against_target_per_product(computed, cast, api):
    response = api(cast["paul"]).get("/api/v1/kpis/product-revenue/", {"region": "510000", "period": "2026-10"})
    assert response.status_code == 200
    items = {item["product"]: item for item in response.json()["results"]}
    assert items[CRBT] == {
        "product": CRBT,
        "label": "集团彩铃",
        "revenue": "2500.00",
        "target": "2000.00",
        "year_to_date": "5000.00",
        "year_target": "30000000.00",
        "year_share": 0.000167,
        "on_target": True,
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "query", "status"),
    [
        ("gd_paul", {"region": "510000"}, 404),
        ("dora", {"region": "510000"}, 404),
        ("dora", {}, 200),
        ("alice", {}, 404),
    ],
)
def test_the_api_applies_the_visibility_rule(computed, cast, api, who, query, status):
    response = api(cast[who]).get("/api/v1/kpis/product-revenue/", {**query, "period": "2026-10"})
    assert response.status_code == status


@pytest.mark.django_db
def test_the_api_refuses_anonymous_callers(computed, client):
    assert client.get("/api/v1/kpis/product-revenue/").status_code in (401, 403)


@pytest.mark.django_db
def test_the_targets_page_sets_a_target_for_provincial_staff_only(cast, login, client):
    url = reverse("kpis:product-targets")
    page = login(cast["paul"]).get(url)
    assert page.status_code == 200
    saved = login(cast["paul"]).post(url, {"product": CRBT, "year": "2026", "month": "", "amount": "30000000"})
    assert saved.status_code == 302
    target = ProductRevenueTarget.objects.get()
    assert (target.region_id, target.product_id, target.month, target.amount) == (
        "510000",
        CRBT,
        None,
        Decimal("30000000.00"),
    )
    bad = login(cast["paul"]).post(url, {"product": CRBT, "year": "2026", "month": "", "amount": "-5"})
    assert bad.status_code == 400 and 'data-field="amount"' in bad.content.decode()
    assert login(cast["dora"]).get(url).status_code == 403
    assert login(cast["alice"]).post(url, {"product": CRBT, "year": "2026", "amount": "1"}).status_code == 403
    assert client.get(url).status_code == 302
    # headquarters pick the province
    hq = login(cast["hq"]).get(url + "?region=440000")
    assert 'data-testid="targets-province">广东省<' in hq.content.decode()
