"""Campaigns and their customer plans (一户一案, SPEC §6.2) through the API."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Customer
from campaigns.models import Campaign, CustomerPlan, CustomerProduct
from tests.factories import CustomerFactory, DepartmentFactory, TeamRoleFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/campaigns/"


@pytest.fixture
def b_tier(customers, cast, territory):
    """In 成都: alice's customer B with thin V网 (12 of 120 handsets), bob's customer B without V网, a C customer
    with covered V网; in 绵阳 carol's customer B (outside 成都)."""
    today = timezone.localdate()
    Customer.objects.filter(pk__in=[customers[k].pk for k in ("alice", "wuhou", "mianyang")]).update(tier="B")
    CustomerProduct.objects.create(
        customer=customers["alice"],
        product_id="VPMN",
        active_users=12,
        subscribed_on=datetime.date(2025, 1, 1),
        last_used_on=today,
    )
    c_customer = CustomerFactory(code="CD0009", region=territory["jinjiang"])
    Customer.objects.filter(pk=c_customer.pk).update(tier="C")
    TeamRoleFactory(customer=c_customer, user=cast["alice"])
    CustomerProduct.objects.create(
        customer=c_customer,
        product_id="VPMN",
        active_users=100,
        subscribed_on=datetime.date(2025, 1, 1),
        last_used_on=today,
    )
    return customers


def _body(**overrides):
    return {
        "name": "十二月V网提升",
        "kind": "product_push",
        "region": "510100",
        "starts_on": "2026-12-01",
        "ends_on": "2026-12-31",
        "target_products": ["VPMN"],
        "segment": {"tiers": ["B"], "coverage": ["thin", "uncovered"]},
        **overrides,
    }


def test_creating_a_campaign_gives_every_matching_visible_customer_a_plan(b_tier, cast, api):
    response = api(cast["dora"]).post(URL, _body(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["plans_count"], body["conflicts"], body["department"]) == (2, [], cast["dora"].department_id)
    campaign = Campaign.objects.get()
    plans = {plan.customer.code: plan for plan in campaign.plans.select_related("customer", "owner")}
    assert set(plans) == {"CD0001", "CD0002"}  # 绵阳's B customer lies outside the region; CD0009 is C
    assert plans["CD0001"].owner.username == "alice" and plans["CD0002"].owner.username == "bob"
    assert [p.code for p in plans["CD0001"].gap_products.all()] == ["VPMN"]
    assert plans["CD0001"].stage == "screened"
    assert "集团V网" in plans["CD0001"].objective
    listed = api(cast["dora"]).get(f"{URL}{campaign.pk}/plans/").json()
    assert [(p["customer"], p["stage"], p["gap_products"]) for p in listed["results"]] == [
        ("CD0001", "screened", ["VPMN"]),
        ("CD0002", "screened", ["VPMN"]),
    ]


def test_an_account_manager_sees_only_the_plans_of_her_customers(b_tier, cast, api):
    campaign_id = api(cast["dora"]).post(URL, _body(), format="json").json()["id"]
    alice = api(cast["alice"])
    assert [c["id"] for c in alice.get(URL).json()["results"]] == [campaign_id]
    assert [p["customer"] for p in alice.get(f"{URL}{campaign_id}/plans/").json()["results"]] == ["CD0001"]
    assert api(cast["carol"]).get(f"{URL}{campaign_id}/").status_code == 404
    assert api(cast["gd_paul"]).get(f"{URL}{campaign_id}/plans/").status_code == 404


def test_two_departments_targeting_a_customer_in_overlapping_periods_conflict(b_tier, cast, territory, api):
    first = api(cast["dora"]).post(URL, _body(), format="json").json()["id"]
    other = DepartmentFactory(name="锦江区政企客户部", region=territory["jinjiang"])
    second = (
        api(cast["paul"])
        .post(
            URL,
            _body(region="510104", department=other.pk, starts_on="2026-12-15", ends_on="2027-01-15"),
            format="json",
        )
        .json()
    )
    assert second["conflicts"] == [first]
    assert api(cast["dora"]).get(f"{URL}{first}/").json()["conflicts"] == [second["id"]]
    later = (
        api(cast["paul"])
        .post(
            URL,
            _body(region="510104", department=other.pk, starts_on="2027-02-01", ends_on="2027-02-28"),
            format="json",
        )
        .json()
    )
    assert later["conflicts"] == []  # no overlap in time


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"ends_on": "2026-11-30"}, "ends_on", "cannot end before it starts"),
        ({"target_products": []}, "target_products", "at least one target product"),
        ({"segment": {"tiers": ["A+"]}}, "segment", "matches no customer"),
        ({"segment": {"tiers": ["Z"]}}, "segment", "Unknown tiers: Z"),
        ({"region": "510700"}, "region", "outside your territory"),
    ],
)
def test_bad_input_says_why_and_creates_nothing(b_tier, cast, api, overrides, field, message):
    client = api(cast["dora"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(URL, _body(**overrides), format="json")
    assert response.status_code == 400, response.content
    assert message in str(response.json()[field])
    assert not Campaign.objects.exists() and not CustomerPlan.objects.exists()


def test_account_managers_do_not_plan_campaigns(b_tier, cast, api):
    assert api(cast["alice"]).post(URL, _body(region="510104"), format="json").status_code == 403
    assert not Campaign.objects.exists()


def test_an_anonymous_caller_is_refused(db):
    assert APIClient().get(URL).status_code == 401


def test_a_plan_moves_along_the_path_and_back_only_with_a_reason(b_tier, cast, api):
    campaign_id = api(cast["dora"]).post(URL, _body(), format="json").json()["id"]
    plan = CustomerPlan.objects.get(customer__code="CD0001")
    alice = api(cast["alice"])
    alice.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    url = f"{URL}{campaign_id}/plans/{plan.pk}/"
    response = alice.patch(url, {"stage": "visited"}, format="json")
    assert response.status_code == 200 and response.json()["stage"] == "visited"
    response = alice.patch(url, {"stage": "opportunity"}, format="json")
    assert response.status_code == 400 and "needs a reason" in response.json()["reason"][0]
    plan.refresh_from_db()
    assert plan.stage == "visited"
    assert alice.patch(url, {"stage": "opportunity", "reason": "客户预算推迟"}, format="json").status_code == 200
    history = list(plan.changes.values_list("from_stage", "to_stage", "reason", "changed_by__username"))
    assert history == [("screened", "visited", "", "alice"), ("visited", "opportunity", "客户预算推迟", "alice")]
    bob_plan = CustomerPlan.objects.get(customer__code="CD0002")
    assert (
        alice.patch(f"{URL}{campaign_id}/plans/{bob_plan.pk}/", {"stage": "visited"}, format="json").status_code == 404
    )
