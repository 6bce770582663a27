"""Provincial staff watch a tier recompute on the jobs page (issue 18, point 9): its progress bar moves without a
reload while it runs, the row turns to its outcome when it ends, and the page then stops asking; on a phone the
page fits the screen."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tiering.models import TierJobRun

from .test_customer_journey import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_running_recompute_moves_on_the_page_and_ends_there(browser, live_server, cast, territory, screenshot):
    run = TierJobRun.objects.create(
        scope=territory["chengdu"], triggered_by=cast["paul"], chunks_total=8, chunks_done=2
    )
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    log_in(page, live_server, "paul")
    page.goto(f"{live_server.url}/jobs/")
    row = page.locator(f'tr[data-job="tiers-{run.pk}"]')
    bar = row.locator('[data-field="bar"]')
    assert "width: 25%" in bar.get_attribute("style")

    TierJobRun.objects.filter(pk=run.pk).update(chunks_done=6, customers_seen=600)
    expect(bar).to_have_attribute("style", re.compile(r"width: 75%"), timeout=10_000)
    assert "6 块" in row.locator('[data-field="progress-text"]').inner_text()
    assert "600" in row.locator('[data-field="counts"]').last.inner_text()
    screenshot(page, "jobs-running")

    TierJobRun.objects.filter(pk=run.pk).update(status="succeeded", chunks_done=8, finished_at=timezone.now())
    page.wait_for_selector(f'tr[data-job="tiers-{run.pk}"]:not([data-running])', timeout=10_000)
    assert row.locator('[data-field="status"]').inner_text() == "成功"
    assert row.locator('[data-field="progress"]').is_hidden()
    asked = []
    page.on("request", lambda request: asked.append(request.url) if "/jobs/progress/" in request.url else None)
    page.wait_for_timeout(7_000)  # more than two polling intervals
    assert asked == []
    context.close()


def test_the_jobs_page_fits_a_phone(browser, live_server, cast, territory, screenshot):
    TierJobRun.objects.create(scope=territory["chengdu"], triggered_by=cast["paul"], chunks_total=8, chunks_done=3)
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    page = context.new_page()
    log_in(page, live_server, "paul")
    page.goto(f"{live_server.url}/jobs/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator('[data-field="bar"]').first.is_visible()
    screenshot(page, "jobs-phone")
    context.close()
