"""Previews before the big actions of campaigns (issue 18, point 7): creating a campaign shows its plan count and
the campaigns already working the same customers in an overlapping period (channel conflicts, with how many customers
each shares) before anything is created, and the confirmation creates exactly that or says the numbers changed;
closing a call list and cancelling a campaign show what they end first. A cancelled campaign keeps its plans,
closed. And the campaign form's industry picker, grouped by segment (point 10)."""

from __future__ import annotations

import datetime
import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from accounts.models import Customer, Industry
from campaigns import selectors, services
from campaigns.models import CallEntry, CallList, Campaign, CustomerPlan, PlanStage, Product
from crm.models import AuditEntry
from tests.campaigns.test_call_lists import WANG, build_calling
from tests.campaigns.test_campaign_pages import _form
from tests.factories import CustomerFactory, DepartmentFactory, TeamRoleFactory

pytestmark = pytest.mark.django_db


def _english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _campaign(department, region, *, days=(0, 30), name="行业部V网推广", customers=(), cancelled=False) -> Campaign:
    today = timezone.localdate()
    campaign = Campaign.objects.create(
        name=name,
        kind="product_push",
        department=department,
        region=region,
        starts_on=today + datetime.timedelta(days=days[0]),
        ends_on=today + datetime.timedelta(days=days[1]),
        cancelled_at=timezone.now() if cancelled else None,
        cancel_reason="重复" if cancelled else "",
    )
    campaign.target_products.set(["VPMN"])
    for customer in customers:
        CustomerPlan.objects.create(campaign=campaign, customer=customer, objective="V网")
    return campaign


@pytest.fixture
def rivals(b_tier, cast, territory):
    """Around a campaign of dora's department over 成都's B customers (CD0001 alice's, CD0002 bob's), running the next
    30 days: another department's campaign working both (a conflict of 2), another's working CD0001 only (1), one
    that ended before (none), a cancelled one (none), and one of dora's own department (not a conflict)."""
    industry_dept = DepartmentFactory(name="成都市行业客户部", region=territory["chengdu"])
    sme_dept = DepartmentFactory(name="成都市中小企业部", region=territory["chengdu"])
    both, one = b_tier["alice"], b_tier["wuhou"]
    return {
        "both": _campaign(industry_dept, territory["chengdu"], name="行业部V网推广", customers=[both, one]),
        "one": _campaign(sme_dept, territory["chengdu"], days=(20, 60), name="中小企业部专线", customers=[one]),
        "past": _campaign(industry_dept, territory["chengdu"], days=(-60, -1), name="上季度活动", customers=[both]),
        "cancelled": _campaign(
            industry_dept, territory["chengdu"], name="已取消活动", customers=[both], cancelled=True
        ),
        "own": _campaign(cast["dora"].department, territory["chengdu"], name="本部门老活动", customers=[both]),
    }


# -- creating a campaign: preview, confirm ---------------------------------------------------------------------------


def test_the_preview_shows_the_plans_and_the_conflicts_with_their_overlaps_and_creates_nothing(rivals, cast, login):
    before = (
        Campaign.objects.count(),
        CustomerPlan.objects.count(),
        AuditEntry.objects.exclude(action="login").count(),
    )
    response = _english(login(cast["dora"])).post("/campaigns/new/", _form())
    assert response.status_code == 200
    preview = response.context["preview"]
    assert preview.plans == 2
    assert [(o.campaign.name, o.customers) for o in preview.conflicts] == [("行业部V网推广", 2), ("中小企业部专线", 1)]
    assert [(o.campaign.name, o.customers) for o in preview.same_department] == [("本部门老活动", 1)]
    page = response.content.decode()
    assert "2 customer plans will be created" in page
    table = page[page.index('data-testid="preview-conflicts"') :].split("</table>")[0]
    assert re.findall(r'data-campaign="(\d+)"', table) == [str(rivals["both"].pk), str(rivals["one"].pk)]
    assert re.findall(r'data-testid="overlap">(\d+)<', table) == ["2", "1"]
    assert "上季度活动" not in page and "已取消活动" not in page  # over before, or cancelled: no conflict
    assert "集团V网" in table  # the target products both share
    # the form rides along, hidden, with the fingerprint of what was shown
    assert f'name="fingerprint" value="{preview.fingerprint}"' in page
    assert 'type="hidden" name="tiers" value="B"' in page
    assert (
        Campaign.objects.count(),
        CustomerPlan.objects.count(),
        AuditEntry.objects.exclude(action="login").count(),
    ) == before


