"""Campaigns and their customer plans (一户一案, SPEC §6.2) through the API."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from campaigns.models import Campaign, CustomerPlan
from teams.models import Visit
from tests.factories import DepartmentFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/campaigns/"


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


def _running(**overrides):
    """A campaign running today, for visits logged now."""
    today = timezone.localdate()
    return _body(starts_on=str(today), ends_on=str(today + datetime.timedelta(days=30)), **overrides)


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


def test_a_plan_s_gap_products_and_owner_change_by_patch(b_tier, cast, api):
    campaign_id = api(cast["dora"]).post(URL, _body(target_products=["VPMN", "GROUP_SMS"]), format="json").json()["id"]
    plan = CustomerPlan.objects.get(customer__code="CD0001")
    url = f"{URL}{campaign_id}/plans/{plan.pk}/"
    dora = api(cast["dora"])
    dora.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = dora.patch(url, {"gap_products": ["GROUP_SMS"], "owner": "dora"}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["gap_products"], response.json()["owner"]) == (["GROUP_SMS"], "dora")
    response = dora.patch(url, {"gap_products": ["IOT"]}, format="json")
    assert response.status_code == 400 and "IOT is not a target product" in response.json()["gap_products"][0]
    response = dora.patch(url, {"owner": "bob"}, format="json")  # not on the customer's team
    assert response.status_code == 400 and "does not see this customer" in response.json()["owner"][0]
    response = dora.patch(url, {"customer": "CD0002"}, format="json")
    assert response.status_code == 400 and "customer" in response.json()
    plan.refresh_from_db()
    assert plan.owner.username == "dora" and [p.code for p in plan.gap_products.all()] == ["GROUP_SMS"]


def test_an_account_manager_may_not_hand_a_plan_to_someone_else(b_tier, cast, api):
    campaign_id = api(cast["dora"]).post(URL, _body(), format="json").json()["id"]
    plan = CustomerPlan.objects.get(customer__code="CD0001")
    response = api(cast["alice"]).patch(f"{URL}{campaign_id}/plans/{plan.pk}/", {"owner": "bob"}, format="json")
    assert response.status_code == 403
    plan.refresh_from_db()
    assert plan.owner.username == "alice"


def test_a_logged_visit_moves_the_plans_it_was_for_to_visited(b_tier, cast, api):
    api(cast["dora"]).post(URL, _running(), format="json")
    plan = CustomerPlan.objects.get(customer__code="CD0001")
    alice = api(cast["alice"])
    body = {"customer": "CD0001", "summary": "介绍集团V网扩容方案", "plans": [plan.pk]}
    response = alice.post("/api/v1/visits/", body, format="json")
    assert response.status_code == 201, response.content
    plan.refresh_from_db()
    assert plan.stage == "visited"
    change = plan.changes.get()
    assert (change.from_stage, change.to_stage, change.visit_id) == ("screened", "visited", response.json()["id"])


def test_a_visit_cannot_move_another_customer_s_plan_and_saves_nothing(b_tier, cast, api):
    api(cast["dora"]).post(URL, _running(), format="json")
    other = CustomerPlan.objects.get(customer__code="CD0002")
    alice = api(cast["alice"])
    alice.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = {"customer": "CD0001", "summary": "例行走访", "plans": [other.pk]}
    response = alice.post("/api/v1/visits/", body, format="json")
    assert response.status_code == 400  # as for an id that does not exist: nothing told of other customers
    assert response.json()["plans"] == [f"No campaign plan with id {other.pk}."]
    other.refresh_from_db()
    assert other.stage == "screened"
    assert not Visit.objects.exists()


def test_a_visit_does_not_move_a_plan_past_the_visit_step(b_tier, cast, api):
    api(cast["dora"]).post(URL, _running(), format="json")
    plan = CustomerPlan.objects.get(customer__code="CD0001")
    CustomerPlan.objects.filter(pk=plan.pk).update(stage="opened")
    alice = api(cast["alice"])
    alice.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = alice.post(
        "/api/v1/visits/", {"customer": "CD0001", "summary": "回访", "plans": [plan.pk]}, format="json"
    )
    assert response.status_code == 400 and "past the visit step" in response.json()["plans"][0]
    assert not Visit.objects.exists()


def test_plans_count_and_conflicts_hold_only_what_the_caller_sees(b_tier, cast, territory, api):
    first = api(cast["dora"]).post(URL, _body(), format="json").json()["id"]
    assert api(cast["alice"]).get(f"{URL}{first}/").json()["plans_count"] == 1  # of 2: bob's customer is hidden
    assert api(cast["alice"]).get(URL).json()["results"][0]["plans_count"] == 1
    assert api(cast["dora"]).get(URL).json()["results"][0]["plans_count"] == 2
    # a province-wide campaign of the provincial department, which the Chengdu head does not see
    province = DepartmentFactory(name="四川省政企客户部", region=territory["sichuan"])
    second = api(cast["paul"]).post(URL, _body(region="510000", department=province.pk), format="json").json()
    assert second["conflicts"] == [first]
    assert api(cast["dora"]).get(f"{URL}{first}/").json()["conflicts"] == []  # she may not open it
    assert api(cast["paul"]).get(f"{URL}{first}/").json()["conflicts"] == [second["id"]]


def test_a_misspelt_segment_key_is_refused_and_creates_nothing(b_tier, cast, api):
    client = api(cast["dora"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(URL, _body(segment={"tier": ["A"]}), format="json")
    assert response.status_code == 400 and "tier" in response.json()["segment"]
    assert not Campaign.objects.exists() and not CustomerPlan.objects.exists()


def test_the_campaign_list_reads_a_fixed_number_of_queries(b_tier, cast, api, django_assert_num_queries):
    client = api(cast["dora"])
    for month in ("2026-12", "2027-01"):
        client.post(URL, _body(starts_on=f"{month}-01", ends_on=f"{month}-28"), format="json")
    client.get(URL)
    # token and user, the user's department and region, count, page, target products, plan counts, and one
    # question per campaign shown: which visible campaigns conflict with it (at most a page of them)
    with django_assert_num_queries(9):
        assert len(client.get(URL).json()["results"]) == 2
    client.post(URL, _body(starts_on="2027-02-01", ends_on="2027-02-28"), format="json")
    with django_assert_num_queries(10):
        assert len(client.get(URL).json()["results"]) == 3


def test_a_visit_outside_the_campaign_s_period_does_not_move_its_plan(b_tier, cast, api):
    api(cast["dora"]).post(URL, _body(), format="json")  # December 2026
    plan = CustomerPlan.objects.get(customer__code="CD0001")
    # A department head, who may log a visit of an earlier month (an account manager logs this month's only).
    dora = api(cast["dora"])
    dora.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = {"customer": "CD0001", "summary": "例行走访", "plans": [plan.pk], "visited_at": "2026-11-20T10:00:00+08:00"}
    response = dora.post("/api/v1/visits/", body, format="json")
    assert response.status_code == 400 and "outside the period" in response.json()["plans"][0]
    assert not Visit.objects.exists()
