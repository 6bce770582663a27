"""Campaign pages (SPEC §6.2): planning a campaign, its page (funnel, results against the goal, progress per
manager), moving plans, activities and the monthly-activity rule, the channel conflict on the customer page."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from campaigns import services
from campaigns.models import Activity, Campaign, CustomerPlan, PlanStage, Product
from crm.periods import Period
from tests.factories import DepartmentFactory

pytestmark = pytest.mark.django_db


def _form(**overrides) -> dict:
    today = timezone.localdate()
    return {
        "name": "V网薄覆盖提升",
        "kind": "product_push",
        "department": "",
        "region": "510100",
        "starts_on": today.isoformat(),
        "ends_on": (today + datetime.timedelta(days=30)).isoformat(),
        "target_products": ["VPMN"],
        "tiers": ["B"],
        "coverage": ["thin", "uncovered"],
        "goal_openings": "2",
        "goal_revenue": "5000",
        **overrides,
    }


def _english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def campaign(b_tier, cast) -> Campaign:
    today = timezone.localdate()
    return services.campaign_create(
        user=cast["dora"],
        data={
            "name": "V网薄覆盖提升",
            "kind": "product_push",
            "region": b_tier["alice"].region.parent.parent,  # 成都
            "starts_on": today,
            "ends_on": today + datetime.timedelta(days=30),
            "target_products": [Product.objects.get(code="VPMN")],
            "segment": {"tiers": ["B"]},
            "goal_openings": 2,
            "goal_revenue": Decimal("5000"),
        },
    )


def test_a_department_head_plans_a_campaign_from_the_form(b_tier, cast, login):
    client = login(cast["dora"])
    form = _form(department=str(cast["dora"].department_id))
    preview = client.post("/campaigns/new/", form)
    assert preview.status_code == 200 and not Campaign.objects.exists()  # the preview first, nothing created
    response = client.post(
        "/campaigns/new/", {**form, "step": "confirm", "fingerprint": preview.context["preview"].fingerprint}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    campaign = Campaign.objects.get()
    assert response["Location"] == f"/campaigns/{campaign.pk}/"
    assert (campaign.segment, campaign.goal_openings) == (
        {"tiers": ["B"], "industries": [], "coverage": ["thin", "uncovered"]},
        2,
    )
    assert sorted(campaign.plans.values_list("customer__code", flat=True)) == ["CD0001", "CD0002"]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"ends_on": "2020-01-01"}, "ends_on", "cannot end before it starts"),
        ({"target_products": []}, "target_products", "This field is required"),
        ({"tiers": ["A+"]}, None, "matches no customer"),
    ],
)
def test_the_form_says_what_is_wrong_and_creates_nothing(b_tier, cast, login, overrides, field, message):
    response = _english(login(cast["dora"])).post("/campaigns/new/", _form(**overrides))
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    if field:
        assert f'data-field="{field}"' in page
    assert not Campaign.objects.exists() and not CustomerPlan.objects.exists()


def test_account_managers_do_not_plan_campaigns_from_the_form(b_tier, cast, login):
    client = login(cast["alice"])
    assert client.get("/campaigns/new/").status_code == 403
    assert client.post("/campaigns/new/", _form(region="510104")).status_code == 403
    assert not Campaign.objects.exists()


def _funnel(page: str) -> dict[str, str]:
    return dict(re.findall(r'data-stage="(\w+)"><td>[^<]*</td><td class="num" data-testid="reached">(\d+)<', page))


def test_the_campaign_page_shows_the_funnel_results_and_managers(campaign, cast, login):
    alice_plan = campaign.plans.get(customer__code="CD0001")
    services.plan_stage_set(user=cast["alice"], plan=alice_plan, stage=PlanStage.OPENED)
    Activity.objects.create(
        campaign=campaign,
        department=campaign.department,
        held_on=timezone.localdate(),
        place="锦江区政务中心",
        attendance=40,
        new_subscriptions=3,
        revenue=Decimal("1200.50"),
    )
    page = login(cast["dora"]).get(f"/campaigns/{campaign.pk}/").content.decode()
    assert _funnel(page) == {"screened": "2", "opportunity": "1", "visited": "1", "opened": "1", "after_sales": "0"}
    results = page[page.index('data-testid="results"') :]
    assert re.search(r'data-testid="opened">1 / 2', results)
    assert "1,200.50 / 5,000.00" in results
    managers = page[page.index('data-testid="managers"') :]
    alice_row = managers[managers.index('data-owner="alice"') :].split("</tr>")[0]
    assert f'<a href="?owner=alice">{cast["alice"].display_name}</a>' in alice_row
    assert re.findall(r'class="num">(\d+)', alice_row) == ["0", "0", "0", "1", "0", "0", "1", "1"]
    assert "锦江区政务中心" in page


def test_the_campaign_page_shows_each_reader_only_the_plans_they_see(campaign, cast, login, client):
    alice_page = login(cast["alice"]).get(f"/campaigns/{campaign.pk}/").content.decode()
    assert 'data-customer="CD0001"' in alice_page and 'data-customer="CD0002"' not in alice_page
    assert login(cast["carol"]).get(f"/campaigns/{campaign.pk}/").status_code == 404  # another city
    assert login(cast["gd_paul"]).get(f"/campaigns/{campaign.pk}/").status_code == 404  # another province
    paul_page = login(cast["paul"]).get(f"/campaigns/{campaign.pk}/").content.decode()
    assert 'data-customer="CD0001"' in paul_page and 'data-customer="CD0002"' in paul_page
    response = client.get(f"/campaigns/{campaign.pk}/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    listing = login(cast["alice"]).get("/campaigns/").content.decode()
    assert f'href="/campaigns/{campaign.pk}/"' in listing
    assert f'href="/campaigns/{campaign.pk}/"' not in login(cast["carol"]).get("/campaigns/").content.decode()


def test_a_plan_moves_from_the_page_and_back_only_with_a_reason(campaign, cast, login):
    plan = campaign.plans.get(customer__code="CD0001")
    client = _english(login(cast["alice"]))
    url = f"/campaigns/{campaign.pk}/plans/{plan.pk}/move/"
    response = client.post(url, {"stage": "visited"}, follow=True)
    assert "moved to Visited" in response.content.decode()
    response = client.post(url, {"stage": "screened"}, follow=True)
    assert "Moving a plan back needs a reason" in response.content.decode()
    plan.refresh_from_db()
    assert plan.stage == "visited"
    client.post(url, {"stage": "screened", "reason": "联系人调岗"})
    plan.refresh_from_db()
    assert plan.stage == "screened" and plan.changes.last().reason == "联系人调岗"
    other = campaign.plans.get(customer__code="CD0002")  # bob's customer
    assert client.post(f"/campaigns/{campaign.pk}/plans/{other.pk}/move/", {"stage": "visited"}).status_code == 404


def test_a_move_made_on_a_plan_changed_meanwhile_is_refused_with_who_and_the_stage_now(campaign, cast, login):
    plan = campaign.plans.get(customer__code="CD0001")
    client = _english(login(cast["alice"]))
    page = client.get(f"/campaigns/{campaign.pk}/")
    seen = re.search(
        rf'plans/{plan.pk}/move/".*?name="version" value="([0-9a-f]+)"', page.content.decode(), re.S
    ).group(1)
    services.plan_stage_set(user=cast["dora"], plan=plan, stage="lost", reason="客户已签约友商")  # meanwhile
    url = f"/campaigns/{campaign.pk}/plans/{plan.pk}/move/"
    refused = client.post(url, {"stage": "visited", "version": seen}, follow=True).content.decode()
    assert "not moved" in refused and "dora" in refused and "It is at Lost now" in refused
    plan.refresh_from_db()
    assert plan.stage == "lost"
    # the page shown again carries the plan's version now: the move, made knowingly, goes through
    fresh = re.search(rf'plans/{plan.pk}/move/".*?name="version" value="([0-9a-f]+)"', refused, re.S).group(1)
    assert fresh != seen
    client.post(url, {"stage": "visited", "reason": "重新接洽", "version": fresh})
    plan.refresh_from_db()
    assert plan.stage == "visited"


def test_the_visit_form_moves_the_plans_ticked(campaign, cast, login):
    plan = campaign.plans.get(customer__code="CD0001")
    client = login(cast["alice"])
    form = client.get("/customers/CD0001/visits/new/").content.decode()
    assert f'name="plans" value="{plan.pk}"' in form
    response = client.post(
        "/customers/CD0001/visits/new/",
        {
            "visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "kind": "onsite",
            "summary": "方案讲解",
            "visitor_role": "customer_manager",
            "plans": [plan.pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    plan.refresh_from_db()
    assert plan.stage == "visited" and plan.changes.get().visit is not None


def _beside(campaign: Campaign, cast, name: str, department: str, region) -> Campaign:
    """A campaign of another department over `region` in the same period, planned by provincial staff for every
    active customer there."""
    return services.campaign_create(
        user=cast["paul"],
        data={
            "name": name,
            "kind": "product_push",
            "department": DepartmentFactory(name=department, region=region),
            "region": region,
            "starts_on": campaign.starts_on,
            "ends_on": campaign.ends_on,
            "target_products": [Product.objects.get(code="VPMN")],
            "segment": {},
        },
    )


def test_the_customer_page_flags_a_channel_conflict(campaign, cast, territory, login):
    rival = _beside(campaign, cast, "锦江专线推广", "锦江区政企客户部", territory["jinjiang"])
    page = login(cast["alice"]).get("/customers/CD0001/").content.decode()
    section = page[page.index('data-testid="campaigns"') :]
    assert f'data-campaign="{campaign.pk}"' in section and f'data-campaign="{rival.pk}"' in section
    assert section.count('data-testid="channel-conflict"') == 2
    bob_page = login(cast["bob"]).get("/customers/CD0002/").content.decode()  # only in dora's campaign
    assert 'data-testid="channel-conflict"' not in bob_page
    detail = login(cast["dora"]).get(f"/campaigns/{campaign.pk}/").content.decode()
    assert 'data-testid="conflicts"' in detail and "锦江专线推广" in detail


def test_an_activity_is_recorded_with_its_results(campaign, cast, login):
    client = _english(login(cast["dora"]))
    today = timezone.localdate().isoformat()
    body = {
        "campaign": campaign.pk,
        "held_on": today,
        "place": "天府软件园",
        "staff": "alice bob",
        "attendance": "35",
        "new_subscriptions": "4",
        "revenue": "880",
        "note": "",
    }
    response = client.post("/campaigns/activities/new/", body)
    assert response.status_code == 302 and response["Location"] == f"/campaigns/{campaign.pk}/"
    activity = Activity.objects.get()
    assert (activity.department, activity.attendance, activity.revenue) == (campaign.department, 35, Decimal("880"))
    assert sorted(activity.staff.values_list("username", flat=True)) == ["alice", "bob"]
    from crm.models import AuditEntry

    (recorded,) = AuditEntry.objects.filter(object_type="campaigns.activity", object_id=str(activity.pk))
    assert (recorded.action, recorded.username, recorded.changes["staff"]) == (
        "create",
        "dora",
        [None, ["alice", "bob"]],
    )
    future = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    response = client.post("/campaigns/activities/new/", {**body, "held_on": future, "staff": "nobody"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "No active member of staff has the username nobody" in page
    response = client.post("/campaigns/activities/new/", {**body, "held_on": future})
    assert response.status_code == 400 and "once it has taken place" in response.content.decode()
    assert Activity.objects.count() == 1


def test_departments_without_an_activity_this_month_are_listed(campaign, cast, login):
    page = login(cast["paul"]).get("/campaigns/activities/").content.decode()
    idle = page[page.index('data-testid="idle-list"') :].split("</ul>")[0]
    assert "成都市政企客户部" in idle and "绵阳市政企客户部" in idle
    Activity.objects.create(department=campaign.department, held_on=timezone.localdate(), place="春熙路")
    last_month = Period.of(timezone.localdate()).previous()
    Activity.objects.create(department=cast["carol"].department, held_on=last_month.start, place="涪城")
    page = login(cast["paul"]).get("/campaigns/activities/").content.decode()
    idle = page[page.index('data-testid="idle-list"') :].split("</ul>")[0]
    assert "成都市政企客户部" not in idle and "绵阳市政企客户部" in idle
    page = login(cast["paul"]).get(f"/campaigns/activities/?month={last_month}").content.decode()
    idle = page[page.index('data-testid="idle-list"') :].split("</ul>")[0]
    assert "成都市政企客户部" in idle and "绵阳市政企客户部" not in idle
    assert login(cast["paul"]).get("/campaigns/activities/?month=2026-13").status_code == 400


def test_the_dashboard_names_the_departments_without_an_activity(campaign, cast, login):
    page = login(cast["paul"]).get("/kpis/").content.decode()
    section = page[page.index('data-testid="idle-departments"') :].split("</section>")[0]
    assert re.findall(r'data-testid="idle-department">([^<]+)<', section) == ["成都市政企客户部", "绵阳市政企客户部"]
    Activity.objects.create(department=campaign.department, held_on=timezone.localdate(), place="春熙路")
    page = login(cast["dora"]).get("/kpis/").content.decode()  # her department's scope
    section = re.search(r'<section class="([^"]+)" data-testid="idle-departments">(.*?)</section>', page, re.S)
    assert "alert-success" in section[1] and 'data-testid="idle-department"' not in section[2]


def test_the_plans_shown_are_counted_by_stage_and_owner(campaign, cast, login):
    services.plan_stage_set(user=cast["alice"], plan=campaign.plans.get(customer__code="CD0001"), stage="visited")
    client = login(cast["dora"])

    def shown(query: str) -> tuple[str, list[str]]:
        page = client.get(f"/campaigns/{campaign.pk}/?{query}").content.decode()
        plans = page[page.index('data-testid="plans"') - 400 :]
        count = re.search(r"一户一案 <small class=\"text-muted\">(\d+)</small>", page)[1]
        return count, re.findall(r'data-customer="(\w+)"', plans)

    assert shown("") == ("2", ["CD0001", "CD0002"])
    assert shown("stage=visited") == ("1", ["CD0001"])
    assert shown("owner=bob") == ("1", ["CD0002"])
    assert shown("owner=bob&stage=visited") == ("0", [])
    assert shown("owner=nobody") == ("0", [])


def test_the_customer_page_links_only_the_campaigns_the_reader_may_open(campaign, cast, territory, login):
    wide = _beside(campaign, cast, "全省V网提升", "四川省政企客户部", territory["sichuan"])
    page = login(cast["dora"]).get("/customers/CD0001/").content.decode()
    assert "全省V网提升" in page and f'href="/campaigns/{wide.pk}/"' not in page  # beyond her territory
    assert f'href="/campaigns/{campaign.pk}/"' in page
    assert login(cast["dora"]).get(f"/campaigns/{wide.pk}/").status_code == 404
    assert f'href="/campaigns/{wide.pk}/"' in login(cast["paul"]).get("/customers/CD0001/").content.decode()


def test_the_dashboard_names_the_departments_idle_in_the_month_it_shows(campaign, cast, login):
    last_month = Period.of(timezone.localdate()).previous()
    Activity.objects.create(department=campaign.department, held_on=last_month.start, place="春熙路")
    client = login(cast["paul"])

    def idle(query: str) -> list[str]:
        page = client.get(f"/kpis/{query}").content.decode()
        return re.findall(r'data-testid="idle-department">([^<]+)<', page)

    assert idle("") == ["成都市政企客户部", "绵阳市政企客户部"]
    assert idle(f"?period={last_month}") == ["绵阳市政企客户部"]


def test_the_plans_nobody_owns_are_listed_apart(campaign, cast, login):
    CustomerPlan.objects.filter(customer__code="CD0002").update(owner=None)
    page = login(cast["dora"]).get(f"/campaigns/{campaign.pk}/").content.decode()
    assert 'href="?owner=(none)"' in page
    page = login(cast["dora"]).get(f"/campaigns/{campaign.pk}/?owner=(none)").content.decode()
    plans = page[page.index('data-testid="plans"') :]
    assert re.findall(r'data-customer="(\w+)"', plans) == ["CD0002"]
    assert re.search(r"一户一案 <small class=\"text-muted\">1</small>", page)


def test_an_account_manager_records_an_activity_of_her_own_department(campaign, cast, login):
    # alice's territory is her county; her department is the city's: she records its activities and sees them
    client = _english(login(cast["alice"]))
    body = {
        "held_on": timezone.localdate().isoformat(),
        "place": "锦江区政务中心",
        "attendance": "20",
        "new_subscriptions": "1",
        "revenue": "100",
        "note": "",
    }
    response = client.post("/campaigns/activities/new/", body)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Activity.objects.get().department == cast["alice"].department
    page = client.get("/campaigns/activities/").content.decode()
    assert "锦江区政务中心" in page
    idle = page[page.index('data-testid="idle-list"') :].split("</ul>")[0]
    assert "成都市政企客户部" not in idle and "绵阳市政企客户部" not in idle  # not her territory
    response = client.post("/campaigns/activities/new/", {**body, "department": cast["carol"].department_id})
    assert response.status_code == 400  # another city's department is not hers to choose
