"""The Content-Security-Policy in a real browser: the pages that draw charts, switch language from a select, or
show the API docs work with scripts from our own host only, and the browser reports no violation."""

from __future__ import annotations

import pytest

from tests.browser.test_customer_journey import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def csp_violations(page) -> list[str]:
    """The Content-Security-Policy violations the page reports from now on."""
    violations: list[str] = []
    page.on("console", lambda message: "Content Security Policy" in message.text and violations.append(message.text))
    return violations


def test_the_language_switcher_and_the_api_docs_run_under_the_policy(browser, live_server, customers, screenshot):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    violations = csp_violations(page)
    response = page.goto(f"{live_server.url}/login/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    log_in(page, live_server, "paul")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.select_option("#language", "en")  # sent by js/autosubmit.js, not an inline handler
    page.wait_for_function("document.documentElement.lang === 'en'")
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".swagger-ui .info")
    screenshot(page, "api-docs")
    assert violations == []
    context.close()
