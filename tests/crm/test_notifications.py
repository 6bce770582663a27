"""Notifications (issue 17, point 5): the inbox API and pages, only one's own, the events that write them, the user's
channels, the department head's robot settings and the morning digest."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Customer
from campaigns.models import CustomerPlan
from campaigns.services import campaign_create, plan_update
from crm import notifications
from crm.models import AuditEntry, Department, JobStatus, Notification, NotificationPreference
from crm.services import job_run_close, job_runs_sweep
from teams.services import team_reassign, team_set
from tests.factories import CustomerFactory, NotificationFactory, TeamRoleFactory
from tests.imports.conftest import csv_bytes, run_file  # noqa: F401, F811 - run_file is a fixture
from tiering.models import TierJobRun, TierOverride

pytestmark = pytest.mark.django_db

URL = "/api/v1/notifications/"
FIELDS = {"id", "kind", "title", "body", "url", "created_at", "read"}


@pytest.fixture(autouse=True)
def _eager_celery(monkeypatch):
    from crm.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)


# -- the API ---------------------------------------------------------------------------------------------------------


def test_the_list_gives_the_contract_fields_newest_first_and_only_ones_own(api, cast):
    older = NotificationFactory(recipient=cast["alice"], title="旧", created_at=timezone.now() - datetime.timedelta(1))
    newer = NotificationFactory(recipient=cast["alice"], title="新", url="/customers/CD0001/")
    NotificationFactory(recipient=cast["bob"], title="鲍勃的")
    response = api(cast["alice"]).get(URL)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 2
    assert [item["id"] for item in body["results"]] == [newer.pk, older.pk]
    assert set(body["results"][0]) == FIELDS
    assert body["results"][0]["url"] == "/customers/CD0001/" and body["results"][0]["read"] is False


def test_the_unread_filter_and_the_page_size(api, cast):
    NotificationFactory(recipient=cast["alice"], read_at=timezone.now())
    unread = NotificationFactory.create_batch(3, recipient=cast["alice"])
    client = api(cast["alice"])
    only_unread = client.get(URL, {"unread": "true"}).json()
    assert sorted(item["id"] for item in only_unread["results"]) == sorted(n.pk for n in unread)
    assert client.get(URL, {"unread": "false"}).json()["count"] == 1
    paged = client.get(URL, {"page_size": 2}).json()
    assert (paged["count"], len(paged["results"])) == (4, 2) and paged["next"]


def test_reading_one_marks_it_read_and_again_changes_nothing(api, cast):
    notification = NotificationFactory(recipient=cast["alice"])
    client = api(cast["alice"])
    response = client.post(f"{URL}{notification.pk}/read/")
    assert response.status_code == 200
    assert response.json()["read"] is True and set(response.json()) == FIELDS
    notification.refresh_from_db()
    first = notification.read_at
    assert first is not None
    client.post(f"{URL}{notification.pk}/read/")
    notification.refresh_from_db()
    assert notification.read_at == first


def test_another_users_notification_does_not_exist_for_the_caller(api, cast):
    bobs = NotificationFactory(recipient=cast["bob"])
    client = api(cast["alice"])
    assert client.post(f"{URL}{bobs.pk}/read/").status_code == 404
    assert client.post(f"{URL}abc/read/").status_code == 404
    bobs.refresh_from_db()
    assert bobs.read_at is None
    assert api(cast["hq"]).post(f"{URL}{bobs.pk}/read/").status_code == 404  # not even headquarters'


def test_read_all_marks_only_ones_own_unread(api, cast):
    NotificationFactory.create_batch(3, recipient=cast["alice"])
    NotificationFactory(recipient=cast["alice"], read_at=timezone.now())
    bobs = NotificationFactory(recipient=cast["bob"])
    response = api(cast["alice"]).post(f"{URL}read-all/")
    assert response.status_code == 200 and response.json() == {"marked": 3}
    assert not Notification.objects.filter(recipient=cast["alice"], read_at=None).exists()
    bobs.refresh_from_db()
    assert bobs.read_at is None


@pytest.mark.parametrize("method,path", [("get", ""), ("post", "1/read/"), ("post", "read-all/")])
def test_anonymous_callers_are_refused(client, cast, method, path):
    from rest_framework.test import APIClient

    response = getattr(APIClient(), method)(f"{URL}{path}")
    assert response.status_code == 401


def test_the_schema_describes_the_three_operations(staff_client):
    schema = staff_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    assert "get" in paths["/api/v1/notifications/"]
    assert {"unread", "page", "page_size"} <= {p["name"] for p in paths["/api/v1/notifications/"]["get"]["parameters"]}
    assert "post" in paths["/api/v1/notifications/{id}/read/"]
    assert "post" in paths["/api/v1/notifications/read-all/"]
    fields = schema["components"]["schemas"]["Notification"]["properties"]
    assert set(fields) == FIELDS


def test_the_list_answers_in_a_fixed_number_of_queries(api, cast, django_assert_num_queries):
    NotificationFactory.create_batch(30, recipient=cast["alice"])
    client = api(cast["alice"])
    # the token and its user, the count, the page
    with django_assert_num_queries(3):
        assert client.get(URL).status_code == 200


# -- notify ----------------------------------------------------------------------------------------------------------


def test_the_same_event_is_notified_once_and_inactive_staff_not_at_all(cast):
    cast["carol"].is_active = False
    cast["carol"].save()
    recipients = [cast["alice"], cast["bob"], cast["carol"], None]
    first = notifications.notify(recipients=recipients, kind="job_finished", title="完成", dedupe_key="job:1")
    assert len(first) == 2
    again = notifications.notify(
        recipients=[cast["alice"], cast["dora"]], kind="job_finished", title="完成", dedupe_key="job:1"
    )
    assert Notification.objects.get(pk__in=again).recipient == cast["dora"]
    assert Notification.objects.filter(dedupe_key="job:1").count() == 3
    plain = notifications.notify(recipients=[cast["alice"]], kind="job_finished", title="完成")
    plain += notifications.notify(recipients=[cast["alice"]], kind="job_finished", title="完成")
    assert len(plain) == 2


def test_many_notifications_at_once_each_to_its_own_in_a_few_queries(cast, monkeypatch, django_assert_num_queries):
    """`notify_each`, as a job telling thousands of collectors of their own cases uses it: each message reaches its
    own recipients, inactive staff and events already told are skipped, the writes a statement per batch."""
    monkeypatch.setattr(notifications, "WRITE_BATCH", 2)
    cast["carol"].is_active = False
    cast["carol"].save()
    notifications.notify(recipients=[cast["bob"]], kind="arrears_case", title="旧", dedupe_key="case:2")
    messages = [
        notifications.Message(recipients=[cast["alice"]], kind="arrears_case", title="一", dedupe_key="case:1"),
        notifications.Message(recipients=[cast["bob"]], kind="arrears_case", title="二", dedupe_key="case:2"),
        notifications.Message(recipients=[cast["carol"]], kind="arrears_case", title="三", dedupe_key="case:3"),
        notifications.Message(recipients=[cast["dora"], cast["bob"]], kind="arrears_case", title="四", url="/x/"),
    ]
    # who is active (two batches of two), the plain rows, the keyed rows, and reading back the keyed (one batch)
    with django_assert_num_queries(5):
        ids = notifications.notify_each(messages)
    written = {(n.recipient.username, n.title) for n in Notification.objects.filter(pk__in=ids)}
    assert written == {("alice", "一"), ("dora", "四"), ("bob", "四")}
    assert Notification.objects.filter(dedupe_key="case:2").get().title == "旧"
    with pytest.raises(ValueError):
        notifications.notify_each([notifications.Message(recipients=[cast["alice"]], kind="gossip", title="?")])


def test_an_unknown_kind_is_refused(cast):
    with pytest.raises(ValueError):
        notifications.notify(recipients=[cast["alice"]], kind="gossip", title="?")


def test_texts_are_written_in_the_sites_language_whoever_causes_the_event(cast):
    from django.utils import translation
    from django.utils.translation import gettext_lazy

    with translation.override("en"):
        ids = notifications.notify(
            recipients=[cast["alice"]],
            kind="job_failed",
            title=notifications.phrase(gettext_lazy("Failed: %(job)s"), {"job": "x"}),
        )
    assert Notification.objects.get(pk=ids[0]).title == "失败：x"


# -- the events ------------------------------------------------------------------------------------------------------


def _kinds(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).order_by("pk").values_list("kind", flat=True))


def test_a_team_change_tells_who_got_and_who_lost_a_role_not_the_one_who_made_it(cast, customers):
    alice_customer = customers["alice"]
    team_set(
        by=cast["dora"],
        customer=alice_customer,
        roles={"customer_manager": cast["bob"], "service_manager": cast["alice"]},
    )
    bob = Notification.objects.get(recipient=cast["bob"])
    assert bob.kind == "customer_assigned"
    assert "成都锦程科技有限公司" in bob.title and bob.url == "/customers/CD0001/"
    assert _kinds(cast["alice"]) == ["team_role_given", "team_role_taken"]
    assert not Notification.objects.filter(recipient=cast["dora"]).exists()


def test_a_bulk_reassign_tells_each_target_once_and_the_leaving_manager(cast, customers, territory):
    for number in range(3):
        customer = CustomerFactory(code=f"CDX{number}", region=territory["jinjiang"])
        TeamRoleFactory(customer=customer, user=cast["alice"])
    team_reassign(by=cast["dora"], leaving=cast["alice"], targets=[cast["bob"]])
    bob = Notification.objects.get(recipient=cast["bob"])
    assert bob.kind == "customer_assigned" and "4" in bob.title
    assert _kinds(cast["alice"]) == ["team_role_taken"]


def test_a_new_campaign_tells_each_plan_owner_once_and_a_hand_over_tells_the_new_owner(cast, customers, territory):
    from campaigns.models import Product

    Customer.objects.filter(pk__in=[customers["alice"].pk, customers["wuhou"].pk]).update(tier="B")
    product = Product.objects.first()
    campaign = campaign_create(
        user=cast["dora"],
        data={
            "name": "春季专线推广",
            "kind": "product_push",
            "region": territory["chengdu"],
            "starts_on": datetime.date.today(),
            "ends_on": datetime.date.today() + datetime.timedelta(days=30),
            "target_products": [product],
            "segment": {},
        },
    )
    assert _kinds(cast["alice"]) == ["plan_assigned"] and _kinds(cast["bob"]) == ["plan_assigned"]
    assert "春季专线推广" in Notification.objects.get(recipient=cast["alice"]).title
    plan = CustomerPlan.objects.get(campaign=campaign, customer=customers["alice"])
    TeamRoleFactory(customer=customers["alice"], user=cast["bob"], role="service_manager")
    plan_update(user=cast["dora"], plan=plan, data={"owner": cast["bob"]})
    latest = Notification.objects.filter(recipient=cast["bob"]).latest("pk")
    assert latest.kind == "plan_assigned" and "成都锦程科技有限公司" in latest.title


def test_a_job_run_tells_who_started_it_how_it_ended_once(cast, territory):
    finished = TierJobRun.objects.create(triggered_by=cast["paul"], scope=territory["sichuan"], chunks_total=2)
    finished.chunks_done = 2
    job_run_close(finished)
    job_run_close(finished)  # a callback delivered twice
    failed = TierJobRun.objects.create(triggered_by=cast["paul"], scope=territory["sichuan"], errors=[{"error": "x"}])
    job_run_close(failed)
    assert _kinds(cast["paul"]) == ["job_finished", "job_failed"]
    nightly = TierJobRun.objects.create(scope=territory["sichuan"])
    job_run_close(nightly)
    assert Notification.objects.count() == 2  # a nightly run has nobody to tell


def test_a_swept_job_run_is_a_failure_told_to_who_started_it(cast, territory):
    run = TierJobRun.objects.create(triggered_by=cast["paul"], scope=territory["sichuan"], chunks_total=3)
    TierJobRun.objects.filter(pk=run.pk).update(started_at=timezone.now() - datetime.timedelta(hours=5))
    assert job_runs_sweep(run_model=TierJobRun, silence=datetime.timedelta(minutes=90)) == 1
    assert run.status == JobStatus.RUNNING
    assert _kinds(cast["paul"]) == ["job_failed"]


def test_an_import_tells_its_owner_when_written_and_when_refused(cast, run_file):  # noqa: F811
    header = ["客户编码", "客户名称", "统一社会信用代码", "行业", "区域", "手机数量", "月均消费", "状态"]
    good = [header, ["N0001", "成都新客户一", "", "", "510104", "600", "1000.50", "在网"]]
    run = run_file(cast["paul"], "customers", _csv(good), then="write")
    assert run.status == "done"
    done = Notification.objects.get(recipient=cast["paul"])
    assert (done.kind, done.url) == ("import_finished", f"/imports/{run.pk}/")
    bad = [header, ["N0002", "坏", "", "", "999999", "1", "0", "在网"]]
    refused = run_file(cast["paul"], "customers", _csv(bad), then="write")
    assert refused.status == "invalid"
    assert _kinds(cast["paul"]) == ["import_finished", "import_failed"]


def _csv(rows) -> bytes:
    return csv_bytes(rows)


# -- pages -----------------------------------------------------------------------------------------------------------


def test_the_inbox_lists_ones_own_marks_the_unread_and_costs_a_fixed_number_of_queries(
    login, cast, django_assert_num_queries
):
    NotificationFactory.create_batch(25, recipient=cast["alice"], title="提醒")
    NotificationFactory(recipient=cast["bob"], title="鲍勃的提醒")
    client = login(cast["alice"])
    # session, the user with their region and the badge's unread count (crm.security.UserBackend), the page's
    # count, the page
    with django_assert_num_queries(4):
        response = client.get("/notifications/")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("data-unread") == 20 and "鲍勃的提醒" not in html
    assert 'data-testid="unread-count">25<' in html
    with django_assert_num_queries(4):
        client.get("/notifications/?page=2")


def test_the_badge_costs_one_indexed_count_on_any_page_and_nothing_for_anonymous_visitors(
    login, cast, client, django_assert_num_queries
):
    NotificationFactory.create_batch(3, recipient=cast["alice"])
    with django_assert_num_queries(0):
        html = client.get("/login/").content.decode()
    assert "nav-bell" not in html
    signed_in = login(cast["alice"])

    def badge_queries() -> tuple[str, list[str]]:
        with CaptureQueriesContext(connection) as queries:
            html = signed_in.get("/notifications/settings/").content.decode()
        return html, [query["sql"] for query in queries if 'FROM "crm_notification" ' in query["sql"]]

    html, counted = badge_queries()
    assert 'data-testid="unread-count">3<' in html
    assert len(counted) == 1 and "COUNT(*)" in counted[0] and "read_at" in counted[0]
    notifications.notify(recipients=[cast["alice"]], kind="job_finished", title="完成")
    assert 'data-testid="unread-count">4<' in badge_queries()[0]
    first = notifications.inbox(cast["alice"]).first()
    signed_in.post(f"/notifications/{first.pk}/read/")
    assert 'data-testid="unread-count">3<' in badge_queries()[0]
    signed_in.post("/notifications/read-all/")
    assert "unread-count" not in badge_queries()[0]


def test_opening_a_notification_marks_it_read_and_goes_where_it_points(login, cast):
    notification = NotificationFactory(recipient=cast["alice"], url="/customers/CD0001/")
    client = login(cast["alice"])
    response = client.post(f"/notifications/{notification.pk}/read/", {"open": "1"})
    assert response.status_code == 302 and response["Location"] == "/customers/CD0001/"
    notification.refresh_from_db()
    assert notification.read
    bobs = NotificationFactory(recipient=cast["bob"])
    assert client.post(f"/notifications/{bobs.pk}/read/").status_code == 404


def test_an_outside_link_is_never_followed(login, cast):
    notification = NotificationFactory(recipient=cast["alice"], url="https://evil.example.com/")
    response = login(cast["alice"]).post(f"/notifications/{notification.pk}/read/", {"open": "1"})
    assert response["Location"] == "/notifications/"


def test_read_all_from_the_inbox(login, cast):
    NotificationFactory.create_batch(2, recipient=cast["alice"])
    response = login(cast["alice"]).post("/notifications/read-all/", follow=True)
    assert "2" in response.content.decode()
    assert not notifications.unread(cast["alice"]).exists()


def test_the_inbox_is_for_signed_in_users(client, db):
    assert client.get("/notifications/").status_code == 302


# -- channels --------------------------------------------------------------------------------------------------------


def test_choosing_e_mail_needs_an_address(login, cast):
    client = login(cast["alice"])
    response = client.post("/notifications/settings/", {"by_email": "on", "email": ""})
    assert response.status_code == 200
    assert "电子邮件地址" in response.content.decode()
    assert not NotificationPreference.objects.filter(user=cast["alice"]).exists()
    response = client.post(
        "/notifications/settings/", {"by_email": "on", "email": "alice@example.com", "by_robot": "on"}
    )
    assert response.status_code == 302
    preference = NotificationPreference.objects.get(user=cast["alice"])
    assert (preference.by_email, preference.by_robot) == (True, True)
    cast["alice"].refresh_from_db()
    assert cast["alice"].email == "alice@example.com"


# -- the department's robot ------------------------------------------------------------------------------------------

WECOM = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx"


def test_only_the_departments_head_sets_its_robot(login, cast):
    for name in ("alice", "paul", "hq"):
        assert login(cast[name]).get("/notifications/robot/").status_code == 403
    client = login(cast["dora"])
    assert client.get("/notifications/robot/").status_code == 200
    response = client.post("/notifications/robot/", {"robot_kind": "wecom", "robot_webhook_url": WECOM})
    assert response.status_code == 302
    department = Department.objects.get(name="成都市政企客户部")
    assert (department.robot_kind, department.robot_webhook_url) == ("wecom", WECOM)


@pytest.mark.parametrize(
    "url",
    ["ftp://robot.example.com/send", "javascript:alert(1)", "qyapi.weixin.qq.com/cgi-bin/webhook/send", "http://"],
)
def test_a_webhook_that_is_not_http_is_refused_with_a_message_naming_the_field(login, cast, url):
    response = login(cast["dora"]).post("/notifications/robot/", {"robot_kind": "wecom", "robot_webhook_url": url})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-field="robot_webhook_url"' in html and "机器人 Webhook 地址" in html
    assert Department.objects.get(name="成都市政企客户部").robot_webhook_url == ""


def test_an_intranet_robot_without_a_top_level_domain_is_accepted(cast):
    department = notifications.department_robot_set(
        user=cast["dora"],
        department=cast["dora"].department,
        kind="dingtalk",
        url="http://dingtalk-gw:8080/robot/send?access_token=x",
    )
    assert department.robot_kind == "dingtalk"


def test_the_robot_change_is_audited_without_its_key(cast):
    notifications.department_robot_set(user=cast["dora"], department=cast["dora"].department, kind="wecom", url=WECOM)
    entry = AuditEntry.objects.get(object_type="crm.department")
    assert entry.username == "dora" and entry.action == "update"
    assert entry.changes["robot_webhook_url"] == ["", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***"]
    assert "693a91f6" not in str(entry.changes)


def test_a_service_call_by_someone_else_is_refused(cast):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        notifications.department_robot_set(
            user=cast["bob"], department=cast["dora"].department, kind="wecom", url=WECOM
        )


# -- the morning digest ----------------------------------------------------------------------------------------------


@pytest.fixture
def behind(cast, customers, territory):
    """alice: a B customer with no visit this month and a campaign plan idle for 20 days; paul: an override that
    expires in 3 days."""
    from campaigns.models import Campaign

    Customer.objects.filter(pk=customers["alice"].pk).update(tier="B")
    today = timezone.localdate()
    campaign = Campaign.objects.create(
        name="老活动",
        kind="product_push",
        department=cast["dora"].department,
        region=territory["chengdu"],
        starts_on=today - datetime.timedelta(days=30),
        ends_on=today + datetime.timedelta(days=30),
        created_by=cast["dora"],
    )
    plan = CustomerPlan.objects.create(
        campaign=campaign, customer=customers["alice"], objective="开通", owner=cast["alice"]
    )
    CustomerPlan.objects.filter(pk=plan.pk).update(stage_changed_at=timezone.now() - datetime.timedelta(days=20))
    TierOverride.objects.create(
        customer=customers["wuhou"],
        tier="A",
        reason="重点",
        expires_on=today + datetime.timedelta(days=3),
        set_by=cast["paul"],
    )
    return customers


def test_the_digest_tells_each_user_what_is_due_once_a_day(cast, behind):
    outcome = notifications.digest_send()
    assert _kinds(cast["alice"]) == ["visit_overdue", "stage_idle"]
    visits = Notification.objects.get(recipient=cast["alice"], kind="visit_overdue")
    assert "1" in visits.title and "成都锦程科技有限公司" in visits.body and visits.url == "/visits/due/"
    assert "14" in Notification.objects.get(recipient=cast["alice"], kind="stage_idle").title
    assert _kinds(cast["paul"]) == ["override_expiring"]
    assert "成都蜀道物流有限公司" in Notification.objects.get(recipient=cast["paul"]).body
    # bob's customer has no tier: no standard, nothing due
    assert not Notification.objects.filter(recipient=cast["bob"]).exists()
    assert outcome.users == 2 and outcome.notifications == 3
    again = notifications.digest_send()
    assert again.notifications == 0 and Notification.objects.count() == 3


def test_the_digest_names_call_backs_due_and_idle_opportunities(cast, behind):
    from campaigns.models import CallEntry, CallList, Campaign, Opportunity
    from tests.factories import OpportunityFactory

    campaign = Campaign.objects.get(name="老活动")
    calls = CallList.objects.create(campaign=campaign, agent=cast["bob"], created_by=cast["dora"])
    today = timezone.localdate()
    for number, day in enumerate([today, today - datetime.timedelta(days=2), today + datetime.timedelta(days=3)]):
        CallEntry.objects.create(
            call_list=calls,
            customer=behind["wuhou"],
            name=f"联系人{number}",
            mobile=f"1390000000{number}",
            last_outcome="call_back",
            call_back_on=day,
        )
    opportunity = OpportunityFactory(customer=behind["alice"], owner=cast["alice"])
    Opportunity.objects.filter(pk=opportunity.pk).update(stage_changed_at=timezone.now() - datetime.timedelta(days=30))
    notifications.digest_send()
    call_backs = Notification.objects.get(recipient=cast["bob"], kind="call_back_due")
    assert "2" in call_backs.title and (today - datetime.timedelta(days=2)).isoformat() in call_backs.body
    assert _kinds(cast["alice"]) == ["visit_overdue", "stage_idle", "opportunity_idle"]


def test_the_idle_threshold_is_a_setting(cast, behind, settings):
    settings.PLAN_IDLE_DAYS = 30
    notifications.digest_send()
    assert _kinds(cast["alice"]) == ["visit_overdue"]


def test_the_digest_is_in_the_beat_schedule_at_eight(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["notifications-digest-daily"]
    assert entry["task"] == "crm.tasks.notifications_digest_daily"
    assert entry["schedule"].hour == {8} and entry["schedule"].minute == {0}
    assert settings.CELERY_TIMEZONE == "Asia/Shanghai"


def test_no_two_users_see_each_others_digest(cast, behind, api):
    notifications.digest_send()
    assert api(cast["bob"]).get(URL).json()["count"] == 0
    assert api(cast["alice"]).get(URL).json()["count"] == 2


@pytest.mark.parametrize(
    ("variable", "value"),
    [("EMAIL_URL", "pigeon://loft"), ("NOTIFICATION_ROBOT_TIMEOUT_SECONDS", "soon"), ("PLAN_IDLE_DAYS", "a fortnight")],
)
def test_a_bad_notification_setting_stops_start_up_naming_it(variable, value):
    from tests.crm.test_settings import manage

    result = manage("check", **{variable: value})
    assert result.returncode != 0
    assert variable in result.stderr


# -- the kinds a user mutes (免打扰) ----------------------------------------------------------------------------------


def test_muted_kinds_round_trip_through_the_settings_page(login, cast):
    client = login(cast["alice"])
    page = client.get("/notifications/settings/").content.decode()
    assert 'name="muted_kinds"' in page and "免打扰的消息类型" in page and "客户已分配" in page
    response = client.post(
        "/notifications/settings/",
        {"email": "alice@example.com", "by_email": "on", "muted_kinds": ["visit_overdue", "job_finished"]},
    )
    assert response.status_code == 302
    preference = NotificationPreference.objects.get(user=cast["alice"])
    assert preference.muted_kinds == ["visit_overdue", "job_finished"]
    page = client.get("/notifications/settings/").content.decode()
    assert _checked(page, "visit_overdue") and _checked(page, "job_finished")
    assert not _checked(page, "customer_assigned")
    # every box unticked: nothing muted
    assert client.post("/notifications/settings/", {"email": "alice@example.com", "by_email": "on"}).status_code == 302
    preference.refresh_from_db()
    assert preference.muted_kinds == [] and preference.by_email


def _checked(page: str, kind: str) -> bool:
    import re

    tag = re.search(rf'<input[^>]*name="muted_kinds"[^>]*value="{kind}"[^>]*>', page)
    assert tag, kind
    return "checked" in tag.group(0)


def test_an_unknown_kind_is_refused_with_a_message_naming_the_field(login, cast):
    from django.core.exceptions import ValidationError

    response = login(cast["alice"]).post("/notifications/settings/", {"muted_kinds": ["visit_overdue", "spam"]})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-field="muted_kinds"' in html and "免打扰的消息类型：“spam”不是有效的消息类型。" in html
    assert not NotificationPreference.objects.filter(user=cast["alice"]).exists()
    with pytest.raises(ValidationError) as refused:
        notifications.notification_preferences_set(
            user=cast["alice"], by_email=False, by_robot=False, muted_kinds=["spam"]
        )
    assert refused.value.message_dict["muted_kinds"] == ["免打扰的消息类型：“spam”不是有效的消息类型。"]


def test_muted_kinds_are_kept_in_the_kinds_order_once_each(cast):
    notifications.notification_preferences_set(
        user=cast["alice"], by_email=False, by_robot=False, muted_kinds=["job_failed", "plan_assigned", "job_failed"]
    )
    assert NotificationPreference.objects.get(user=cast["alice"]).muted_kinds == ["plan_assigned", "job_failed"]
    # not given: kept as they are
    notifications.notification_preferences_set(user=cast["alice"], by_email=False, by_robot=True)
    assert NotificationPreference.objects.get(user=cast["alice"]).muted_kinds == ["plan_assigned", "job_failed"]


@pytest.mark.parametrize("value", ["visit_overdue", ["visit_overdue", 3], ["visit_overdue", "visit_overdue"]])
def test_the_muted_kinds_rule_takes_a_list_of_known_kinds_once_each(value):
    from django.core.exceptions import ValidationError

    from crm.models import muted_kinds_validator

    muted_kinds_validator(["visit_overdue", "job_failed"])
    with pytest.raises(ValidationError):
        muted_kinds_validator(value)


# -- the 钉钉 robot's signing secret (加签) ---------------------------------------------------------------------------

DINGTALK = "https://oapi.dingtalk.com/robot/send?access_token=6f4e"
SECRET = "SEC" + "b7d3" * 16


def _robot_post(client, **data):
    return client.post("/notifications/robot/", {"robot_kind": "dingtalk", "robot_webhook_url": DINGTALK, **data})


def test_the_secret_is_set_on_the_robot_page_and_never_shown_back(login, cast):
    client = login(cast["dora"])
    assert _robot_post(client, robot_secret=SECRET).status_code == 302
    department = Department.objects.get(name="成都市政企客户部")
    assert department.robot_secret == SECRET
    page = client.get("/notifications/robot/").content.decode()
    assert SECRET not in page and SECRET[3:] not in page and "b7d3b7d3" not in page
    assert "已开启：已设置密钥" in page and 'name="robot_secret_clear"' in page
    assert 'name="robot_secret"' in page and "留空则保持不变" in page
    # saved again with the field empty (as the page always shows it): kept
    assert _robot_post(client).status_code == 302
    department.refresh_from_db()
    assert department.robot_secret == SECRET
    # a new one replaces it; the box removes it
    assert _robot_post(client, robot_secret="SECnew").status_code == 302
    department.refresh_from_db()
    assert department.robot_secret == "SECnew"
    assert _robot_post(client, robot_secret_clear="on").status_code == 302
    department.refresh_from_db()
    assert department.robot_secret == ""
    assert 'name="robot_secret_clear"' not in client.get("/notifications/robot/").content.decode()


def test_a_refused_secret_is_not_shown_back_either(login, cast):
    response = login(cast["dora"]).post(
        "/notifications/robot/", {"robot_kind": "wecom", "robot_webhook_url": WECOM, "robot_secret": SECRET}
    )
    assert response.status_code == 200
    assert SECRET not in response.content.decode()


def test_the_secret_is_kept_out_of_the_audit_trail(cast):
    dora, department = cast["dora"], cast["dora"].department

    def robot_set(**secret):
        notifications.department_robot_set(user=dora, department=department, kind="dingtalk", url=DINGTALK, **secret)
        return AuditEntry.objects.filter(object_type="crm.department").order_by("-id").first().changes

    assert robot_set(secret=SECRET)["robot_secret"] == ["", "***"]
    assert robot_set(secret="SECother")["robot_secret"] == ["***", "***"]
    assert robot_set(secret="")["robot_secret"] == ["***", ""]
    trail = str(list(AuditEntry.objects.values_list("changes", "detail")))
    assert SECRET not in trail and "SECother" not in trail and "b7d3" not in trail


def test_a_wecom_robot_refuses_a_secret_with_a_message_naming_the_field(login, cast):
    response = login(cast["dora"]).post(
        "/notifications/robot/", {"robot_kind": "wecom", "robot_webhook_url": WECOM, "robot_secret": SECRET}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-field="robot_secret"' in html and "机器人加签密钥：只有钉钉机器人使用加签" in html
    department = Department.objects.get(name="成都市政企客户部")
    assert (department.robot_webhook_url, department.robot_secret) == ("", "")
    assert not AuditEntry.objects.filter(object_type="crm.department").exists()


@pytest.mark.parametrize(
    ("secret", "message"),
    [("b7d3b7d3", "以 SEC 开头"), ("SEC b7d3", "不含空格"), ("SEC密钥", "不含空格")],
)
def test_a_secret_not_as_dingtalk_shows_it_is_refused(cast, secret, message):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        notifications.department_robot_set(
            user=cast["dora"], department=cast["dora"].department, kind="dingtalk", url=DINGTALK, secret=secret
        )
    [text] = refused.value.message_dict["robot_secret"]
    assert text.startswith("机器人加签密钥：") and message in text


def test_a_robot_turned_wecom_or_removed_drops_its_secret(cast):
    dora, department = cast["dora"], cast["dora"].department
    notifications.department_robot_set(user=dora, department=department, kind="dingtalk", url=DINGTALK, secret=SECRET)
    notifications.department_robot_set(user=dora, department=department, kind="wecom", url=WECOM)
    assert Department.objects.get(pk=department.pk).robot_secret == ""
    notifications.department_robot_set(user=dora, department=department, kind="dingtalk", url=DINGTALK, secret=SECRET)
    notifications.department_robot_set(user=dora, department=department, kind="", url="")
    robot = Department.objects.values_list("robot_kind", "robot_webhook_url", "robot_secret").get(pk=department.pk)
    assert robot == ("", "", "")


def test_the_database_refuses_a_secret_on_a_wecom_robot(cast):
    from django.db import IntegrityError, transaction

    Department.objects.filter(pk=cast["dora"].department_id).update(robot_kind="wecom", robot_webhook_url=WECOM)
    with pytest.raises(IntegrityError), transaction.atomic():
        Department.objects.filter(pk=cast["dora"].department_id).update(robot_secret=SECRET)


def test_a_row_written_without_the_new_columns_gets_their_defaults(cast):
    """Raw-SQL writers that predate the secret and the muting keep working: the database fills both in."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO crm_notificationpreference (user_id, by_email, by_robot) VALUES (%s, %s, %s)",
            [cast["bob"].pk, True, False],
        )
        cursor.execute(
            "INSERT INTO crm_department (name, region_id, robot_kind, robot_webhook_url, robot_failure) "
            "VALUES (%s, %s, %s, %s, %s)",
            ["原始写入部", cast["dora"].department.region_id, "", "", ""],
        )
    assert NotificationPreference.objects.get(user=cast["bob"]).muted_kinds == []
    assert Department.objects.get(name="原始写入部").robot_secret == ""


