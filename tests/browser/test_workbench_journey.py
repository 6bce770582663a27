"""The account manager's day in headless Chromium on a 390 × 844 phone: the workbench in the right order, one tap
to log a visit, the top bar's search by keyboard; and the department head's team at 1280 px."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from accounts.models import Customer
from tests.browser.test_customer_journey import log_in
from tests.factories import CustomerFactory, KeyPersonFactory, TeamRoleFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def day(cast, customers, territory):
    """alice: an A customer and two B (one never seen, one seen a year ago), each due a visit this month."""
    Customer.objects.filter(pk=customers["alice"].pk).update(tier="A", name="成都锦程科技有限公司")
    for code, name in (("CD0011", "成都蜀锦纺织有限公司（很久以前见过）"), ("CD0012", "成都天府软件园有限公司")):
        customer = CustomerFactory(code=code, name=name, region=territory["jinjiang"])
        Customer.objects.filter(pk=customer.pk).update(tier="B")
        TeamRoleFactory(customer=customer, user=cast["alice"])
    from teams.models import Visit

    Visit.objects.create(
        customer=Customer.objects.get(code="CD0011"),
        visitor=cast["alice"],
        visitor_role="customer_manager",
        kind="onsite",
        summary="年度回访",
        visited_at=timezone.now() - datetime.timedelta(days=400),
    )
    KeyPersonFactory(customer=customers["alice"], name="王锦程", mobile="13800001111")
    return customers


def _not_wider_than_the_screen(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def test_a_manager_starts_the_day_on_the_workbench_and_finds_a_customer_from_the_top_bar(
    browser, live_server, day, screenshot
):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True)
    page = context.new_page()
    log_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/")
    page.wait_for_url(f"{live_server.url}/today/")
    assert page.locator("h1").inner_text() == "今日工作台"
    rows = page.locator("[data-testid=workbench-due] [data-customer]")
    assert [rows.nth(i).get_attribute("data-customer") for i in range(rows.count())] == ["CD0001", "CD0012", "CD0011"]
    _not_wider_than_the_screen(page, 390)
    screenshot(page, "workbench-phone")

    # the top bar's search, by keyboard: type, arrow down to the first result, Enter
    page.fill("#top-search-q", "王锦")  # the start of a key person's name
    page.wait_for_selector("#top-search-results [data-testid=search-key-person]")
    assert "王锦程" in page.locator("#top-search-results").inner_text()
    page.fill("#top-search-q", "锦程科")  # three characters: anywhere in a customer's name
    page.wait_for_selector("#top-search-results [data-testid=search-customer]")
    _not_wider_than_the_screen(page, 390)
    screenshot(page, "top-search-phone")
    page.press("#top-search-q", "ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/customers/CD0001/")

    # one tap from the workbench to the visit form
    page.goto(f"{live_server.url}/today/")
    page.locator("[data-testid=workbench-due] [data-customer=CD0012] a.btn").click()
    page.wait_for_url("**/customers/CD0012/visits/new/**")
    context.close()


def test_a_department_head_sees_the_team_on_the_workbench(browser, live_server, day, screenshot):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    log_in(page, live_server, "dora")
    page.goto(f"{live_server.url}/today/")
    team = page.locator("[data-testid=workbench-team]")
    assert team.locator("[data-manager=alice]").count() == 1 and team.locator("[data-manager=bob]").count() == 1
    _not_wider_than_the_screen(page, 1280)
    screenshot(page, "workbench-head")
    context.close()
