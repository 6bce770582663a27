"""A department head asks for a manual tier on the customer page (on a phone); provincial staff approve it from
their queue (at 1280 px), and the customer page shows the tier set by hand (issue 18, point 1)."""

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import Customer
from crm.models import User
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_a_head_asks_and_staff_approve_a_manual_tier(browser, live_server, customers, screenshot):
    call_command("recompute_tiers", stdout=StringIO())  # CD0001: B by the rules
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True)
    page = phone.new_page()
    log_in(page, live_server, "dora")
    page.goto(f"{live_server.url}/customers/CD0001/")
    page.click("[data-testid=override-request-link]")
    page.select_option("#id_tier", "A")
    page.fill("#id_reason", "省重点保障客户")
    screenshot(page, "override-request-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.click("[data-testid=override-submit]")
    page.wait_for_url(f"{live_server.url}/customers/CD0001/")
    assert "等待省公司人员审批" in page.locator("[data-testid=tier-override-request]").inner_text()
    phone.close()

    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = desk.new_page()
    log_in(page, live_server, "paul")
    # told of the request: the bell counts it, and the notification leads to the queue
    assert page.locator("[data-testid=unread-count]").inner_text() == "1"
    page.click("[data-testid=nav-bell]")
    page.click("[data-testid=open]:has-text('申请人工调级为 A')")
    page.wait_for_url(f"{live_server.url}/tiering/overrides/**")
    row = page.locator("[data-request=CD0001]")
    assert "省重点保障客户" in row.inner_text()
    screenshot(page, "override-queue")
    row.locator("input[name=note]").fill("同意")
    row.locator("[data-testid=approve]").click()
    page.wait_for_load_state()
    assert "已批准" in page.locator(".alert-success").inner_text()
    assert Customer.objects.get(code="CD0001").tier == "A"
    page.goto(f"{live_server.url}/customers/CD0001/")
    card = page.locator("[data-testid=tier-override]").inner_text()
    assert "省重点保障客户" in card
    dora, paul = (User.objects.get(username=name).display_name for name in ("dora", "paul"))
    assert f"{dora}申请、{paul}批准人工调整为 A" in card  # who asked and who approved
    desk.close()
