"""Manual tier overrides (人工调级): who may set them, what they need, and that recomputes keep them until expiry."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Customer
from tiering.models import TierChange, TierOverride

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers/CD0001/tier-override/"


@pytest.fixture
def computed(customers):
    call_command("recompute_tiers", stdout=StringIO())  # CD0001: 120 handsets → B
    return customers


def in_days(days):
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


def test_provincial_staff_set_an_override_that_recomputes_keep(api, cast, computed):
    response = api(cast["paul"]).post(
        URL, {"tier": "A", "reason": "省重点保障客户", "expires_on": in_days(30)}, format="json"
    )
    assert response.status_code == 201, response.content
    customer = Customer.objects.get(code="CD0001")
    assert (customer.tier, customer.computed_tier) == ("A", "B")
    assert TierChange.objects.filter(customer=customer, source="override", to_tier="A").exists()
    call_command("recompute_tiers", stdout=StringIO())
    customer.refresh_from_db()
    assert (customer.tier, customer.computed_tier) == ("A", "B")
    body = api(cast["alice"]).get("/api/v1/customers/CD0001/tier/").json()
    assert body["tier"] == "A" and body["computed_tier"] == "B"
    assert body["override"]["reason"] == "省重点保障客户" and body["override"]["set_by"] == "paul"


def test_an_expired_override_gives_way_to_the_rules(api, cast, computed):
    api(cast["paul"]).post(URL, {"tier": "A", "reason": "试点", "expires_on": in_days(1)}, format="json")
    TierOverride.objects.update(expires_on=timezone.localdate() - datetime.timedelta(days=1))
    call_command("recompute_tiers", stdout=StringIO())
    assert Customer.objects.get(code="CD0001").tier == "B"
    assert TierChange.objects.filter(customer__code="CD0001").first().to_tier == "B"


def test_ending_an_override_restores_the_computed_tier(api, cast, computed):
    client = api(cast["paul"])
    client.post(URL, {"tier": "C", "reason": "客户要求", "expires_on": in_days(10)}, format="json")
    assert Customer.objects.get(code="CD0001").tier == "C"
    assert client.delete(URL).status_code == 204
    assert Customer.objects.get(code="CD0001").tier == "B"
    assert client.delete(URL).status_code == 400  # nothing left to end


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"tier": "A", "reason": "", "expires_on": in_days(5)}, "reason"),
        ({"tier": "A", "reason": "   ", "expires_on": in_days(5)}, "reason"),
        ({"tier": "A", "reason": "x", "expires_on": in_days(-1)}, "expires_on"),
        ({"tier": "S", "reason": "x", "expires_on": in_days(5)}, "tier"),
        ({"tier": "A", "reason": "x"}, "expires_on"),
        ({"tier": "A", "reason": "x", "expires_on": "9999-12-31"}, "expires_on"),
        ({"tier": "A", "reason": "x", "expires_on": in_days(367)}, "expires_on"),
    ],
)
def test_bad_overrides_are_field_errors_and_change_nothing(api, cast, computed, payload, field):
    response = api(cast["paul"]).post(URL, payload, format="json")
    assert response.status_code == 400 and field in response.json(), response.content
    assert not TierOverride.objects.exists()
    assert Customer.objects.get(code="CD0001").tier == "B"


def test_who_may_override(api, cast, computed):
    payload = {"tier": "A", "reason": "x", "expires_on": in_days(5)}
    assert APIClient().post(URL, payload, format="json").status_code == 401
    assert api(cast["bob"]).post(URL, payload, format="json").status_code == 404  # cannot see CD0001
    assert api(cast["gd_paul"]).post(URL, payload, format="json").status_code == 404
    assert api(cast["alice"]).post(URL, payload, format="json").status_code == 403  # sees it, may not override
    assert api(cast["dora"]).post(URL, payload, format="json").status_code == 403
    assert not TierOverride.objects.exists()


def test_customer_page_shows_override_and_computed_tier(api, login, cast, computed):
    api(cast["paul"]).post(URL, {"tier": "A", "reason": "省重点保障客户", "expires_on": in_days(30)}, format="json")
    html = login(cast["alice"]).get("/customers/CD0001/").content.decode()
    box = html[html.index('data-testid="tier-override"') :].split("</div>")[0]
    assert "省重点保障客户" in box and "A" in box and "B" in box


def test_an_override_expires_within_one_year(api, cast, computed):
    from tiering.services import one_year_after

    last = one_year_after(timezone.localdate())
    client = api(cast["paul"])
    response = client.post(
        URL, {"tier": "A", "reason": "x", "expires_on": (last + datetime.timedelta(days=1)).isoformat()}, format="json"
    )
    assert response.json()["expires_on"] == [f"人工调级的有效期不超过一年，最晚至 {last}。"]
    assert (
        client.post(URL, {"tier": "A", "reason": "x", "expires_on": last.isoformat()}, format="json").status_code == 201
    )


def test_one_year_after_a_29_february_is_the_28th():
    from tiering.services import one_year_after

    assert one_year_after(datetime.date(2028, 2, 29)) == datetime.date(2029, 2, 28)
    assert one_year_after(datetime.date(2026, 12, 2)) == datetime.date(2027, 12, 2)
