"""Every page an account manager opens, on a 390 × 844 phone (issue 17, point 8): nothing wider than the screen, so
nothing scrolls sideways, and each page's main action within reach. A customer with a long unbroken name and a
campaign plan are on them, as in real use."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from accounts.models import Customer
from campaigns import services as campaign_services
from campaigns.models import Campaign, CustomerPlan
from teams.models import Visit
from tests.browser.test_customer_journey import log_in
from tests.factories import (
    CustomerFactory,
    GroupMemberFactory,
    KeyPersonFactory,
    NotificationFactory,
    OpportunityFactory,
    TeamRoleFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
LONG_NAME = "成都市锦江区某某某某某某某某某某某某某某某某某某某某信息技术服务股份有限公司第一分公司"


@pytest.fixture
def portfolio(cast, customers, territory):
    Customer.objects.filter(pk=customers["alice"].pk).update(tier="B")
    long_named = CustomerFactory(code="CD0099", name=LONG_NAME, region=territory["jinjiang"])
    Customer.objects.filter(pk=long_named.pk).update(tier="A")
    TeamRoleFactory(customer=long_named, user=cast["alice"])
    KeyPersonFactory(customer=long_named, name="李经理")
    GroupMemberFactory(customer=long_named)
    today = timezone.localdate()
    Visit.objects.create(
        customer=long_named,
        visitor=cast["alice"],
        visitor_role="customer_manager",
        kind="onsite",
        summary="上门拜访，了解专线需求。" * 5,
        visited_at=timezone.now() - datetime.timedelta(days=3),
        next_visit_on=today + datetime.timedelta(days=2),
    )
    campaign = Campaign.objects.create(
        name="企业宽带提速季度营销活动（成都片区）",
        kind="product_push",
        department=cast["alice"].department,
        region=territory["chengdu"],
        starts_on=today - datetime.timedelta(days=10),
        ends_on=today + datetime.timedelta(days=80),
    )
    for customer in (long_named, customers["alice"]):
        CustomerPlan.objects.create(
            campaign=campaign, customer=customer, objective="专线提速至 500M", owner=cast["alice"]
        )
    call_list = campaign_services.call_list_build(user=cast["alice"], campaign=campaign)
    opportunity = OpportunityFactory(customer=long_named, owner=cast["alice"], title="专线扩容至 500M，含双路由备份")
    NotificationFactory(
        recipient=cast["alice"], title=f"新的营销计划：{LONG_NAME}", url=f"/customers/{long_named.code}/"
    )
    return {"campaign": campaign, "call_list": call_list, "customer": long_named, "opportunity": opportunity}


def pages(portfolio) -> list[str]:
    campaign, call_list, code = portfolio["campaign"], portfolio["call_list"], portfolio["customer"].code
    return [
        "/today/",
        "/customers/",
        f"/customers/{code}/",
        f"/customers/{code}/history/",
        f"/customers/{code}/visits/new/",
        "/visits/due/",
        "/search/?q=成都",
        "/kpis/",
        "/campaigns/",
        f"/campaigns/{campaign.pk}/",
        "/campaigns/activities/",
        "/campaigns/activities/new/",
        "/campaigns/call-lists/",
        f"/campaigns/call-lists/{call_list.pk}/",
        "/campaigns/coverage/",
        "/campaigns/do-not-call/",
        f"/customers/{code}/timeline/",
        f"/customers/{code}/members/",
        f"/customers/{code}/key-persons/new/",
        f"/customers/{code}/members/new/",
        f"/campaigns/customers/{code}/products/VPMN/",
        "/campaigns/opportunities/",
        f"/campaigns/opportunities/new/?customer={code}",
        f"/campaigns/opportunities/{portfolio['opportunity'].pk}/",
        "/notifications/",
        "/notifications/settings/",
    ]


def test_every_page_of_an_account_manager_fits_a_phone(browser, live_server, cast, portfolio, screenshot):
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    page = context.new_page()
    log_in(page, live_server, "alice")
    too_wide = []
    for path in pages(portfolio):
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 200, path
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            too_wide.append((path, width))
            screenshot(page, "too-wide-" + path.strip("/").replace("/", "-").replace("?", "-") or "home")
    assert not too_wide, f"wider than the phone's 390 px: {too_wide}"

    # The campaign's plans as cards: the name wraps by the screen, the stage picker and the move button in reach.
    page.goto(f"{live_server.url}/campaigns/{portfolio['campaign'].pk}/")
    row = page.locator(f"[data-testid=plans] tr[data-customer={portfolio['customer'].code}]")
    button = row.locator("button[type=submit]")
    box = button.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert row.locator("select[name=stage]").input_value() == "screened"
    assert row.locator("select[name=stage]").bounding_box()["width"] >= 100
    assert row.locator("input[name=reason]").bounding_box()["width"] >= 200
    row.scroll_into_view_if_needed()
    screenshot(page, "campaign-plans-phone")
    context.close()


def test_the_unverified_visits_page_of_a_department_head_fits_a_phone(
    browser, live_server, cast, portfolio, screenshot
):
    """The head's review of unverified check-ins (issue 17, point 4): each visit a card, the long name wrapped, the
    button that makes a check-in the customer's location within reach."""
    customer = portfolio["customer"]
    visit = Visit.objects.create(
        customer=customer,
        visitor=cast["alice"],
        visitor_role="customer_manager",
        kind="onsite",
        summary="上门拜访",
        visited_at=timezone.now() - datetime.timedelta(hours=2),
        latitude=30.657,
        longitude=104.066,
        accuracy_m=25,
        unverified_reason="no_customer_location",
    )
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    page = context.new_page()
    log_in(page, live_server, "dora")
    response = page.goto(f"{live_server.url}/visits/unverified/")
    assert response is not None and response.status == 200
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > PHONE["width"]:
        screenshot(page, "too-wide-visits-unverified")
    assert width <= PHONE["width"], f"wider than the phone's 390 px: {width}"
    row = page.locator(f"[data-testid=unverified-visits] tr[data-visit='{visit.pk}']")
    assert "客户尚无位置" in row.inner_text()
    box = row.locator("button[data-testid=confirm-location]").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    screenshot(page, "visits-unverified-phone")
    context.close()


