"""Issue 17's "done means", end to end in headless Chromium on a 390 × 844 phone: an account manager opens the
workbench, sees the three customers to visit in the right order, checks in at the first (position and a photo),
logs the visit, records an opportunity from it, adds the missing key person; the next morning her department
head's group robot — a real HTTP server on loopback — receives the digest naming who is behind."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from accounts.models import Customer
from campaigns.models import Opportunity
from crm import notifications
from teams.models import Visit, VisitPhoto
from tests.browser.test_customer_journey import log_in
from tests.browser.test_visit_check_in import HOME, PHONE, _camera_photo, _north, _wait_until
from tests.browser.test_workbench_journey import day  # noqa: F401 - the fixture: alice's three customers due
from tests.crm import test_notification_delivery

robot = test_notification_delivery.robot  # the fixture: a group robot on loopback

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def morning(day, cast, robot, settings, tmp_path, monkeypatch):  # noqa: F811 - the fixture imported above
    from crm.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.SITE_URL = "https://crm.example.com"
    # the B customer never visited has a known location (from the BOSS import) and no key person with a mobile
    Customer.objects.filter(code="CD0012").update(latitude=HOME[0], longitude=HOME[1], location_source="import")
    Customer.objects.get(code="CD0012").key_persons.update(mobile="")
    notifications.department_robot_set(
        user=cast["dora"],
        department=cast["dora"].department,
        kind="wecom",
        url=robot.url("/cgi-bin/webhook/send?key=t"),
    )
    return day


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide"


def test_an_account_managers_day_from_the_workbench_to_the_heads_robot(
    browser,
    live_server,
    morning,
    robot,
    cast,
    tmp_path,
):
    context = browser.new_context(
        viewport=PHONE,
        locale="zh-CN",
        is_mobile=True,
        has_touch=True,
        geolocation={"latitude": _north(80), "longitude": HOME[1], "accuracy": 20},
        permissions=["geolocation"],
    )
    page = context.new_page()
    log_in(page, live_server, "alice")

    # the workbench is her home: the three customers due, the A customer first, the one never seen before the one
    # seen a year ago
    page.goto(f"{live_server.url}/")
    page.wait_for_url(f"{live_server.url}/today/")
    due = page.locator("[data-testid=workbench-due] [data-customer]")
    assert [due.nth(i).get_attribute("data-customer") for i in range(due.count())] == ["CD0001", "CD0012", "CD0011"]
    _fits(page)

    # one tap to the visit form of the second (the A customer waits for its second manager too); check in with
    # the phone's position and a photo from the camera; save
    due.nth(1).locator("a.btn").click()
    page.wait_for_url("**/customers/CD0012/visits/new/**")
    page.click("[data-testid=check-in-button]")
    _wait_until(page, "document.querySelector('[data-check-in-status]').dataset.state === 'verified'")
    page.set_input_files("[data-testid=visit-photos]", _camera_photo(tmp_path / "IMG_0001.jpg"))
    page.wait_for_selector("[data-testid=photo-previews] img[data-new]")
    page.fill("#id_summary", "现场拜访信息中心主任，了解到会议室需要云视讯。")
    _fits(page)
    page.click("[data-testid=save-visit]")
    page.wait_for_url(f"{live_server.url}/today/")
    assert "现场已核验，距客户 80 米" in page.locator(".alert-success").inner_text()
    visit = Visit.objects.get(customer__code="CD0012")
    assert visit.verified and VisitPhoto.objects.filter(visit=visit).count() == 1
    # the visited customer has left the list; the other two keep their order
    assert [due.nth(i).get_attribute("data-customer") for i in range(due.count())] == ["CD0001", "CD0011"]

    # the opportunity found on that visit, from the customer page in one tap
    page.goto(f"{live_server.url}/customers/CD0012/")
    page.click("[data-testid=opportunities] [data-testid=new-opportunity]")
    page.wait_for_url("**/campaigns/opportunities/new/**")
    page.fill("#id_title", "云视讯会议室")
    page.fill("#id_expected_monthly_revenue", "800")
    page.fill("#id_expected_close_on", (timezone.localdate() + datetime.timedelta(days=30)).isoformat())
    _fits(page)
    page.click("[data-testid=opportunity-form] button[type=submit]")
    page.wait_for_url("**/customers/CD0012/")
    opportunity = Opportunity.objects.get()
    assert (opportunity.source, opportunity.source_visit_id, opportunity.owner.username) == ("visit", visit.pk, "alice")

    # the profile's "missing" line leads to the key person form
    page.click("[data-missing=key_person] a")
    page.wait_for_url("**/customers/CD0012/key-persons/new/**")
    page.fill("#id_name", "李敏")
    page.fill("#id_title", "信息中心主任")
    page.fill("#id_mobile", "13900002222")
    _fits(page)
    page.click("[data-testid=save]")
    page.wait_for_url(f"{live_server.url}/customers/CD0012/")
    assert page.locator("[data-missing=key_person]").count() == 0
    _fits(page)
    page.screenshot(path="/tmp/day-customer-390.png", full_page=True)
    context.close()

    # the next morning, the digest (the 08:00 beat task) posts to the head's group robot once: alice and her two
    # customers still due
    notifications.digest_send(today=timezone.localdate() + datetime.timedelta(days=1))
    [(path, payload)] = robot.received
    assert path == "/cgi-bin/webhook/send?key=t"
    content = payload["markdown"]["content"]
    print(content)
    line = next(line for line in content.splitlines() if f"- {cast['alice'].display_name}：" in line)
    assert "2" in line, content
