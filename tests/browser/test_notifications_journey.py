"""Issue 17, point 5 in headless Chromium: the inbox on a desktop and on a 390 × 844 phone (never wider than the
screen), the bell's unread count, a notification opened and all marked read; the head's robot page on a phone."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from crm.models import Notification
from tests.browser.test_customer_journey import log_in
from tests.factories import NotificationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 390, "height": 844}, "locale": "zh-CN", "is_mobile": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "locale": "zh-CN"}


@pytest.fixture
def inbox(cast, customers):
    now = timezone.now()
    NotificationFactory(
        recipient=cast["alice"],
        kind="visit_overdue",
        title="本期仍有 3 个客户待走访",
        body=(
            "最紧急：成都锦程科技有限公司（还需 2 次，剩 5 天）、"
            "成都天府软件园开发建设有限责任公司第一分公司（还需 1 次，剩 12 天）。"
        ),
        url="/visits/due/",
        created_at=now,
    )
    NotificationFactory(
        recipient=cast["alice"],
        kind="customer_assigned",
        title="您已成为 成都锦程科技有限公司 的客户经理",
        body="由 dora 调整。",
        url="/customers/CD0001/",
        created_at=now - datetime.timedelta(minutes=5),
    )
    NotificationFactory(
        recipient=cast["alice"],
        kind="import_finished",
        title="导入已写入：boss-extract-2026-11-very-long-file-name-without-spaces-customers.csv",
        read_at=now,
        created_at=now - datetime.timedelta(days=1),
    )
    NotificationFactory(recipient=cast["bob"], title="鲍勃的消息")
    return customers


def _width_fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_the_inbox_on_a_desktop_and_on_a_phone(browser, live_server, inbox, cast):
    for name, options in (("desktop", DESKTOP), ("phone", PHONE)):
        context = browser.new_context(**options)
        page = context.new_page()
        log_in(page, live_server, "alice")
        assert page.locator("[data-testid=unread-count]").inner_text() == "2"
        page.click("[data-testid=nav-bell]")
        page.wait_for_url("**/notifications/")
        assert page.locator("h1").inner_text().startswith("消息")
        assert page.locator("[data-notification]").count() == 3
        assert page.locator("[data-unread]").count() == 2
        assert "鲍勃的消息" not in page.content()
        _width_fits(page, options["viewport"]["width"])
        page.screenshot(path=f"/tmp/notif-inbox-{name}.png", full_page=True)
        context.close()


def test_a_manager_opens_one_then_marks_all_read_on_a_phone(browser, live_server, inbox, cast):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    log_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/notifications/")
    page.locator("[data-notification]", has_text="客户经理").locator("[data-testid=open]").click()
    page.wait_for_url("**/customers/CD0001/")
    assert page.locator("[data-testid=unread-count]").inner_text() == "1"
    page.goto(f"{live_server.url}/notifications/?unread=1")
    assert page.locator("[data-notification]").count() == 1
    page.click("[data-testid=read-all]")
    page.wait_for_url("**/notifications/")
    assert page.locator("[data-testid=unread-count]").count() == 0
    assert not Notification.objects.filter(recipient=cast["alice"], read_at=None).exists()
    page.screenshot(path="/tmp/notif-all-read-phone.png", full_page=True)
    context.close()


def test_the_head_sets_the_robot_on_a_phone_and_a_bad_address_is_explained(browser, live_server, cast):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    log_in(page, live_server, "dora")
    page.goto(f"{live_server.url}/notifications/robot/")
    page.select_option("#id_robot_kind", "wecom")
    page.fill("#id_robot_webhook_url", "ftp://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x")
    page.click("button:has-text('保存')")
    error = page.locator("[data-field=robot_webhook_url]")
    assert "机器人 Webhook 地址" in error.inner_text()
    page.screenshot(path="/tmp/notif-robot-phone.png", full_page=True)
    _width_fits(page, 390)
    page.goto(f"{live_server.url}/notifications/settings/")
    _width_fits(page, 390)
    page.screenshot(path="/tmp/notif-settings-phone.png", full_page=True)
    context.close()


def test_a_manager_mutes_kinds_and_the_head_signs_the_robot_on_a_phone(browser, live_server, cast):
    from crm.models import Department, NotificationPreference

    context = browser.new_context(**PHONE)
    page = context.new_page()
    log_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/notifications/settings/")
    page.fill("#id_email", "alice@example.com")
    page.check("#id_by_email")
    page.get_by_label("待走访", exact=True).check()
    page.get_by_label("任务已完成", exact=True).check()
    _width_fits(page, 390)
    page.screenshot(path="/tmp/notif-muted-phone.png", full_page=True)
    page.click("button:has-text('保存')")
    page.wait_for_url("**/notifications/settings/")
    assert NotificationPreference.objects.get(user=cast["alice"]).muted_kinds == ["visit_overdue", "job_finished"]
    assert (
        page.get_by_label("待走访", exact=True).is_checked()
        and not page.get_by_label("客户已分配", exact=True).is_checked()
    )
    context.close()

    secret = "SEC" + "9a8b" * 16
    context = browser.new_context(**PHONE)
    page = context.new_page()
    log_in(page, live_server, "dora")
    page.goto(f"{live_server.url}/notifications/robot/")
    page.select_option("#id_robot_kind", "dingtalk")
    page.fill("#id_robot_webhook_url", "https://oapi.dingtalk.com/robot/send?access_token=x")
    page.fill("#id_robot_secret", secret)
    page.click("button:has-text('保存')")
    page.wait_for_url("**/notifications/robot/")
    assert Department.objects.get(pk=cast["dora"].department_id).robot_secret == secret
    assert secret not in page.content() and page.input_value("#id_robot_secret") == ""
    assert page.locator("[data-testid=robot-signing]").inner_text() == "已开启：已设置密钥"
    _width_fits(page, 390)
    page.screenshot(path="/tmp/notif-robot-signed-phone.png", full_page=True)
    context.close()