def test_confirming_creates_exactly_what_was_previewed(rivals, cast, login):
    client = login(cast["dora"])
    preview = client.post("/campaigns/new/", _form()).context["preview"]
    response = client.post("/campaigns/new/", {**_form(), "step": "confirm", "fingerprint": preview.fingerprint})
    assert response.status_code == 302
    campaign = Campaign.objects.get(name="V网薄覆盖提升")
    assert response["Location"] == f"/campaigns/{campaign.pk}/"
    assert campaign.plans.count() == preview.plans == 2
    # the campaign page flags the very conflicts the preview showed
    assert selectors.conflicts_of(campaign) == sorted(o.campaign.pk for o in preview.conflicts)


def test_a_stale_preview_creates_nothing_and_shows_the_new_numbers(rivals, cast, login, territory):
    client = _english(login(cast["dora"]))
    shown = client.post("/campaigns/new/", _form()).context["preview"]
    # meanwhile a third B customer appears in 成都, and the smaller rival takes on CD0001 as well
    newcomer = CustomerFactory(code="CD0077", region=territory["jinjiang"])
    Customer.objects.filter(pk=newcomer.pk).update(tier="B")
    TeamRoleFactory(customer=newcomer, user=cast["alice"])
    CustomerPlan.objects.create(campaign=rivals["one"], customer=Customer.objects.get(code="CD0001"), objective="专线")

    response = client.post("/campaigns/new/", {**_form(), "step": "confirm", "fingerprint": shown.fingerprint})
    assert response.status_code == 409
    assert not Campaign.objects.filter(name="V网薄覆盖提升").exists()
    page = response.content.decode()
    assert 'data-testid="preview-changed"' in page and "The numbers changed since the preview" in page
    fresh = response.context["preview"]
    assert fresh.plans == 3
    assert [(o.campaign.name, o.customers) for o in fresh.conflicts] == [("行业部V网推广", 2), ("中小企业部专线", 2)]
    # confirming the new numbers creates them
    response = client.post("/campaigns/new/", {**_form(), "step": "confirm", "fingerprint": fresh.fingerprint})
    assert response.status_code == 302
    assert Campaign.objects.get(name="V网薄覆盖提升").plans.count() == 3


def test_a_confirmation_without_a_preview_creates_nothing(b_tier, cast, login):
    response = login(cast["dora"]).post("/campaigns/new/", {**_form(), "step": "confirm"})
    assert response.status_code == 409
    assert not Campaign.objects.exists() and not CustomerPlan.objects.exists()


def test_the_service_refuses_a_stale_fingerprint_and_the_api_still_creates_at_once(b_tier, cast, api):
    data = {
        "name": "V网",
        "kind": "product_push",
        "region": b_tier["alice"].region.parent.parent,
        "starts_on": timezone.localdate(),
        "ends_on": timezone.localdate() + datetime.timedelta(days=9),
        "target_products": [Product.objects.get(code="VPMN")],
        "segment": {"tiers": ["B"]},
    }
    preview = services.campaign_preview(user=cast["dora"], data=data)
    assert (preview.plans, preview.overlaps) == (2, [])
    with pytest.raises(services.PreviewChanged):
        services.campaign_create(user=cast["dora"], data=data, expected="0" * 32)
    assert not Campaign.objects.exists()
    # the API keeps its contract: one POST creates (its callers read `plans_count` and `conflicts` back)
    response = api(cast["dora"]).post(
        "/api/v1/campaigns/",
        {
            "name": "V网",
            "kind": "product_push",
            "region": "510100",
            "starts_on": str(data["starts_on"]),
            "ends_on": str(data["ends_on"]),
            "target_products": ["VPMN"],
            "segment": {"tiers": ["B"]},
        },
        format="json",
    )
    assert response.status_code == 201 and response.json()["plans_count"] == 2


def test_the_preview_says_what_is_wrong_in_the_users_language(b_tier, cast, login):
    response = login(cast["dora"]).post("/campaigns/new/", _form(tiers=["A+"]))
    assert response.status_code == 400
    assert "没有匹配" in response.content.decode() or "matches no customer" in response.content.decode()
    assert not Campaign.objects.exists()


