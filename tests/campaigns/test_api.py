"""Products, holdings and coverage through the API (SPEC §6.1, §8.2), under the visibility of §2."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from campaigns.models import CustomerProduct

pytestmark = pytest.mark.django_db
HOLDING = "/api/v1/customers/CD0001/products/VPMN/"
COVERAGE = "/api/v1/customers/CD0001/coverage/"


@pytest.fixture
def catalogue(db):
    # Reference data comes from data migrations; a transactional test's flush removes it, so make sure it is here.
    from django.apps import apps

    from campaigns.data import load

    load(apps.get_model("campaigns", "Product"))


def _english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_the_catalogue_lists_the_typical_group_products(catalogue, cast, api):
    response = api(cast["alice"]).get("/api/v1/products/", {"page_size": 100})
    assert response.status_code == 200
    products = {item["code"]: item for item in response.json()["results"]}
    assert products["VPMN"] == {"code": "VPMN", "name": "集团V网", "category": "voice", "per_member": True}
    assert products["DEDICATED_LINE"]["per_member"] is False
    assert {"GROUP_SMS", "GROUP_CRBT", "MOBILE_PBX", "ENTERPRISE_BB", "SCHOOL_LINK", "INDUSTRY_APP"} <= set(products)


def test_a_holding_is_put_replaced_and_shows_in_the_coverage(catalogue, cast, customers, api):
    client = api(cast["alice"])
    today = timezone.localdate()
    body = {"active_users": 30, "monthly_revenue": "300.00", "subscribed_on": "2025-01-01", "last_used_on": str(today)}
    response = client.put(HOLDING, body, format="json")
    assert response.status_code == 201, response.content
    assert response.json() == {**body, "customer": "CD0001", "product": "VPMN", "channel": "direct", "partner": None}
    coverage = {item["product"]: item for item in client.get(COVERAGE).json()}
    assert coverage["VPMN"]["status"] == "thin"  # 30 of 120 handsets: 25 %
    assert coverage["DEDICATED_LINE"]["status"] == "uncovered"

    response = client.put(HOLDING, {**body, "active_users": 60}, format="json")
    assert response.status_code == 200
    assert CustomerProduct.objects.get().active_users == 60
    assert {item["product"]: item["status"] for item in client.get(COVERAGE).json()}["VPMN"] == "covered"


def test_a_holding_unused_for_90_days_is_fake(catalogue, cast, customers, api):
    client = api(cast["alice"])
    long_ago = timezone.localdate() - datetime.timedelta(days=120)
    client.put(
        "/api/v1/customers/CD0001/products/DEDICATED_LINE/",
        {"active_users": 1, "subscribed_on": "2024-01-01", "last_used_on": str(long_ago)},
        format="json",
    )
    assert {item["product"]: item["status"] for item in client.get(COVERAGE).json()}["DEDICATED_LINE"] == "fake"


def test_deleting_a_holding_ends_it(catalogue, cast, customers, api):
    client = api(cast["alice"])
    client.put(HOLDING, {"subscribed_on": "2025-01-01"}, format="json")
    assert client.delete(HOLDING).status_code == 204
    assert client.delete(HOLDING).status_code == 404
    assert not CustomerProduct.objects.exists()


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"subscribed_on": "2025-06-01", "last_used_on": "2025-01-01"}, "last_used_on", "last used before"),
        ({"subscribed_on": "2025-01-01", "monthly_revenue": "-1"}, "monthly_revenue", "greater than or equal to 0"),
        ({"active_users": 3}, "subscribed_on", "required"),
        ({"subscribed_on": "2025-01-01", "users": 3}, "users", ""),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(catalogue, cast, customers, api, body, field, message):
    response = _english(api(cast["alice"])).put(HOLDING, body, format="json")
    assert response.status_code == 400
    assert message in response.json()[field][0]
    assert not CustomerProduct.objects.exists()


@pytest.mark.parametrize("who", ["carol", "gd_paul"])
def test_an_outsider_finds_no_such_customer(catalogue, cast, customers, api, who):
    client = api(cast[who])
    assert client.put(HOLDING, {"subscribed_on": "2025-01-01"}, format="json").status_code == 404
    assert client.get(COVERAGE).status_code == 404
    assert not CustomerProduct.objects.exists()


def test_an_unknown_product_is_not_found(catalogue, cast, customers, api):
    response = api(cast["alice"]).put("/api/v1/customers/CD0001/products/NOPE/", {"subscribed_on": "2025-01-01"})
    assert response.status_code == 404


def test_an_anonymous_caller_is_refused(catalogue, customers):
    client = APIClient()
    assert client.get("/api/v1/products/").status_code == 401
    assert client.get(COVERAGE).status_code == 401
    assert client.put(HOLDING, {"subscribed_on": "2025-01-01"}).status_code == 401
