"""A campaign too large to create while its planner waits (issue 19, point 5), in headless Chromium: confirmed on
its preview, the page answers at once with the run's page, whose progress moves while a worker writes the plans;
once the run is over the page shows the campaign it created, without the planner reloading it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from campaigns.models import Campaign, CampaignCreationRun
from campaigns.services import creations
from crm.celery import app
from tests.browser.test_customer_journey import log_in
from tests.campaigns.conftest import b_tier  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_large_campaign_is_followed_on_its_page_until_it_is_created(
    browser,
    live_server,
    b_tier,  # noqa: F811
    cast,
    screenshot,
    settings,
    monkeypatch,
):
    settings.CAMPAIGN_BACKGROUND_PLANS = 1
    # no worker: the run waits on the queue until the test plays the worker
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    monkeypatch.setattr("campaigns.tasks.broker_check", lambda: None)
    monkeypatch.setattr("campaigns.tasks.campaign_creation_run.delay", lambda run_id: None)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    log_in(page, live_server, "dora")
    page.goto(f"{live_server.url}/campaigns/new/")
    page.fill("#id_name", "全市V网推广")
    page.locator("[data-field-wrapper=target_products] label", has_text="集团V网").click()
    page.locator("[data-field-wrapper=tiers] label", has_text="B").click()
    page.click("[data-testid=campaign-form] button[type=submit]")
    page.wait_for_selector("[data-testid=preview-background]")
    page.click("[data-testid=confirm-create]")

    page.wait_for_url("**/campaigns/creations/*/")
    run = CampaignCreationRun.objects.get()
    assert not Campaign.objects.exists()
    assert page.locator("[data-testid=creation-step]").inner_text() == "等待后台任务处理"
    # the worker is writing: the page follows without a reload
    creations.progress_set(run, "writing", 1, 2)
    bar = page.locator('[data-field="bar"]')
    expect(bar).to_have_attribute("style", re.compile(r"width: 50%"), timeout=10_000)
    assert page.locator("[data-testid=creation-step]").inner_text() == "正在写入方案：1 / 2"
    screenshot(page, "campaign-creation-running")

    creations.creation_execute(run_id=run.pk)
    page.wait_for_selector("[data-testid=creation-done]", timeout=15_000)
    campaign = Campaign.objects.get()
    assert page.locator("[data-testid=creation-status]").inner_text() == "成功"
    screenshot(page, "campaign-creation-done")
    page.click("[data-testid=creation-campaign]")
    page.wait_for_url(f"**/campaigns/{campaign.pk}/")
    context.close()
