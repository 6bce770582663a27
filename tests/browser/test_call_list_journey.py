"""An agent works her outbound call list (外呼, SPEC §6.3) in headless Chromium: she opens it from *my call lists*,
records that a number asked not to be called again, and the number leaves the list for the do-not-call list."""

from __future__ import annotations

import pytest

from campaigns import services
from campaigns.models import CallAttempt, CallEntry, CallList, DoNotCall
from tests.browser.test_customer_journey import log_in
from tests.campaigns.test_call_lists import MEMBER_B, WANG, build_calling

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def call_list(cast, customers, territory):
    calling = build_calling(cast, customers, territory)
    return services.call_list_build(user=cast["alice"], campaign=calling["campaign"])


def test_an_agent_records_do_not_call_and_the_number_leaves_her_list(browser, live_server, call_list, cast, screenshot):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    log_in(page, live_server, "alice")

    page.click("[data-testid=nav-marketing]")
    page.click("[data-testid=nav-call-lists]")
    page.wait_for_url("**/campaigns/call-lists/")
    page.locator(f"tr[data-call-list='{call_list.pk}'] a").click()
    page.wait_for_url(f"**/campaigns/call-lists/{call_list.pk}/")
    rows = page.locator("[data-testid=call-entries] tbody tr[data-entry]")
    assert rows.count() == 4
    row = page.locator(f"tr[data-mobile='{MEMBER_B}']")
    assert "0/7" in row.inner_text() and "成员乙" in row.inner_text()  # her own customer: the number whole
    screenshot(page, "call-list")

    row.locator("select[name=outcome]").select_option("do_not_call")
    row.locator("input[name=note]").fill("客户表示不要再打来")
    row.locator("button[type=submit]").click()
    page.wait_for_load_state()

    assert page.locator(".alert-success").count() == 1
    assert "成员乙" in page.locator(".alert-success").inner_text()
    assert page.locator(f"tr[data-mobile='{MEMBER_B}']").count() == 0
    assert rows.count() == 3
    screenshot(page, "call-list-after-do-not-call")
    assert DoNotCall.objects.get(mobile=MEMBER_B).added_by == cast["alice"]
    assert not CallEntry.objects.filter(mobile=MEMBER_B).exists()
    assert CallAttempt.objects.get().outcome == "do_not_call"

    page.click("[data-testid=nav-marketing]")
    page.click("[data-testid=nav-do-not-call]")
    page.wait_for_url("**/campaigns/do-not-call/")
    assert "138****0012" in page.locator("[data-testid=dnc-list]").inner_text()  # masked: she is not provincial
    context.close()


def test_the_call_list_fits_a_phone(browser, live_server, call_list, screenshot):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True)
    page = context.new_page()
    log_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/campaigns/call-lists/{call_list.pk}/")
    assert page.locator("[data-testid=call-entries] tbody tr[data-entry]").count() == 4
    # the table scrolls inside its own box; the page itself does not scroll sideways
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "call-list-phone")
    context.close()


def test_a_department_head_builds_a_list_for_an_agent_and_reads_the_report(
    browser, live_server, cast, customers, territory, screenshot
):
    calling = build_calling(cast, customers, territory)
    campaign = calling["campaign"]
    for outcome in ("accepted", "declined", "no_answer"):
        CallAttempt.objects.create(
            campaign=campaign, customer=calling["alice"], mobile=WANG, agent=cast["alice"], outcome=outcome
        )
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    log_in(page, live_server, "dora")
    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/calls/")
    report = page.locator("[data-testid=call-report]")
    assert report.locator("tr[data-agent=alice] [data-testid=rate]").inner_text() == "50.0%"  # 1 of 2 reached

    page.select_option("#id_source", "key_persons")
    page.fill("#id_agent", "alice")
    page.click("[data-testid=build-form] button[type=submit]")
    page.wait_for_url(f"**/campaigns/{campaign.pk}/calls/")
    assert page.locator(".alert-success").count() == 1
    call_list = CallList.objects.get()
    assert (call_list.agent, call_list.created_by) == (cast["alice"], cast["dora"])
    assert page.locator(f"[data-testid=campaign-call-lists] tr[data-call-list='{call_list.pk}']").count() == 1
    screenshot(page, "campaign-calls")
    context.close()
