"""Issue 6's planning journey in headless Chromium: provincial staff plan a campaign for 成都's B-tier customers whose
V网 coverage is thin or missing, see a plan per customer and the funnel, and a plan moves on from the page."""

from __future__ import annotations

import pytest

from campaigns.models import Campaign
from tests.browser.test_customer_journey import log_in
from tests.campaigns.conftest import b_tier  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_provincial_staff_plan_a_campaign_and_see_its_plans(browser, live_server, b_tier, cast, screenshot):  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    log_in(page, live_server, "paul")

    page.click("[data-testid=nav-marketing]")
    page.click("[data-testid=nav-campaigns]")
    page.wait_for_url("**/campaigns/")
    page.click("[data-testid=new-campaign]")
    page.wait_for_url("**/campaigns/new/")
    page.fill("#id_name", "十二月V网薄覆盖提升")
    page.select_option("#id_department", label="成都市政企客户部")
    page.select_option("#id_region", value=str(b_tier["alice"].region.parent.parent.pk))
    page.locator("[data-field-wrapper=target_products] label", has_text="集团V网").click()
    page.locator("[data-field-wrapper=tiers] label", has_text="B").click()
    page.locator("[data-field-wrapper=coverage] label", has_text="薄覆盖").click()
    page.locator("[data-field-wrapper=coverage] label", has_text="未覆盖").click()
    page.fill("#id_goal_openings", "2")
    screenshot(page, "campaign-form")
    page.click("[data-testid=campaign-form] button[type=submit]")
    # the preview: the plans to be created, nothing created yet
    page.wait_for_selector("[data-testid=preview-plans]")
    assert "2" in page.locator("[data-testid=preview-plans]").inner_text()
    assert not Campaign.objects.exists()
    page.click("[data-testid=confirm-create]")

    page.wait_for_url("**/campaigns/*/")
    campaign = Campaign.objects.get()
    page.wait_for_url(f"**/campaigns/{campaign.pk}/")
    assert "2" in page.locator(".alert-success").inner_text()
    plans = page.locator("[data-testid=plans] tr[data-customer]")
    assert sorted(plans.nth(i).get_attribute("data-customer") for i in range(plans.count())) == ["CD0001", "CD0002"]
    assert page.locator("[data-testid=funnel] tr[data-stage=screened] [data-testid=reached]").inner_text() == "2"
    assert page.locator("[data-chart=funnel] .main-svg").count() > 0  # plotly drew the funnel

    row = page.locator("[data-testid=plans] tr[data-customer=CD0001]")
    row.locator("select[name=stage]").select_option("opportunity")
    row.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("[data-testid=plans] tr[data-customer=CD0001] [data-testid=stage]").inner_text() == "商机"
    assert page.locator("[data-testid=funnel] tr[data-stage=opportunity] [data-testid=reached]").inner_text() == "1"
    screenshot(page, "campaign-detail")
    context.close()


def test_the_industry_picker_filters_and_ticks_a_segment_on_a_phone(browser, live_server, b_tier, cast, screenshot):  # noqa: F811
    """Issue 18, point 10: the industries grouped by segment, a filter box, "select all in segment" by tapping, and
    the keyboard's space bar on a box; the preview carries the ticked industries on."""
    from accounts.models import Industry

    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", has_touch=True)
    page = context.new_page()
    log_in(page, live_server, "dora")
    page.goto(f"{live_server.url}/campaigns/new/")
    page.fill("#id_name", "金融行业V网")
    page.locator("[data-field-wrapper=target_products] label", has_text="集团V网").tap()
    finance = sorted(Industry.objects.filter(segment="finance").values_list("code", flat=True))
    page.fill("[data-picker-filter]", "金融")
    visible = page.locator(".industry-choice:visible input")
    assert visible.count() >= 1 and page.locator(".industry-group[data-segment=party_gov]").is_hidden()
    page.locator(".industry-group[data-segment=finance] [data-select-segment]").tap()
    ticked = sorted(
        page.locator(".industry-group[data-segment=finance] .industry-choice:visible input:checked").evaluate_all(
            "els => els.map(e => e.value)"
        )
    )
    assert ticked and set(ticked) <= set(finance)
    page.fill("[data-picker-filter]", "")
    # the industry of alice's customer, so that the segment matches someone
    other = page.locator(f"input[name=industries][value={b_tier['alice'].industry_id}]")
    if other.is_checked():
        other.focus()
        page.keyboard.press("Space")
        ticked.remove(b_tier["alice"].industry_id)
    other.focus()
    page.keyboard.press("Space")  # the keyboard ticks a box as well
    assert other.is_checked()
    other_code = other.get_attribute("value")
    assert str(len(ticked) + 1) in page.locator("[data-picker-count]").inner_text()
    screenshot(page, "campaign-industry-picker-phone")
    page.click("[data-testid=preview-button]")
    page.wait_for_selector("[data-testid=preview-form]")
    posted = page.locator("[data-testid=preview-form] input[name=industries]").evaluate_all(
        "els => els.map(e => e.value)"
    )
    assert sorted(posted) == sorted([*ticked, other_code])
    context.close()
