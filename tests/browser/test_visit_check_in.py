"""Verified field visits (外勤签到) on a phone in headless Chromium: check in with the browser's position, attach a
photo made smaller in the browser, save and see the visit verified; and a visit typed with no network, kept in the
browser and sent once when the network returns."""

from __future__ import annotations

import io
import math
import time

import pytest
from PIL import Image

from accounts.models import Customer
from teams.models import Visit, VisitPhoto
from teams.rules import EARTH_RADIUS_M
from tests.browser.test_content_security_policy import csp_violations
from tests.browser.test_customer_journey import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOME = (30.657, 104.066)  # 天府广场
PHONE = {"width": 390, "height": 844}


def _north(metres: float) -> float:
    return HOME[0] + metres * 180 / (math.pi * EARTH_RADIUS_M)


@pytest.fixture
def located(customers, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    Customer.objects.filter(pk=customers["alice"].pk).update(
        latitude=HOME[0], longitude=HOME[1], location_source="import", tier="B"
    )
    return customers


def _camera_photo(path) -> str:
    """A photo as a phone camera takes it: 3000 × 2000 pixels."""
    buffer = io.BytesIO()
    Image.effect_noise((3000, 2000), 60).convert("RGB").save(buffer, format="JPEG", quality=95)
    path.write_bytes(buffer.getvalue())
    return str(path)


def _wait_until(page, expression: str, timeout: float = 15) -> None:
    """Poll a JavaScript expression until it is true. (Playwright's wait_for_function evaluates its predicate as a
    string, which the page's Content-Security-Policy refuses: no 'unsafe-eval'.)"""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {timeout}s: {expression}"
        page.wait_for_timeout(100)


def _phone(browser, **options):
    return browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True, **options)


def test_a_manager_checks_in_on_a_phone_with_a_photo_and_sees_the_visit_verified(
    browser, live_server, located, tmp_path
):
    context = _phone(
        browser, geolocation={"latitude": _north(60), "longitude": HOME[1], "accuracy": 18}, permissions=["geolocation"]
    )
    page = context.new_page()
    violations = csp_violations(page)
    log_in(page, live_server, "alice")
    # three taps from my customers: the row's "log visit", the summary, save (the check-in and photo are optional)
    page.locator("tr", has_text="成都锦程科技有限公司").locator("[data-testid=row-log-visit]").click()
    page.wait_for_url("**/customers/CD0001/visits/new/**")
    page.click("[data-testid=check-in-button]")
    status = page.locator("[data-testid=check-in-status]")
    _wait_until(page, "document.querySelector('[data-check-in-status]').dataset.state === 'verified'")
    assert "精度 18 米" in status.inner_text() and "距客户 60 米" in status.inner_text()
    assert page.locator("#id_accuracy_m").input_value() == "18.0"
    page.set_input_files("[data-testid=visit-photos]", _camera_photo(tmp_path / "IMG_2041.jpg"))
    page.wait_for_selector("[data-testid=photo-previews] img[data-new]")
    page.fill("#id_summary", "现场拜访总经理，确认专线扩容需求。")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path="/tmp/visit-phone-check-in.png", full_page=True)
    page.click("[data-testid=save-visit]")
    page.wait_for_url(f"{live_server.url}/customers/")
    assert "现场已核验，距客户 60 米" in page.locator(".alert-success").inner_text()

    visit = Visit.objects.get()
    assert (visit.verified, round(visit.distance_m), visit.accuracy_m) == (True, 60, 18)
    photo = VisitPhoto.objects.get()
    # made smaller in the browser: 1600 px on the longer side, JPEG
    assert (photo.width, photo.height) == (1600, 1067)
    assert photo.image.name.endswith(".jpg")

    page.goto(f"{live_server.url}/customers/CD0001/")
    assert page.locator("[data-testid=visit-verified]").count() == 1
    page.locator("[data-testid=visit-photos] img").scroll_into_view_if_needed()  # loaded lazily, when in view
    _wait_until(page, "document.querySelector('[data-testid=visit-photos] img').naturalWidth > 0")
    page.screenshot(path="/tmp/visit-phone-customer.png", full_page=True)
    assert violations == []
    context.close()


