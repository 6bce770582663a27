"""An account manager logs in, opens *my customers* and a customer page, in Chinese, on desktop and phone."""

import pytest

from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/customers/")
    assert "/login/" in page.url
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/customers/")


def test_account_manager_browses_customers_in_chinese(browser, live_server, customers, screenshot):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    log_in(page, live_server, "alice")

    assert page.locator("h1").first.inner_text().startswith("我的客户")
    rows = page.locator("tbody tr")
    assert rows.count() == 1
    assert "成都锦程科技有限公司" in rows.first.inner_text()
    assert "成都蜀道物流有限公司" not in page.content()
    screenshot(page, "my-customers")

    page.fill("#id_search", "锦程")
    page.click("button:has-text('筛选')")
    assert page.locator("tbody tr").count() == 1

    page.click("text=成都锦程科技有限公司")
    page.wait_for_url(f"{live_server.url}/customers/CD0001/")
    assert "统一社会信用代码" in page.content()
    assert page.locator("[data-testid=profile-completeness] .badge").inner_text() == "完整"
    screenshot(page, "customer-detail")
    context.close()


def test_outsider_sees_not_found_and_phone_layout_works(browser, live_server, customers, screenshot):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the login form within a phone's width
    log_in(page, live_server, "bob")
    screenshot(page, "my-customers-phone")
    # The table fits the phone's width: no sideways scrolling of the page.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    response = page.goto(f"{live_server.url}/customers/CD0001/")
    assert response.status == 404
    context.close()