# A name with no break opportunity at all (Latin letters and digits, no space): CJK text wraps between any two
# characters by itself, this does not, and it widened its cell or header past the screen (issue 18).
UNBROKEN_NAME = "ChengduJinjiangZhongxinInformationTechnologyServiceCoLtd2026FirstBranchOffice"


def test_a_long_unbroken_name_pushes_no_button_off_a_phone(browser, live_server, cast, customers, screenshot):
    customer = CustomerFactory(code="CD0098", name=UNBROKEN_NAME, region=customers["alice"].region)
    Customer.objects.filter(pk=customer.pk).update(tier="B")
    TeamRoleFactory(customer=customer, user=cast["alice"])
    Visit.objects.create(
        customer=customer,
        visitor=cast["alice"],
        visitor_role="customer_manager",
        kind="onsite",
        summary="上门拜访",
        visited_at=timezone.now() - datetime.timedelta(days=40),
        next_visit_on=timezone.localdate() + datetime.timedelta(days=1),
    )
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    page = context.new_page()
    log_in(page, live_server, "alice")
    code = customer.code
    # Each page with the name, and the buttons beside it that must stay on the screen.
    buttons = {
        "/customers/": f"tr:has(a[href='/customers/{code}/']) [data-testid=row-log-visit]",
        f"/customers/{code}/": "[data-testid=log-visit]",
        "/visits/due/": f"[data-customer={code}] a.btn",
        "/today/": f"[data-testid=workbench-planned] [data-customer={code}] a.btn",
    }
    off_screen = []
    for path, selector in buttons.items():
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 200, path
        assert UNBROKEN_NAME in page.content(), path
        button = page.locator(selector).first
        assert button.inner_text().strip() == "记录走访", path
        box = button.bounding_box()
        width = page.evaluate("document.documentElement.scrollWidth")
        if box is None or box["x"] < 0 or box["x"] + box["width"] > PHONE["width"] or width > PHONE["width"]:
            off_screen.append((path, box, width))
            screenshot(page, "unbroken-name-" + path.strip("/").replace("/", "-"))
    context.close()
    assert not off_screen, f"a button off the 390 px screen, or the page wider than it: {off_screen}"
