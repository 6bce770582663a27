"""A customer's product holdings kept from the browser (issue 17, point 3): the holding form reached from the customer
page's coverage card writes through `holding_set` and `holding_remove`, as the API's PUT and DELETE do, with the
same checks, under the visibility of §2 and the right `campaigns.change_holdings`."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client

from campaigns.models import CustomerProduct
from crm.models import AuditEntry
from tests.factories import HoldingFactory

pytestmark = pytest.mark.django_db

HOLDING = "/campaigns/customers/CD0001/products/VPMN/"
REMOVE = "/campaigns/customers/CD0001/products/VPMN/remove/"
DETAIL = "/customers/CD0001/"


def holding_data(**extra) -> dict:
    return {
        "active_users": "30",
        "monthly_revenue": "300.00",
        "subscribed_on": "2025-01-01",
        "last_used_on": "",
        **extra,
    }


@pytest.fixture
def holding(customers) -> CustomerProduct:
    return HoldingFactory(customer=customers["alice"], product_id="VPMN")


def test_anonymous_is_sent_to_login(customers):
    for method, path in (("get", HOLDING), ("post", HOLDING), ("post", REMOVE)):
        response = getattr(Client(), method)(path)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize("who", ["carol", "bob", "gd_paul"])
def test_an_outsider_gets_404(login, cast, holding, who):
    client = login(cast[who])
    assert client.get(HOLDING).status_code == 404
    assert client.post(HOLDING, holding_data()).status_code == 404
    assert client.post(REMOVE).status_code == 404
    assert CustomerProduct.objects.get(pk=holding.pk).active_users == 10


def test_an_unknown_product_is_404(login, cast, customers):
    assert login(cast["alice"]).get("/campaigns/customers/CD0001/products/NOPE/").status_code == 404


def test_provincial_staff_keep_holdings_as_the_api_lets_them(login, cast, holding):
    client = login(cast["paul"])
    assert b'data-testid="holding-link"' in client.get(DETAIL).content
    assert client.get(HOLDING).status_code == 200
    assert client.post(REMOVE).status_code == 302
    assert not CustomerProduct.objects.filter(pk=holding.pk).exists()


def test_the_coverage_card_links_each_product_to_its_holding_form(login, cast, customers):
    content = login(cast["alice"]).get(DETAIL).content.decode()
    assert f'href="{HOLDING}"' in content
    assert 'href="/campaigns/customers/CD0001/products/DEDICATED_LINE/"' in content


@pytest.mark.parametrize("who", ["alice", "dora"])
def test_a_holding_is_added_from_the_page_and_audited(login, cast, customers, who):
    client = login(cast[who])
    form = client.get(HOLDING)
    assert form.status_code == 200 and b'data-testid="not-held"' in form.content
    response = client.post(HOLDING, holding_data())
    assert response.status_code == 302 and response["Location"].startswith(DETAIL)
    held = CustomerProduct.objects.get(customer=customers["alice"], product_id="VPMN")
    assert (held.active_users, held.subscribed_on) == (30, datetime.date(2025, 1, 1))
    entry = AuditEntry.objects.get(object_type="campaigns.customerproduct")
    assert (entry.action, entry.username) == ("create", who)


def test_a_holding_is_changed_with_its_version(login, cast, holding):
    client = login(cast["alice"])
    version = client.get(HOLDING).context["form"]["version"].value()
    assert client.post(HOLDING, holding_data(active_users="50", version=version)).status_code == 302
    holding.refresh_from_db()
    assert holding.active_users == 50


def test_a_stale_holding_edit_is_refused(login, cast, holding):
    alice, dora = login(cast["alice"]), login(cast["dora"])
    version = alice.get(HOLDING).context["form"]["version"].value()
    assert dora.post(HOLDING, holding_data(active_users="70", version=version)).status_code == 302
    response = alice.post(HOLDING, holding_data(active_users="50", version=version))
    assert response.status_code == 200
    assert "dora" in " ".join(response.context["form"].non_field_errors())
    holding.refresh_from_db()
    assert holding.active_users == 70


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (holding_data(last_used_on="2024-01-01"), "last_used_on"),
        (holding_data(active_users="-1"), "active_users"),
        (holding_data(monthly_revenue="-5"), "monthly_revenue"),
        (holding_data(subscribed_on=""), "subscribed_on"),
    ],
)
def test_a_bad_holding_is_refused_on_its_field_as_the_api_refuses_it(login, api, cast, customers, data, field):
    page = login(cast["alice"]).post(HOLDING, data)
    assert page.status_code == 200
    assert page.context["form"].errors.get(field), page.context["form"].errors
    body = {name: value for name, value in data.items() if value != ""}
    answer = api(cast["alice"]).put("/api/v1/customers/CD0001/products/VPMN/", body, format="json")
    assert answer.status_code == 400 and field in answer.json()
    if field == "last_used_on":  # the model's own rule: the same words
        assert page.context["form"].errors[field] == answer.json()[field]
    assert not CustomerProduct.objects.exists()


def test_a_holding_is_ended_as_the_api_ends_it(login, cast, holding):
    response = login(cast["alice"]).post(REMOVE, {"version": ""})
    assert response.status_code == 302
    assert not CustomerProduct.objects.filter(pk=holding.pk).exists()
    assert AuditEntry.objects.filter(object_type="campaigns.customerproduct", action="delete").count() == 1


def test_ending_a_holding_changed_meanwhile_is_refused(login, cast, holding):
    client = login(cast["alice"])
    version = client.get(HOLDING).context["form"]["version"].value()
    CustomerProduct.objects.filter(pk=holding.pk).update(active_users=99)
    assert client.post(REMOVE, {"version": version}).status_code == 302
    assert CustomerProduct.objects.filter(pk=holding.pk).exists()
