"""Opportunities (商机, issue 17) in headless Chromium: a department head reads the board and the forecast on a desk
and on a phone; an account manager records an opportunity from the customer page on her phone."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.models import Opportunity
from tests.browser.test_customer_journey import log_in
from tests.factories import OpportunityFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def pipeline(customers, cast):
    """Opportunities of alice and bob along every stage, one lost; long titles that must wrap, not widen the page."""
    today = timezone.localdate()
    rows = [
        ("alice", "found", "云视讯会议室改造（总部及三个分支机构，含大屏终端与会议室布线）", 30),
        ("alice", "proposal", "集团V网扩容", 45),
        ("bob", "negotiation", "互联网专线 1000M 双路由", 20),
        ("bob", "won", "物联网卡（冷链车辆监控）", 10),
        ("alice", "opened", "集团彩铃", 5),
    ]
    for who, stage, title, days in rows:
        OpportunityFactory(
            customer=customers["alice" if who == "alice" else "wuhou"],
            owner=cast[who],
            title=title,
            stage=stage,
            probability={"found": 10, "proposal": 30, "negotiation": 60, "won": 90, "opened": 100}[stage],
            expected_monthly_revenue=Decimal("12800.00"),
            expected_close_on=today + datetime.timedelta(days=days),
        )
    OpportunityFactory(
        customer=customers["wuhou"], owner=cast["bob"], title="云桌面", stage="lost", lost_reason="客户选择了友商"
    )


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.evaluate("document.body.scrollWidth") <= width


def test_a_department_head_reads_the_board_on_a_desk_and_on_a_phone(browser, live_server, pipeline):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    log_in(page, live_server, "dora")
    page.click("[data-testid=nav-marketing]")
    page.click("[data-testid=nav-opportunities]")
    page.wait_for_url("**/campaigns/opportunities/")
    assert page.locator("[data-testid=board] [data-opportunity]").count() == 5
    assert page.locator("[data-stage=found] [data-testid=column-count]").inner_text() == "1"
    assert page.locator("[data-testid=forecast] tbody tr[data-month]").count() >= 1
    _fits(page, 1280)
    # the columns stand side by side on a desk
    found, opened = (page.locator(f"[data-stage={stage}]").bounding_box() for stage in ("found", "opened"))
    assert found["y"] == opened["y"] and found["x"] < opened["x"]
    page.screenshot(path="/tmp/opp-board-desk.png", full_page=True)
    owner = page.locator("#owner")  # the staff picker: the department's staff asked for as she types
    owner.click()
    owner.press_sequentially("bob")
    expect(page.locator("[role=listbox]:visible [role=option]").first).to_contain_text("(bob)")
    owner.press("ArrowDown")
    owner.press("Enter")
    assert owner.input_value() == "bob"
    page.click("[data-testid=board-filters] button[type=submit]")
    page.wait_for_url("**owner=bob**")
    assert page.locator("[data-testid=board] [data-opportunity]").count() == 2
    context.close()

    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True)
    page = context.new_page()
    log_in(page, live_server, "dora")
    page.goto(f"{live_server.url}/campaigns/opportunities/")
    assert page.locator("[data-testid=board] [data-opportunity]").count() == 5
    _fits(page, 390)
    # stacked: each stage below the one before
    found, proposal = (page.locator(f"[data-stage={stage}]").bounding_box() for stage in ("found", "proposal"))
    assert proposal["y"] > found["y"] + found["height"] - 1
    page.screenshot(path="/tmp/opp-board-phone.png", full_page=True)
    context.close()


def test_an_account_manager_records_an_opportunity_on_her_phone(browser, live_server, customers, cast):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True)
    page = context.new_page()
    log_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/customers/CD0001/")
    _fits(page, 390)
    page.click("[data-testid=opportunities] [data-testid=new-opportunity]")
    page.wait_for_url("**/campaigns/opportunities/new/**")
    _fits(page, 390)
    page.fill("#id_title", "云视讯会议室")
    page.fill("#id_expected_monthly_revenue", "800")
    page.fill("#id_expected_close_on", (timezone.localdate() + datetime.timedelta(days=20)).isoformat())
    page.screenshot(path="/tmp/opp-form-phone.png", full_page=True)
    page.click("[data-testid=opportunity-form] button[type=submit]")
    page.wait_for_url("**/customers/CD0001/")
    assert "云视讯会议室" in page.locator("[data-testid=opportunities]").inner_text()
    opportunity = Opportunity.objects.get()
    assert (opportunity.owner, opportunity.stage, opportunity.probability) == (cast["alice"], "found", 10)
    page.goto(f"{live_server.url}/campaigns/opportunities/")
    assert page.locator("[data-testid=board] [data-opportunity]").count() == 1
    _fits(page, 390)
    page.screenshot(path="/tmp/opp-board-manager-phone.png", full_page=True)
    context.close()