def test_the_form_on_a_desktop_and_a_check_in_too_far_away(browser, live_server, located):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900},
        locale="zh-CN",
        geolocation={"latitude": _north(2400), "longitude": HOME[1], "accuracy": 35},
        permissions=["geolocation"],
    )
    page = context.new_page()
    log_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/customers/CD0001/visits/new/")
    page.click("[data-testid=check-in-button]")
    _wait_until(page, "document.querySelector('[data-check-in-status]').dataset.state === 'unverified'")
    assert "超出 500 米" in page.locator("[data-testid=check-in-status]").inner_text()
    page.fill("#id_summary", "路过客户园区，电话沟通。")
    page.screenshot(path="/tmp/visit-desktop-check-in.png", full_page=True)
    page.click("[data-testid=save-visit]")
    page.wait_for_url(f"{live_server.url}/customers/CD0001/")
    assert "未核验" in page.locator(".alert-success").inner_text()
    assert Visit.objects.get().unverified_reason == "too_far"
    # the department head sees it marked on the customer page
    context.clear_cookies()
    log_in(page, live_server, "dora")
    page.goto(f"{live_server.url}/customers/CD0001/")
    assert page.locator("[data-testid=visit-unverified]").count() == 1
    page.screenshot(path="/tmp/visit-desktop-customer-head.png", full_page=True)
    context.close()


def test_a_visit_typed_offline_is_kept_and_sent_once_when_the_network_returns(browser, live_server, located, tmp_path):
    context = _phone(
        browser, geolocation={"latitude": HOME[0], "longitude": HOME[1], "accuracy": 12}, permissions=["geolocation"]
    )
    page = context.new_page()
    log_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/customers/CD0001/visits/new/")
    page.click("[data-testid=check-in-button]")
    _wait_until(page, "document.querySelector('[data-check-in-status]').dataset.state === 'verified'")
    page.set_input_files("[data-testid=visit-photos]", _camera_photo(tmp_path / "IMG_2042.jpg"))
    page.wait_for_selector("[data-testid=photo-previews] img[data-new]")

    context.set_offline(True)
    _wait_until(page, "navigator.onLine === false")
    page.fill("#id_summary", "地下车库没有信号，先记下：客户要扩容专线。")
    page.click("[data-testid=save-visit]")
    queue = page.locator("[data-testid=offline-queue]")
    queue.wait_for(state="visible")
    assert "网络恢复后自动发送" in queue.inner_text()
    page.screenshot(path="/tmp/visit-phone-offline.png", full_page=True)
    assert not Visit.objects.exists()
    kept = page.evaluate("JSON.parse(localStorage.getItem('crm.offlineVisits.v1'))")
    assert len(kept) == 1 and kept[0]["fields"]["summary"].startswith("地下车库")

    context.set_offline(False)
    _wait_until(page, "JSON.parse(localStorage.getItem('crm.offlineVisits.v1') || '[]').length === 0")
    page.wait_for_selector("[data-testid=offline-queue].alert-success")
    assert "已发送：1" in queue.inner_text()
    # the network flapping (another "online") or another page sending again creates nothing more
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.goto(f"{live_server.url}/customers/CD0001/")
    page.wait_for_load_state("networkidle")

    visit = Visit.objects.get()
    assert visit.summary.startswith("地下车库")
    assert (visit.verified, visit.distance_m) == (True, 0)
    assert visit.photos.count() == 1
    assert visit.photos.get().width == 1600
    context.close()


def test_a_visit_kept_offline_is_not_sent_twice_when_its_answer_was_lost(browser, live_server, located):
    """The same kept visit sent twice (its first answer lost) gives one visit: the Idempotency-Key."""
    context = _phone(browser)
    page = context.new_page()
    log_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/customers/CD0001/visits/new/")
    item = {
        "key": "lost-answer-1",
        "api": "/api/v1/visits/",
        "fields": {"customer": "CD0001", "kind": "phone", "summary": "电话回访"},
        "photos": [],
        "photosSent": 0,
    }
    page.evaluate("item => localStorage.setItem('crm.offlineVisits.v1', JSON.stringify([item, item]))", item)
    page.evaluate("window.crmOfflineVisits.send()")
    _wait_until(page, "JSON.parse(localStorage.getItem('crm.offlineVisits.v1') || '[]').length === 0")
    assert Visit.objects.count() == 1
    context.close()