def test_a_department_removed_in_the_admin_leaves_its_robots_key_and_secret_out_of_the_trail(login, cast):
    department = Department.objects.create(
        name="待撤销部",
        region=cast["dora"].department.region,
        robot_kind="dingtalk",
        robot_webhook_url=DINGTALK,
        robot_secret=SECRET,
    )
    cast["hq"].is_staff = True
    cast["hq"].save()
    hq = login(cast["hq"])
    assert hq.post(f"/admin/crm/department/{department.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not Department.objects.filter(pk=department.pk).exists()
    entry = AuditEntry.objects.get(object_type="crm.department", object_id=str(department.pk), action="delete")
    assert entry.changes["robot_secret"] == ["***", None]
    assert entry.changes["robot_webhook_url"] == ["https://oapi.dingtalk.com/robot/send?access_token=***", None]
    assert SECRET not in str(entry.changes) and "6f4e" not in str(entry.changes)


def test_the_unread_count_read_with_the_user_is_forgotten_once_the_request_reads_notifications(cast):
    """The signed-in user comes with the bell's count (crm.security.UserBackend, one query fewer a page); marking
    notifications read in the same request forgets it, so the page it renders counts again."""
    from crm.security import UserBackend

    NotificationFactory.create_batch(2, recipient=cast["alice"])
    user = UserBackend().get_user(cast["alice"].pk)
    assert user.region is not None  # read with the user
    assert notifications.unread_count(user) == 2
    NotificationFactory(recipient=cast["alice"])
    assert notifications.unread_count(user) == 2  # as the request found it
    notifications.notification_read(user=user, notification=notifications.inbox(user).first())
    assert notifications.unread_count(user) == 2  # counted again: 3 less the one read
    assert notifications.notifications_read_all(user=user) == 2
    assert notifications.unread_count(user) == 0
