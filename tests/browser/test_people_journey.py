"""On a 390 × 844 phone, an account manager follows the profile's "missing" line to the key person form, adds the key
person, and sees the line gone; the members, timeline and holding pages fit the phone too (issue 17, points 3, 7
and 8). Screenshots at 390 and 1280 px go to /tmp/people-*.png."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import GroupMember
from tests.factories import PASSWORD, TierChangeFactory, VisitFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def fits(page, width: int) -> None:
    """Nothing scrolls sideways: the document is no wider than the screen."""
    page.wait_for_load_state()
    document_width = page.evaluate("document.documentElement.scrollWidth")
    assert document_width <= width, f"{page.url} is {document_width} px wide on a {width} px screen"


def shoot(page, name: str) -> None:
    page.screenshot(path=f"/tmp/people-{name}.png", full_page=True)


@pytest.fixture
def lived_in(cast, customers):
    """alice's customer with a key person without a mobile (the profile lacks one), members of every VIP level,
    visits, a tier change and a role that ended."""
    customer = customers["alice"]
    customer.key_persons.update(mobile="")
    GroupMember.objects.bulk_create(
        GroupMember(
            customer=customer,
            name=f"成员{n:02d}号",
            mobile=f"1380000{n:04d}",
            arpu=Decimal(arpu),
            vip_level=level,
            on_net=n % 2 == 0,
        )
        for n, (arpu, level) in enumerate([("3200", "diamond"), ("1600", "gold"), ("700", "silver"), ("50", None)] * 15)
    )
    now = timezone.now()
    for days in range(1, 8):
        VisitFactory(
            customer=customer,
            visitor=cast["alice"],
            visited_at=now - datetime.timedelta(days=days * 3),
            purpose="了解专线需求",
            summary="与信息中心主任沟通了专线扩容和集团V网的资费方案，约定下周提交方案。" * 2,
            next_step="提交方案",
        )
    TierChangeFactory(customer=customer, from_tier="C", to_tier="B", changed_at=now - datetime.timedelta(days=10))
    return customer


def test_on_a_phone_the_missing_key_person_is_added_from_the_line(browser, live_server, lived_in):
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    page = context.new_page()
    log_in(page, live_server, "alice")

    page.goto(f"{live_server.url}/customers/CD0001/")
    missing = page.locator("[data-missing=key_person] a")
    assert missing.inner_text() == "有手机号码的关键人"
    fits(page, PHONE["width"])
    shoot(page, "detail-390")

    missing.click()
    page.wait_for_url("**/customers/CD0001/key-persons/new/**")
    fits(page, PHONE["width"])
    page.fill("#id_name", "王强")
    page.fill("#id_title", "信息中心主任")
    page.fill("#id_mobile", "1380000")  # too short: refused on the mobile field, nothing saved
    page.click("[data-testid=save]")
    assert page.locator(".invalid-feedback[data-field=mobile]").count() == 1
    fits(page, PHONE["width"])
    shoot(page, "key-person-error-390")
    page.fill("#id_mobile", "13800001111")
    page.click("[data-testid=save]")
    page.wait_for_url(f"{live_server.url}/customers/CD0001/")
    assert page.locator("[data-missing=key_person]").count() == 0
    assert "王强" in page.locator("[data-testid=key-persons]").inner_text()
    fits(page, PHONE["width"])
    shoot(page, "detail-after-390")

    page.click("[data-testid=members-link]")
    page.wait_for_url("**/customers/CD0001/members/")
    assert page.locator("[data-member]").count() == 50
    assert page.locator("[data-testid=vip-level]").first.inner_text() in {"钻石卡", "钻石", "金卡", "银卡"}
    fits(page, PHONE["width"])
    shoot(page, "members-390")
    page.fill("[data-testid=member-search]", "成员01")
    page.click("button:has-text('搜索')")
    page.wait_for_url("**/customers/CD0001/members/?*q=*")
    assert page.locator("[data-member]").count() == 1
    page.click("[data-member] a")
    page.wait_for_url("**/customers/CD0001/members/*/edit/**")
    fits(page, PHONE["width"])
    shoot(page, "member-form-390")

    page.goto(f"{live_server.url}/customers/CD0001/timeline/")
    assert page.locator("[data-testid=timeline] [data-kind=visit]").count() == 7
    assert page.locator("[data-testid=timeline] [data-kind=tier]").count() == 1
    fits(page, PHONE["width"])
    shoot(page, "timeline-390")

    page.goto(f"{live_server.url}/campaigns/customers/CD0001/products/VPMN/")
    fits(page, PHONE["width"])
    shoot(page, "holding-390")
    context.close()


def test_the_pages_at_desktop_width(browser, live_server, lived_in):
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    log_in(page, live_server, "alice")
    for path, name in [
        ("/customers/CD0001/", "detail-1280"),
        ("/customers/CD0001/members/", "members-1280"),
        ("/customers/CD0001/timeline/", "timeline-1280"),
        ("/customers/CD0001/key-persons/new/", "key-person-1280"),
        ("/campaigns/customers/CD0001/products/VPMN/", "holding-1280"),
    ]:
        page.goto(f"{live_server.url}{path}")
        fits(page, DESKTOP["width"])
        shoot(page, name)
    context.close()
