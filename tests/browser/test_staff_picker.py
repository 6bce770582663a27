"""Issue 18's "staff by name" in headless Chromium: a department head picks staff by name on a phone, with the keys and
with a tap, and hands part of a leaving manager's customers over at 1280 px."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.models import Customer
from crm.models import User
from teams.models import TeamRole
from tests.browser.test_customer_journey import log_in
from tests.factories import CustomerFactory, TeamRoleFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def named(cast, customers, territory):
    """The cast with Chinese names; alice's B customer CD0001 (in the grid) lacks a service manager, and she manages
    CD0101 in 锦江区 as well."""
    for username, last, first in (("alice", "张", "爱丽"), ("bob", "王", "波"), ("dora", "赵", "多拉")):
        User.objects.filter(username=username).update(last_name=last, first_name=first)
    Customer.objects.filter(pk=customers["alice"].pk).update(tier="B")
    TeamRoleFactory(customer=CustomerFactory(code="CD0101", region=territory["jinjiang"], tier="A"), user=cast["alice"])
    return cast


def options(page):
    return page.locator("[role=listbox]:visible [role=option]")


def test_a_head_picks_staff_by_name_on_a_phone_with_the_keys_and_a_tap(browser, live_server, named, screenshot):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True, has_touch=True
    )
    page = context.new_page()
    log_in(page, live_server, "dora")
    page.goto(f"{live_server.url}/customers/CD0001/team/")
    # the holder already named is shown by name (once the picker has looked the username up)
    expect(page.locator("#id_customer_manager ~ .staff-picker-chosen")).to_have_text("张爱丽 · 客户经理 · 锦江区")

    field = page.locator("#id_service_manager")
    field.click()
    field.press_sequentially("王")
    expect(options(page)).to_have_text(["王波 (bob)客户经理 · 武侯区"])
    assert field.get_attribute("aria-expanded") == "true"
    field.press("ArrowDown")
    assert options(page).first.get_attribute("aria-selected") == "true"
    field.press("Enter")  # chooses; the form is not sent
    assert field.input_value() == "bob"
    assert "/team/" in page.url and not page.locator("[role=listbox]").first.is_visible()
    expect(page.locator("#id_service_manager ~ .staff-picker-chosen")).to_have_text("王波 · 客户经理 · 武侯区")

    assistants = page.locator("#id_assistants")
    assistants.tap()
    assistants.press_sequentially("爱丽")
    expect(options(page)).to_have_text(["张爱丽 (alice)客户经理 · 锦江区"])
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "staff-picker-phone")
    options(page).first.tap()
    assert assistants.input_value() == "alice "

    # nobody of the territory by that name: said so, and Escape closes the list
    assistants.press_sequentially("carol")
    page.locator("[role=listbox]:visible", has_text="辖区内没有匹配的员工").wait_for()
    assistants.press("Escape")
    assert assistants.get_attribute("aria-expanded") == "false"
    assistants.fill("alice")

    page.click("button:has-text('保存团队')")
    page.wait_for_url("**/customers/CD0001/**")
    assert TeamRole.objects.active().get(customer__code="CD0001", role="service_manager").user.username == "bob"
    assert TeamRole.objects.active().get(customer__code="CD0001", role="assistant").user.username == "alice"
    context.close()


def test_a_head_hands_over_one_grid_of_a_leaving_manager_picked_by_name(browser, live_server, named, screenshot):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    log_in(page, live_server, "dora")
    page.goto(f"{live_server.url}/teams/reassign/")
    leaving = page.locator("#id_leaving")
    leaving.click()
    leaving.press_sequentially("张爱")
    expect(options(page)).to_have_count(1)
    leaving.press("Enter")
    assert leaving.input_value() == "alice"
    targets = page.locator("#id_targets")
    targets.click()
    targets.press_sequentially("bo")
    expect(options(page)).to_have_text(["王波 (bob)客户经理 · 武侯区"])
    screenshot(page, "staff-picker-reassign")
    options(page).first.click()
    assert targets.input_value() == "bob "
    page.fill("#id_region", "510104-G01")
    page.click("button:has-text('预览')")
    assert page.locator("[data-testid=reassign-count]").inner_text() == "张爱丽 的 1 个客户"
    assert "春熙路网格" in page.locator("[data-testid=reassign-scope-summary]").inner_text()
    assert page.locator("[data-testid=reassign-plan] tbody tr td.num").all_inner_texts() == ["1", "1", "2"]
    screenshot(page, "reassign-grid-preview")
    page.click("[data-testid=apply]")
    page.wait_for_url("**/teams/load/")
    held = TeamRole.objects.active().filter(user=named["alice"]).values_list("customer__code", flat=True)
    assert list(held) == ["CD0101"]
    context.close()
