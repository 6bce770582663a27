"""Issue 18's "staff by name" on the customer list, in headless Chromium: a department head filters her customers by
manager, picking the person by name with the keys at 1280 px and with a tap on a phone; a link with
`?manager=username` shows whom it filters by, by name."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from crm.models import User
from tests.browser.test_customer_journey import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def named(cast, customers):
    for username, last, first in (("alice", "张", "爱丽"), ("bob", "王", "波")):
        User.objects.filter(username=username).update(last_name=last, first_name=first)
    return cast


def options(page):
    return page.locator("[role=listbox]:visible [role=option]")


def rows(page):
    return page.locator("table tbody tr")


def test_a_head_filters_by_manager_picked_by_name_with_the_keys(browser, live_server, named, screenshot):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    log_in(page, live_server, "dora")
    page.goto(f"{live_server.url}/customers/")
    field = page.locator("#id_manager")
    expect(page.locator("label[for=id_manager]")).to_have_text("客户经理")
    field.click()
    field.press_sequentially("王")
    expect(options(page)).to_have_text(["王波 (bob)客户经理 · 武侯区"])
    screenshot(page, "customer-list-manager-picker")
    field.press("ArrowDown")
    field.press("Enter")  # chooses; the form is not sent yet
    assert field.input_value() == "bob"
    expect(page.locator("#id_manager ~ .staff-picker-chosen")).to_have_text("王波 · 客户经理 · 武侯区")
    field.press("Enter")  # the list is closed: Enter now sends the filter
    page.wait_for_url("**/customers/?*manager=bob*")
    expect(rows(page)).to_have_count(1)
    assert "成都蜀道物流有限公司" in rows(page).first.inner_text()
    context.close()


def test_on_a_phone_a_tap_picks_and_a_link_s_manager_is_shown_by_name(browser, live_server, named, screenshot):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True, has_touch=True
    )
    page = context.new_page()
    log_in(page, live_server, "dora")
    page.goto(f"{live_server.url}/customers/?manager=alice")
    expect(rows(page)).to_have_count(1)
    expect(page.locator("#more-filters")).to_have_class(re.compile(r"\bshow\b"))  # a filter is set: shown open
    expect(page.locator("#id_manager ~ .staff-picker-chosen")).to_have_text("张爱丽 · 客户经理 · 锦江区")
    field = page.locator("#id_manager")
    field.fill("")
    field.tap()
    field.press_sequentially("波")
    expect(options(page)).to_have_text(["王波 (bob)客户经理 · 武侯区"])
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "customer-list-manager-picker-phone")
    options(page).first.tap()
    assert field.input_value() == "bob"
    context.close()
