"""The customer page's product matrix (SPEC §6.1)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from campaigns.models import CustomerProduct, Product

pytestmark = pytest.mark.django_db


def test_the_customer_page_shows_each_products_coverage(cast, customers, login):
    customer = customers["alice"]  # 120 handsets
    today = timezone.localdate()
    CustomerProduct.objects.create(
        customer=customer,
        product_id="VPMN",
        active_users=12,
        subscribed_on=datetime.date(2025, 1, 1),
        last_used_on=today,
    )
    CustomerProduct.objects.create(
        customer=customer,
        product_id="DEDICATED_LINE",
        active_users=1,
        subscribed_on=datetime.date(2024, 1, 1),
        last_used_on=today - datetime.timedelta(days=200),
    )
    page = login(cast["alice"]).get(f"/customers/{customer.code}/").content.decode()
    matrix = page[page.index('data-testid="products"') :]

    def status_of(code: str) -> str:
        row = matrix[matrix.index(f'data-product="{code}"') :]
        return row[row.index('data-testid="coverage-status">') + len('data-testid="coverage-status">') :].split("<")[0]

    assert status_of("VPMN") == "薄覆盖"  # 12 of 120 handsets: 10 %
    assert status_of("DEDICATED_LINE") == "伪覆盖"  # not used for 200 days
    assert status_of("ENTERPRISE_BB") == "未覆盖"
    assert matrix.count("data-product=") == Product.objects.filter(is_active=True).count()


@pytest.fixture
def holdings_in_two_cities(customers):
    today = timezone.localdate()
    for key, users in (("alice", 12), ("wuhou", 100), ("mianyang", 40)):
        CustomerProduct.objects.create(
            customer=customers[key],
            product_id="VPMN",
            active_users=users,
            subscribed_on=datetime.date(2025, 1, 1),
            last_used_on=today,
        )
    return customers


def _matrix(response) -> dict[str, dict[str, tuple[int, str]]]:
    page = response.content.decode()
    table = page[page.index('data-testid="gap-matrix"') :]
    rows = {}
    for chunk in table.split('<tr data-product="')[1:]:
        code = chunk.split('"')[0]
        cells = {}
        for cell in chunk.split('data-status="')[1:]:
            status = cell.split('"')[0]
            url = cell.split('href="')[1].split('"')[0].replace("&amp;", "&")
            cells[status] = (int(cell.split(">")[1].split("<")[0]), url)
        rows[code] = cells
    return rows


def test_the_gap_matrix_counts_link_to_as_many_customers(holdings_in_two_cities, cast, login):
    client = login(cast["paul"])
    province = _matrix(client.get("/campaigns/coverage/", {"region": "510000"}))
    # 120 handsets each: alice's 12 users thin (10 %), wuhou's 100 covered, mianyang's 40 covered (33 %)
    assert {status: count for status, (count, _) in province["VPMN"].items()} == {
        "uncovered": 0,
        "fake": 0,
        "thin": 1,
        "covered": 2,
    }
    for product in province.values():
        for count, url in product.values():
            listed = client.get(url)
            assert listed.status_code == 200
            assert listed.context["page"].paginator.count == count, url
    city = _matrix(client.get("/campaigns/coverage/", {"region": "510700"}))
    assert city["VPMN"]["covered"][0] == 1 and city["DEDICATED_LINE"]["uncovered"][0] == 1


def test_the_gap_matrix_keeps_to_the_users_territory(holdings_in_two_cities, cast, login):
    dora = login(cast["dora"])
    mine = _matrix(dora.get("/campaigns/coverage/"))  # 成都 only: alice's and wuhou's customers
    assert sum(count for count, _ in mine["VPMN"].values()) == 2
    assert dora.get("/campaigns/coverage/", {"region": "510700"}).status_code == 404
    assert login(cast["gd_paul"]).get("/campaigns/coverage/", {"region": "510000"}).status_code == 404
    assert login(cast["paul"]).get("/campaigns/coverage/", {"region": "999999"}).status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    assert client.get("/campaigns/coverage/")["Location"].startswith("/login/")
