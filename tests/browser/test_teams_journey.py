"""Issue 4's journeys in headless Chromium: a manager logs a visit on a phone from *my customers* and sees the due
list shrink; a department head fixes a team's gap and bulk-reassigns a leaving manager's customers."""

from __future__ import annotations

import pytest

from accounts.models import Customer
from teams.models import TeamRole, Visit
from tests.browser.test_customer_journey import log_in
from tests.factories import CustomerFactory, TeamRoleFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def portfolio(cast, customers, territory):
    """alice: her B customer (due a visit this month) and a C customer (due one this quarter)."""
    Customer.objects.filter(pk=customers["alice"].pk).update(tier="B")
    second = CustomerFactory(code="CD0003", name="成都天府软件园有限公司", region=territory["jinjiang"], tier="C")
    TeamRoleFactory(customer=second, user=cast["alice"])
    return customers


def test_a_manager_logs_a_visit_on_a_phone_and_the_due_list_shrinks(browser, live_server, portfolio, screenshot):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True)
    page = context.new_page()
    log_in(page, live_server, "alice")
    badge = page.locator("[data-testid=due-badge]")
    assert "待走访" in badge.inner_text() and badge.locator(".badge").inner_text() == "2"

    page.locator("tr", has_text="成都锦程科技有限公司").locator("[data-testid=row-log-visit]").click()
    page.wait_for_url("**/customers/CD0001/visits/new/**")
    assert page.locator("h1").inner_text() == "记录走访"
    # the defaults are filled: now, on site, my role on the team
    assert page.locator("#id_visited_at").input_value()
    assert page.locator("input[name=kind][value=onsite]").is_checked()
    assert page.locator("#id_visitor_role").input_value() == "customer_manager"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.locator("label", has_text="关键人").first.click()
    page.fill("#id_summary", "与总经理沟通专线扩容，客户有意向。")
    page.fill("#id_opportunities", "专线扩容至 500M")
    screenshot(page, "visit-form-phone")
    page.click("button:has-text('保存走访')")

    page.wait_for_url(f"{live_server.url}/customers/")
    assert "已记录对“成都锦程科技有限公司”的走访" in page.locator(".alert-success").inner_text()
    assert page.locator("[data-testid=due-badge] .badge").inner_text() == "1"
    visit = Visit.objects.get()
    assert (visit.visitor.username, visit.visitor_role, visit.kind) == ("alice", "customer_manager", "onsite")
    assert visit.key_persons.count() == 1

    page.click("[data-testid=due-badge]")
    page.wait_for_url("**/visits/due/")
    rows = page.locator("[data-testid=due-list] [data-customer]")
    assert rows.count() == 1 and "成都天府软件园有限公司" in rows.first.inner_text()
    screenshot(page, "due-visits-phone")
    context.close()


def test_a_department_head_fixes_a_gap_and_bulk_reassigns_a_leaving_manager(
    browser, live_server, portfolio, cast, screenshot
):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    log_in(page, live_server, "dora")

    page.click("nav >> text=服务团队")
    page.wait_for_url("**/teams/incomplete/")
    row = page.locator("tr[data-customer=CD0001]")
    assert "服务经理" in row.inner_text()
    screenshot(page, "incomplete-teams")
    row.locator("text=分配").click()
    page.wait_for_url("**/customers/CD0001/team/**")
    page.fill("#id_service_manager", "bob")
    page.click("button:has-text('保存团队')")
    page.wait_for_url("**/teams/incomplete/")
    assert page.locator("tr[data-customer=CD0001]").count() == 0
    assert "服务团队已保存" in page.locator(".alert-success").inner_text()

    page.click("text=客户经理负荷")
    assert page.locator("tr[data-username=alice] td.num").inner_text() == "2"
    page.locator("tr[data-username=alice]").locator("text=移交").click()
    page.wait_for_url("**/teams/reassign/?leaving=alice")
    page.fill("#id_targets", "bob")
    page.click("button:has-text('预览')")
    plan = page.locator("[data-testid=reassign-plan]")
    assert plan.locator("tbody tr td.num").all_inner_texts() == ["1", "2", "3"]
    screenshot(page, "reassign-preview")
    page.click("[data-testid=apply]")
    page.wait_for_url("**/teams/load/")
    assert "已移交" in page.locator(".alert-success").inner_text()
    assert page.locator("tr[data-username=bob] td.num").inner_text() == "3"
    assert page.locator("tr[data-username=alice] td.num").inner_text() == "0"
    screenshot(page, "manager-load")
    assert not TeamRole.objects.active().filter(user=cast["alice"]).exists()
    assert TeamRole.objects.filter(user=cast["alice"]).count() == 2  # history kept
    context.close()