def test_back_to_the_form_keeps_what_was_entered(b_tier, cast, login):
    response = login(cast["dora"]).post("/campaigns/new/", {**_form(name="十二月V网"), "step": "edit"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="campaign-form"' in page and 'value="十二月V网"' in page
    assert not Campaign.objects.exists()


@pytest.mark.parametrize("step", ["preview", "confirm"])
def test_who_may_preview_and_create(b_tier, cast, login, step):
    form = {**_form(), "step": step, "fingerprint": "x"}
    assert login(cast["alice"]).post("/campaigns/new/", form).status_code == 403  # account managers do not plan
    response = Client().post("/campaigns/new/", form)
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert not Campaign.objects.exists()


def test_provincial_staff_of_another_province_cannot_plan_in_this_one(b_tier, cast, login):
    response = _english(login(cast["gd_paul"])).post("/campaigns/new/", _form())
    assert response.status_code == 400  # 成都 is not among the regions offered
    assert 'data-field="region"' in response.content.decode()
    assert not Campaign.objects.exists()


# -- the industry picker ---------------------------------------------------------------------------------------------


def test_the_industry_picker_groups_checkboxes_by_segment_and_posts_the_same_field(b_tier, cast, login):
    client = login(cast["dora"])
    page = client.get("/campaigns/new/").content.decode()
    picker = page[page.index('data-testid="industry-picker"') :].split("</fieldset>")[0]
    assert "<select" not in picker and "Ctrl" not in page
    segments = re.findall(r'data-segment="(\w+)"', picker)
    assert segments and len(segments) == len(set(segments))
    industries = list(Industry.objects.all())
    boxes = re.findall(r'<input type="checkbox" name="industries" value="(\w+)"', picker)
    assert sorted(boxes) == sorted(industry.code for industry in industries)
    # each box sits under its own segment's heading
    for chunk in picker.split('data-segment="')[1:]:
        segment = chunk.split('"')[0]
        codes = re.findall(r'name="industries" value="(\w+)"', chunk)
        assert {industry.segment for industry in industries if industry.code in codes} == {segment}
    # ticked industries narrow the segment as before
    customer = Customer.objects.get(code="CD0001")
    response = client.post("/campaigns/new/", _form(industries=[customer.industry_id]))
    assert response.status_code == 200
    wanted = Customer.objects.filter(code__in=["CD0001", "CD0002"], industry_id=customer.industry_id).count()
    assert response.context["preview"].plans == wanted
    assert f'type="hidden" name="industries" value="{customer.industry_id}"' in response.content.decode()


def test_a_ticked_industry_stays_ticked_when_the_form_comes_back(b_tier, cast, login):
    code = Industry.objects.order_by("code").values_list("code", flat=True).first()
    response = login(cast["dora"]).post("/campaigns/new/", {**_form(industries=[code]), "step": "edit"})
    assert re.search(rf'name="industries" value="{code}"[^>]*checked', response.content.decode())


# -- cancelling a campaign -------------------------------------------------------------------------------------------


@pytest.fixture
def calling(cast, customers, territory):
    return build_calling(cast, customers, territory)


def test_the_cancel_preview_counts_what_it_closes_and_changes_nothing(calling, cast, login):
    campaign = calling["campaign"]
    services.call_list_build(user=cast["alice"], campaign=campaign)
    plan = campaign.plans.get(customer=calling["alice"])
    services.plan_stage_set(user=cast["alice"], plan=plan, stage=PlanStage.OPENED)
    response = _english(login(cast["dora"])).get(f"/campaigns/{campaign.pk}/cancel/")
    assert response.status_code == 200
    preview = response.context["preview"]
    plans = campaign.plans.count()
    opened = campaign.plans.filter(stage__in=["opened", "after_sales"]).count()
    assert opened >= 1
    assert (preview.plans, preview.opened, preview.in_play + preview.opened + preview.lost) == (plans, opened, plans)
    assert preview.open_call_lists == 1 and preview.numbers_to_call > 0
    page = response.content.decode()
    assert f"{plans} customer plans are closed" in page
    campaign.refresh_from_db()
    assert not campaign.is_cancelled and CallList.objects.get().is_open


def test_cancelling_closes_the_plans_keeps_them_and_is_audited(calling, cast, login, territory):
    campaign = calling["campaign"]
    call_list = services.call_list_build(user=cast["alice"], campaign=campaign)
    stages = dict(campaign.plans.values_list("pk", "stage"))
    client = _english(login(cast["dora"]))
    response = client.post(f"/campaigns/{campaign.pk}/cancel/", {"reason": "  "})
    assert response.status_code == 400 and 'data-field="reason"' in response.content.decode()
    campaign.refresh_from_db()
    assert not campaign.is_cancelled

    response = client.post(f"/campaigns/{campaign.pk}/cancel/", {"reason": "与行业部活动重复"})
    assert response.status_code == 302 and response["Location"] == f"/campaigns/{campaign.pk}/"
    campaign.refresh_from_db()
    assert campaign.is_cancelled and campaign.cancelled_by == cast["dora"]
    assert campaign.cancel_reason == "与行业部活动重复"
    assert dict(campaign.plans.values_list("pk", "stage")) == stages  # kept, where they stood
    call_list.refresh_from_db()
    assert not call_list.is_open
    entry = AuditEntry.objects.get(object_type="campaigns.campaign", object_id=str(campaign.pk))
    assert entry.changes["cancel_reason"] == ["", "与行业部活动重复"]
    assert entry.detail["plans"] == len(stages)
    closed = AuditEntry.objects.filter(object_type="campaigns.customerplan", changes__closed__isnull=False)
    assert sorted(int(pk) for pk in closed.values_list("object_id", flat=True)) == sorted(stages)
    assert {row.customer_code for row in closed} == set(campaign.plans.values_list("customer__code", flat=True))

    # shown as cancelled, read-only
    listed = client.get("/campaigns/").content.decode()
    row = listed[listed.index(f'data-campaign="{campaign.pk}"') :].split("</tr>")[0]
    assert 'data-testid="cancelled"' in row
    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert 'data-testid="cancelled-note"' in page and "与行业部活动重复" in page
    assert "plan-move" not in page and 'data-testid="cancel-campaign"' not in page
    # and refused where a plan would move or be worked
    plan = campaign.plans.get(customer=calling["alice"])
    client_alice = _english(login(cast["alice"]))
    client_alice.post(f"/campaigns/{campaign.pk}/plans/{plan.pk}/move/", {"stage": "opportunity"})
    plan.refresh_from_db()
    assert plan.stage == stages[plan.pk]
    with pytest.raises(Exception, match="cancelled"):
        services.call_list_build(user=cast["alice"], campaign=campaign)
    assert not selectors.plans_to_visit(calling["alice"]).filter(campaign=campaign).exists()
    # the customer page marks the plan as one of a cancelled campaign
    customer_page = client_alice.get(f"/customers/{calling['alice'].code}/").content.decode()
    row = customer_page[customer_page.index(f'<tr data-campaign="{campaign.pk}"') :].split("</tr>")[0]
    assert 'data-testid="plan-cancelled"' in row and "与行业部活动重复" in row
    assert not selectors.plans_idle(timezone.localdate()).filter(campaign=campaign).exists()
    # cancelling twice is refused
    assert client.get(f"/campaigns/{campaign.pk}/cancel/").status_code == 302
    assert client.post(f"/campaigns/{campaign.pk}/cancel/", {"reason": "再来"}).status_code == 400


def test_the_api_refuses_to_move_a_plan_of_a_cancelled_campaign(calling, cast, api):
    campaign = calling["campaign"]
    services.campaign_cancel(user=cast["paul"], campaign=campaign, reason="预算取消")
    plan = campaign.plans.get(customer=calling["alice"])
    response = api(cast["alice"]).patch(
        f"/api/v1/campaigns/{campaign.pk}/plans/{plan.pk}/", {"stage": "opportunity"}, format="json"
    )
    assert response.status_code == 400
    plan.refresh_from_db()
    assert plan.stage == PlanStage.SCREENED


def test_a_cancelled_campaign_is_no_conflict_for_a_new_one(rivals, cast, login):
    services.campaign_cancel(user=cast["paul"], campaign=rivals["both"], reason="并入中小企业部活动")
    preview = login(cast["dora"]).post("/campaigns/new/", _form()).context["preview"]
    assert [(o.campaign.name, o.customers) for o in preview.conflicts] == [("中小企业部专线", 1)]
    assert selectors.conflicts_of(rivals["both"]) == []
    assert rivals["both"].pk not in selectors.conflicts_of(rivals["one"])


def test_who_may_cancel(calling, cast, login):
    url = f"/campaigns/{calling['campaign'].pk}/cancel/"
    for who in ("alice", "bob"):  # they see the campaign (plans of theirs) but do not plan campaigns
        assert login(cast[who]).get(url).status_code == 403
        assert login(cast[who]).post(url, {"reason": "x"}).status_code == 403
    for who in ("carol", "gd_paul"):  # another city, another province
        assert login(cast[who]).get(url).status_code == 404
        assert login(cast[who]).post(url, {"reason": "x"}).status_code == 404
    for method in ("get", "post"):
        response = getattr(Client(), method)(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert not Campaign.objects.get().is_cancelled
    assert login(cast["paul"]).get(url).status_code == 200  # provincial staff
    assert login(cast["paul"]).post(url, {"reason": "省公司统一取消"}).status_code == 302
    assert Campaign.objects.get().is_cancelled


# -- closing a call list ---------------------------------------------------------------------------------------------


def test_closing_a_call_list_shows_what_it_ends_then_closes(calling, cast, login):
    call_list = services.call_list_build(user=cast["alice"], campaign=calling["campaign"])
    entry = call_list.entries.get(mobile=WANG)
    services.call_outcome_record(
        user=cast["alice"],
        entry=entry,
        outcome="call_back",
        note="",
        call_back_at=timezone.now() + datetime.timedelta(days=2),
    )
    pending = call_list.entries.count() - CallEntry.objects.filter(call_list=call_list, attempts__gte=7).count()
    client = _english(login(cast["alice"]))
    response = client.get(f"/campaigns/call-lists/{call_list.pk}/close/")
    assert response.status_code == 200
    preview = response.context["preview"]
    assert (preview.entries, preview.call_backs, preview.call_backs_due) == (call_list.entries.count(), 1, 0)
    assert preview.pending == selectors.call_lists_counted(cast["alice"], [call_list])[0].pending_count
    assert preview.pending <= pending
    assert f"{preview.pending} of {preview.entries} numbers are still to call" in response.content.decode()
    call_list.refresh_from_db()
    assert call_list.is_open  # the preview closes nothing

    response = client.post(f"/campaigns/call-lists/{call_list.pk}/close/")
    assert response.status_code == 302 and response["Location"] == f"/campaigns/call-lists/{call_list.pk}/"
    call_list.refresh_from_db()
    assert not call_list.is_open
    assert client.get(f"/campaigns/call-lists/{call_list.pk}/close/").status_code == 302  # already closed


def test_who_may_close_a_call_list(calling, cast, login):
    call_list = services.call_list_build(user=cast["alice"], campaign=calling["campaign"])
    url = f"/campaigns/call-lists/{call_list.pk}/close/"
    assert login(cast["dora"]).get(url).status_code == 403  # she sees it, but is neither its agent nor its builder
    assert login(cast["dora"]).post(url).status_code == 403
    assert login(cast["carol"]).get(url).status_code == 404
    assert login(cast["carol"]).post(url).status_code == 404
    assert Client().post(url)["Location"].startswith("/login/")
    call_list.refresh_from_db()
    assert call_list.is_open


def test_the_api_cancels_a_campaign_with_a_reason(calling, cast, api):
    campaign = calling["campaign"]
    plans = campaign.plans.count()
    url = f"/api/v1/campaigns/{campaign.pk}/cancel/"
    assert api(cast["alice"]).post(url, {"reason": "x"}, format="json").status_code == 403
    assert api(cast["carol"]).post(url, {"reason": "x"}, format="json").status_code == 404
    assert api(cast["dora"]).post(url, {}, format="json").status_code == 400
    response = api(cast["dora"]).post(url, {"reason": "预算取消"}, format="json")
    assert response.status_code == 200
    # the campaign as GET returns it: the contract's fields, no new ones
    assert response.json() == api(cast["dora"]).get(f"/api/v1/campaigns/{campaign.pk}/").json()
    campaign.refresh_from_db()
    assert campaign.is_cancelled and campaign.plans.count() == plans
    assert api(cast["dora"]).post(url, {"reason": "再来"}, format="json").status_code == 400
