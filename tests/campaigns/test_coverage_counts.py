"""The night's gap matrix (campaigns.CoverageCount, issue 19): the page adds up its territory's regions, held to the
live matrix for every kind of reader and region picked, said as of when."""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.utils import timezone

from accounts.models import Customer
from campaigns.models import CoverageCount, CustomerProduct, Product
from campaigns.rules import UNCOVERED
from campaigns.selectors import gap_matrix
from campaigns.services import coverage_snapshot
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
MATRIX = "/campaigns/coverage/"


@pytest.fixture
def spread(territory, customers):
    """Customers in two cities of Sichuan and in Guangdong, holding two products in every coverage status."""
    used = [None, TODAY, TODAY - datetime.timedelta(days=200)]
    for index, (region, handsets, users, last_used) in enumerate(
        itertools.product(["jinjiang", "wuhou", "fucheng", "tianhe"], [0, 100], [1, 10, 60], used)
    ):
        customer = CustomerFactory(code=f"SP{index:03d}", region=territory[region], handset_count=handsets)
        for product in ("VPMN", "DEDICATED_LINE"):
            if (index + len(product)) % 4:
                CustomerProduct.objects.create(
                    customer=customer,
                    product_id=product,
                    active_users=users,
                    subscribed_on=datetime.date(2020, 1, 1),
                    last_used_on=last_used,
                )
    CustomerFactory(code="SPCHURNED", region=territory["jinjiang"], status="churned")


def _page_counts(client, **params) -> tuple[dict[str, dict[str, int]], object]:
    response = client.get(MATRIX, params)
    assert response.status_code == 200
    rows = {
        row["product"].code: {status: count for status, count, _url in row["cells"]} for row in response.context["rows"]
    }
    return rows, response.context["as_of"]


@pytest.mark.parametrize(
    "who,region",
    [("dora", None), ("paul", None), ("paul", "510100"), ("paul", "510700"), ("gd_paul", None), ("hq", None)],
)
def test_the_nights_counts_add_up_to_the_live_matrix(login, cast, spread, who, region):
    assert coverage_snapshot() > 0
    client = login(cast[who])
    counted, as_of = _page_counts(client, **({"region": region} if region else {}))
    assert as_of is not None
    customers = Customer.objects.visible_to(cast[who])
    if region:
        customers = customers.filter(region__path__contains=f"/{region}/")
    live = {row.product.code: row.counts for row in gap_matrix(customers)}
    assert counted == live
    assert sum(counted["VPMN"].values()) == customers.filter(status="active").count() > 0


def test_the_page_says_as_of_when_and_an_account_manager_counts_live(login, cast, spread):
    coverage_snapshot()
    html = login(cast["dora"]).get(MATRIX).content.decode()
    assert 'data-testid="counts-as-of"' in html
    _rows, as_of = _page_counts(login(cast["alice"]))
    assert as_of is None  # her own customers, counted now


def test_before_the_first_night_the_matrix_is_counted_live(login, cast, spread):
    _rows, as_of = _page_counts(login(cast["paul"]))
    assert as_of is None


def test_a_product_put_on_sale_since_the_night_is_nobodys_yet(login, cast, spread):
    coverage_snapshot()
    product = Product.objects.create(
        code="NEW_ONE", name="新产品", category="data", per_member=False, is_active=True, sort_order=99
    )
    counted, _as_of = _page_counts(login(cast["dora"]))
    active = Customer.objects.visible_to(cast["dora"]).filter(status="active").count()
    assert counted[product.code] == {UNCOVERED: active, "fake": 0, "thin": 0, "covered": 0}


def test_the_snapshot_replaces_the_last_one_whole(spread):
    coverage_snapshot()
    first = set(CoverageCount.objects.values_list("region_id", "product_id", "status", "customers"))
    coverage_snapshot()
    assert set(CoverageCount.objects.values_list("region_id", "product_id", "status", "customers")) == first
    assert CoverageCount.objects.values("computed_at").distinct().count() == 1
