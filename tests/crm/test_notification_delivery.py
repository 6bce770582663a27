"""Delivery of notifications (issue 17, point 5): e-mail through Django's mail backend (the test backend here), and
企业微信 and 钉钉 group robots posted to over HTTP — a real HTTP server started on loopback by the test, answering as
each vendor does, or with an error that the department head then sees."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from crm import notifications
from crm.models import Department, Notification, NotificationPreference
from crm.tasks import robot_message_post

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _eager_celery(monkeypatch, settings):
    from crm.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)
    settings.SITE_URL = "https://crm.example.com"
    settings.NOTIFICATION_ROBOT_TIMEOUT_SECONDS = 2


class Robot:
    """A group robot on loopback: records every POST (path and JSON body) and answers with `status` and `reply`."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict]] = []
        self.status = 200
        self.reply: object = {"errcode": 0, "errmsg": "ok"}
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                length = int(self.headers["Content-Length"])
                robot.received.append((self.path, json.loads(self.rfile.read(length))))
                body = robot.reply if isinstance(robot.reply, bytes) else json.dumps(robot.reply).encode()
                self.send_response(robot.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"


@pytest.fixture
def robot():
    server = Robot()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def _robot_set(cast, kind: str, url: str) -> Department:
    return notifications.department_robot_set(user=cast["dora"], department=cast["dora"].department, kind=kind, url=url)


def _choose(user, *, email: str = "", by_email: bool = False, by_robot: bool = False) -> None:
    notifications.notification_preferences_set(user=user, email=email or None, by_email=by_email, by_robot=by_robot)


def test_a_notification_is_mailed_to_who_chose_e_mail_after_the_commit(
    cast, mailoutbox, django_capture_on_commit_callbacks
):
    _choose(cast["alice"], email="alice@example.com", by_email=True)
    with django_capture_on_commit_callbacks(execute=True):
        notifications.notify(
            recipients=[cast["alice"], cast["bob"]],
            kind="plan_assigned",
            title="计划已分配",
            body="春季推广",
            url="/campaigns/1/",
        )
    assert len(mailoutbox) == 1  # bob chose no e-mail
    mail = mailoutbox[0]
    assert mail.to == ["alice@example.com"]
    assert "计划已分配" in mail.subject
    assert "春季推广" in mail.body and "https://crm.example.com/campaigns/1/" in mail.body
    assert Notification.objects.count() == 2


def test_nothing_is_sent_when_the_transaction_rolls_back(cast, mailoutbox, django_capture_on_commit_callbacks):
    from django.db import transaction

    _choose(cast["alice"], email="alice@example.com", by_email=True)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            notifications.notify(recipients=[cast["alice"]], kind="plan_assigned", title="x")
            raise RuntimeError("the service failed")
    assert mailoutbox == [] and not Notification.objects.exists()


def test_a_wecom_robot_gets_its_markdown_message(cast, robot, django_capture_on_commit_callbacks):
    _robot_set(cast, "wecom", robot.url("/cgi-bin/webhook/send?key=abc"))
    _choose(cast["alice"], by_robot=True)
    with django_capture_on_commit_callbacks(execute=True):
        notifications.notify(
            recipients=[cast["alice"]], kind="customer_assigned", title="新客户", url="/customers/CD0001/"
        )
    [(path, payload)] = robot.received
    assert path == "/cgi-bin/webhook/send?key=abc"
    assert payload["msgtype"] == "markdown" and set(payload["markdown"]) == {"content"}
    assert "新客户" in payload["markdown"]["content"]
    assert "https://crm.example.com/customers/CD0001/" in payload["markdown"]["content"]
    department = Department.objects.get(pk=cast["dora"].department_id)
    assert department.robot_delivered_at is not None and department.robot_failed_at is None


def test_a_dingtalk_robot_gets_its_markdown_message_with_a_title(cast, robot):
    _robot_set(cast, "dingtalk", robot.url("/robot/send?access_token=xyz"))
    assert robot_message_post.delay(
        department_id=cast["dora"].department_id, title="每日提醒", text="- 张伟：3 位客户"
    ).get()
    [(path, payload)] = robot.received
    assert path == "/robot/send?access_token=xyz"
    assert payload["msgtype"] == "markdown"
    assert payload["markdown"]["title"] == "每日提醒"
    assert "- 张伟：3 位客户" in payload["markdown"]["text"]


def test_a_robot_refusal_is_kept_on_the_department_and_nothing_leaves_the_inbox(
    cast, robot, login, django_capture_on_commit_callbacks
):
    _robot_set(cast, "wecom", robot.url("/cgi-bin/webhook/send?key=wrong"))
    _choose(cast["alice"], by_robot=True)
    robot.reply = {"errcode": 93000, "errmsg": "invalid webhook url"}
    with django_capture_on_commit_callbacks(execute=True):
        notifications.notify(recipients=[cast["alice"]], kind="customer_assigned", title="新客户")
    department = Department.objects.get(pk=cast["dora"].department_id)
    assert department.robot_failed_at is not None
    assert "93000" in department.robot_failure and "invalid webhook url" in department.robot_failure
    assert Notification.objects.filter(recipient=cast["alice"]).count() == 1
    page = login(cast["dora"]).get("/notifications/robot/").content.decode()
    assert 'data-testid="robot-failure"' in page and "93000" in page


def test_an_http_error_is_recorded_and_the_request_that_caused_it_still_succeeds(
    cast, robot, api, django_capture_on_commit_callbacks
):
    _robot_set(cast, "dingtalk", robot.url("/robot/send?access_token=x"))
    _choose(cast["bob"], by_robot=True)
    robot.status, robot.reply = 500, b"<html>gateway down</html>"
    with django_capture_on_commit_callbacks(execute=True):
        notifications.notify(recipients=[cast["bob"]], kind="team_role_given", title="新角色")
    assert len(robot.received) == 1  # run in the request (eager): no retry here, a worker retries with backoff
    department = Department.objects.get(pk=cast["dora"].department_id)
    assert "HTTP 500" in department.robot_failure
    assert api(cast["bob"]).get("/api/v1/notifications/").json()["count"] == 1


def test_a_robot_that_does_not_answer_is_recorded_too(cast, settings):
    import socket

    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    _robot_set(cast, "wecom", f"http://127.0.0.1:{port}/send?key=x")
    assert robot_message_post.delay(department_id=cast["dora"].department_id, title="t", text="x").get() is False
    assert "ConnectionError" in Department.objects.get(pk=cast["dora"].department_id).robot_failure


def test_on_a_worker_a_busy_robot_is_tried_again_with_backoff(cast, robot):
    """On a worker (not eager) a transient answer (企业微信's 45009, too many messages) is tried again later: after
    30 s, then 60 s, …; a refusal that time does not mend (a wrong key) is not."""
    from celery.exceptions import Retry

    from crm.tasks import _again

    _robot_set(cast, "wecom", robot.url("/send?key=x"))
    robot.reply = {"errcode": 45009, "errmsg": "api freq out of limit"}
    with pytest.raises(notifications.RobotUnavailable) as busy:
        notifications.robot_post(department_id=cast["dora"].department_id, title="t", text="x")

    class Worker:
        name = "crm.tasks.robot_message_post"
        request = type("Request", (), {"is_eager": False, "retries": 1})()

        def retry(self, exc=None, countdown=None):
            self.countdown = countdown
            return Retry(exc=exc)

    worker = Worker()
    with pytest.raises(Retry):
        _again(worker, busy.value, False)
    assert worker.countdown == 60
    robot.reply = {"errcode": 93000, "errmsg": "invalid webhook url"}
    assert notifications.robot_post(department_id=cast["dora"].department_id, title="t", text="x") is False


def test_the_morning_digest_reaches_e_mail_and_the_heads_robot_once_per_department(cast, customers, robot, mailoutbox):
    from accounts.models import Customer

    Customer.objects.filter(pk__in=[customers["alice"].pk, customers["wuhou"].pk]).update(tier="B")
    _robot_set(cast, "wecom", robot.url("/send?key=team"))
    _choose(cast["alice"], email="alice@example.com", by_email=True)
    outcome = notifications.digest_send()
    assert (outcome.users, outcome.emails, outcome.robots) == (2, 1, 1)
    [mail] = mailoutbox
    assert mail.to == ["alice@example.com"] and "成都锦程科技有限公司" in mail.body
    [(_path, payload)] = robot.received
    content = payload["markdown"]["content"]
    assert "alice" in content and "bob" in content  # the head's team: who is behind
    # run again the same morning: nothing new, nothing sent again
    notifications.digest_send()
    assert len(mailoutbox) == 1 and len(robot.received) == 1


def test_no_robot_no_post_and_no_failure(cast):
    assert robot_message_post.delay(department_id=cast["dora"].department_id, title="t", text="x").get() is False
    assert NotificationPreference.objects.count() == 0


# -- the kinds a user mutes (免打扰) ----------------------------------------------------------------------------------


def test_a_muted_kind_is_neither_mailed_nor_posted_yet_stays_in_the_inbox(
    cast, robot, mailoutbox, django_capture_on_commit_callbacks
):
    _robot_set(cast, "wecom", robot.url("/send?key=team"))
    notifications.notification_preferences_set(
        user=cast["alice"], email="alice@example.com", by_email=True, by_robot=True, muted_kinds=["customer_assigned"]
    )
    with django_capture_on_commit_callbacks(execute=True):
        notifications.notify(recipients=[cast["alice"]], kind="customer_assigned", title="新客户")
    assert mailoutbox == [] and robot.received == []
    assert list(Notification.objects.filter(recipient=cast["alice"]).values_list("title", flat=True)) == ["新客户"]
    with django_capture_on_commit_callbacks(execute=True):
        notifications.notify(recipients=[cast["alice"]], kind="plan_assigned", title="计划已分配")
    [mail] = mailoutbox
    assert "计划已分配" in mail.subject
    [(_path, payload)] = robot.received
    assert "计划已分配" in payload["markdown"]["content"] and "新客户" not in payload["markdown"]["content"]


def test_one_users_muting_does_not_mute_another(cast, mailoutbox, django_capture_on_commit_callbacks):
    notifications.notification_preferences_set(
        user=cast["alice"], email="alice@example.com", by_email=True, by_robot=False, muted_kinds=["job_failed"]
    )
    _choose(cast["bob"], email="bob@example.com", by_email=True)
    with django_capture_on_commit_callbacks(execute=True):
        notifications.notify(recipients=[cast["alice"], cast["bob"]], kind="job_failed", title="任务失败")
    assert [mail.to for mail in mailoutbox] == [["bob@example.com"]]
    assert Notification.objects.filter(kind="job_failed").count() == 2


def test_the_digest_mails_only_the_kinds_not_muted_while_the_team_robot_lists_everyone(
    cast, customers, robot, mailoutbox
):
    """Muting is the user's, for what reaches the user; the department's digest on its robot is the head's view of
    the team, and still names who is behind."""
    from accounts.models import Customer

    Customer.objects.filter(pk__in=[customers["alice"].pk, customers["wuhou"].pk]).update(tier="B")
    _robot_set(cast, "wecom", robot.url("/send?key=team"))
    notifications.notification_preferences_set(
        user=cast["alice"], email="alice@example.com", by_email=True, by_robot=True, muted_kinds=["visit_overdue"]
    )
    outcome = notifications.digest_send()
    assert mailoutbox == [] and outcome.emails == 0
    assert Notification.objects.filter(recipient=cast["alice"], kind="visit_overdue").exists()
    [(_path, payload)] = robot.received
    assert "alice" in payload["markdown"]["content"] and "bob" in payload["markdown"]["content"]


# -- 钉钉 robots with 加签 --------------------------------------------------------------------------------------------

SECRET = "SEC" + "0123456789abcdef" * 4


def _query(path: str) -> dict[str, str]:
    from urllib.parse import parse_qs, urlsplit

    return {name: values[0] for name, values in parse_qs(urlsplit(path).query, strict_parsing=True).items()}


def _sign(timestamp: str, secret: str) -> str:
    """DingTalk's own recipe (its documentation's Python sample), written out again here."""
    import base64
    import hashlib
    import hmac

    string_to_sign = f"{timestamp}\n{secret}"
    return base64.b64encode(hmac.new(secret.encode(), string_to_sign.encode(), hashlib.sha256).digest()).decode()


def test_a_dingtalk_robot_with_a_secret_gets_each_post_signed_when_it_is_sent(cast, robot, monkeypatch):
    import time
    from types import SimpleNamespace

    notifications.department_robot_set(
        user=cast["dora"],
        department=cast["dora"].department,
        kind="dingtalk",
        url=robot.url("/robot/send?access_token=xyz"),
        secret=SECRET,
    )
    before = int(time.time() * 1000)
    robot.reply = {"errcode": 130101, "errmsg": "send too fast"}  # busy: the task would try again later
    with pytest.raises(notifications.RobotUnavailable):
        notifications.robot_post(department_id=cast["dora"].department_id, title="每日提醒", text="- 张伟")
    # the retry, an hour later: signed anew, with its own timestamp
    monkeypatch.setattr(notifications, "time", SimpleNamespace(time=lambda: before / 1000 + 3600))
    robot.reply = {"errcode": 0, "errmsg": "ok"}
    assert notifications.robot_post(department_id=cast["dora"].department_id, title="每日提醒", text="- 张伟")
    first, retry = (_query(path) for path, _payload in robot.received)
    for query in (first, retry):
        assert query["access_token"] == "xyz"
        assert query["sign"] == _sign(query["timestamp"], SECRET)  # parse_qs has undone the URL encoding
    assert before <= int(first["timestamp"]) <= int(time.time() * 1000)
    assert int(retry["timestamp"]) == before + 3600 * 1000
    # the sign went URL-encoded (Base64 has + / =), and the secret itself never
    path = robot.received[0][0]
    assert "sign=" in path and SECRET not in path
    assert not any(character in path.split("sign=")[1] for character in "+/=")


def test_without_a_secret_a_dingtalk_post_carries_no_sign(cast, robot):
    _robot_set(cast, "dingtalk", robot.url("/robot/send?access_token=xyz"))
    assert notifications.robot_post(department_id=cast["dora"].department_id, title="t", text="x")
    [(path, _payload)] = robot.received
    assert _query(path) == {"access_token": "xyz"}


def test_a_signed_url_replaces_a_timestamp_and_sign_pasted_with_the_address():
    url = notifications.dingtalk_signed(
        "https://oapi.dingtalk.com/robot/send?access_token=xyz&timestamp=1&sign=old", SECRET, 1700000000000
    )
    query = _query(url)
    assert query == {"access_token": "xyz", "timestamp": "1700000000000", "sign": _sign("1700000000000", SECRET)}
