"""The seven-touch rule across campaigns (七次触达, issue 20 point 5): a number is called at most CALL_TOUCH_MAX times
in any CALL_TOUCH_WINDOW_DAYS days and CALL_TOUCH_INTERVAL_HOURS apart, whatever the campaign. The rule as a pure
function, its SQL twin in the call-list build (which leaves such numbers out, and explains every number it left out
with its reason: counts on the result and the page, the numbers as CSV and through the API), and the refusal of an
outcome recorded against a number that breaks it."""

from __future__ import annotations

import csv
import datetime
import io
import random

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone, translation
from rest_framework.test import APIClient

from accounts.models import KeyPerson
from campaigns import services
from campaigns.models import CallAttempt, CallEntry, CallLeftOut, CallList, DoNotCall
from campaigns.touches import INTERVAL, LIMIT, TouchRule, touch_refusal
from tests.campaigns.test_call_lists import (
    BOB_KP,
    BOB_MEMBER,
    LI,
    MEMBER_A,
    MEMBER_B,
    WANG,
    build_calling,
    make_campaign,
)
from tests.factories import GroupMemberFactory

RULE = TouchRule(window_days=90, max_touches=7, interval_hours=48)
NOW = datetime.datetime(2026, 12, 5, 10, 0, tzinfo=datetime.UTC)


# -- the rule, pure ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("touches", "hours_ago", "reason"),
    [
        (0, None, None),  # never called
        (6, 49, None),  # a seventh call, past the interval
        (7, 200, LIMIT),  # seven in the window already
        (9, 1, LIMIT),  # the limit is said before the interval
        (3, 47, INTERVAL),  # called 47 hours ago: one more hour to wait
        (3, 48, None),  # exactly the interval
        (0, 24 * 100, None),  # called long ago, outside the window
    ],
)
def test_the_rule_counts_calls_in_the_window_and_the_time_since_the_last(touches, hours_ago, reason):
    last = NOW - datetime.timedelta(hours=hours_ago) if hours_ago is not None else None
    refusal = touch_refusal(RULE, touches=touches, last_touch=last, now=NOW)
    assert (refusal.reason if refusal else None) == reason
    if reason == INTERVAL:
        assert refusal.next_at == last + datetime.timedelta(hours=48)


def test_a_call_back_the_customer_asked_for_keeps_to_the_limit_not_to_the_interval():
    just_now = NOW - datetime.timedelta(hours=1)
    assert touch_refusal(RULE, touches=1, last_touch=just_now, now=NOW, call_back=True) is None
    assert touch_refusal(RULE, touches=1, last_touch=just_now, now=NOW).reason == INTERVAL
    assert touch_refusal(RULE, touches=7, last_touch=just_now, now=NOW, call_back=True).reason == LIMIT


def test_the_refusals_say_why_and_until_when():
    with translation.override("en"):
        limit = touch_refusal(RULE, touches=7, last_touch=NOW, now=NOW).message(RULE)
        interval = touch_refusal(RULE, touches=1, last_touch=NOW, now=NOW).message(RULE)
    assert "called 7 times in the last 90 days, across all campaigns" in limit and "at most 7" in limit
    assert "the next call is allowed from 2026-12-07 18:00" in interval and "48 hours" in interval  # Beijing time


# -- building a list -----------------------------------------------------------------------------------------------


@pytest.fixture
def calling(cast, customers, territory):
    return build_calling(cast, customers, territory)


def _touch(campaign, mobile: str, agent, *, n: int = 1, days_ago: float = 5, outcome: str = "no_answer") -> None:
    """`n` calls of the number in the campaign, `days_ago` days ago."""
    customer = KeyPerson.objects.filter(mobile=WANG).get().customer
    made = CallAttempt.objects.bulk_create(
        CallAttempt(campaign=campaign, customer=customer, mobile=mobile, agent=agent, outcome=outcome) for _ in range(n)
    )
    CallAttempt.objects.filter(pk__in=[call.pk for call in made]).update(
        called_at=timezone.now() - datetime.timedelta(days=days_ago)
    )


@pytest.mark.django_db
def test_seven_calls_in_other_campaigns_leave_a_number_out_of_the_build_and_older_ones_do_not(
    calling, cast, api, territory
):
    spring, summer = make_campaign(cast, territory, "春季外呼"), make_campaign(cast, territory, "夏季外呼")
    alice = cast["alice"]
    _touch(spring, WANG, alice, n=4, days_ago=30)
    _touch(summer, WANG, alice, n=3, days_ago=10)  # 4 + 3 = 7 in 90 days, over two other campaigns
    _touch(spring, LI, alice, n=4, days_ago=100)  # outside the window
    _touch(summer, LI, alice, n=3, days_ago=10)  # 3 in the window: still callable
    _touch(summer, MEMBER_A, alice, n=6, days_ago=3)  # 6: one more allowed
    response = api(cast["alice"]).post(f"/api/v1/campaigns/{calling['campaign'].pk}/call-list/", {}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    numbers = set(CallEntry.objects.filter(call_list_id=body["id"]).values_list("mobile", flat=True))
    assert numbers == {LI, MEMBER_A, MEMBER_B}
    assert body["entries_count"] == 3
    assert body["left_out"] == {
        "do_not_call": 0,
        "done_in_campaign": 0,
        "tried_in_campaign": 0,
        "on_open_list": 0,
        "touch_limit": 1,
    }
    assert list(CallLeftOut.objects.values_list("mobile", "reason")) == [(WANG, "touch_limit")]


@pytest.mark.django_db
def test_the_window_is_a_setting(calling, cast, territory, settings):
    spring = make_campaign(cast, territory, "春季外呼")
    _touch(spring, WANG, cast["alice"], n=7, days_ago=30)
    settings.CALL_TOUCH_WINDOW_DAYS = 20  # the seven calls were 30 days ago: outside a 20-day window
    built = services.call_list_build(user=cast["alice"], campaign=calling["campaign"], source="key_persons")
    assert WANG in set(built.entries.values_list("mobile", flat=True))
    assert built.left_out_counts["touch_limit"] == 0


@pytest.mark.django_db
def test_the_builds_sql_agrees_with_the_rule_on_generated_numbers(calling, cast, territory):
    """The build's SQL twin of the limit, held to `touch_refusal` over numbers called 0 to 10 times at ages spread
    around the window's edge, in several campaigns."""
    rng = random.Random(20)
    others = [make_campaign(cast, territory, f"外呼{n}") for n in range(3)]
    mobiles = [f"1351234{n:04d}" for n in range(60)]
    for mobile in mobiles:
        GroupMemberFactory(customer=calling["alice"], mobile=mobile)
        for _ in range(rng.randint(0, 10)):
            _touch(rng.choice(others), mobile, cast["alice"], days_ago=rng.choice([1, 30, 89, 91, 120]))
    built = services.call_list_build(user=cast["alice"], campaign=calling["campaign"], source="members")
    kept = set(built.entries.values_list("mobile", flat=True))
    rule, now = TouchRule.current(), timezone.now()
    for mobile in mobiles:
        touches = CallAttempt.objects.filter(mobile=mobile, called_at__gte=rule.window_start(now)).count()
        refusal = touch_refusal(rule, touches=touches, last_touch=None, now=now)
        assert (mobile not in kept) == (refusal is not None and refusal.reason == LIMIT), (mobile, touches)


@pytest.fixture
def every_reason(calling, cast, territory):
    """One number left out for each reason, and the build that left them out (dora's, over both customers)."""
    campaign, alice = calling["campaign"], cast["alice"]
    DoNotCall.objects.create(mobile=WANG, reason="拒绝营销")
    _touch(campaign, LI, alice, outcome="declined")  # done in the campaign
    _touch(campaign, MEMBER_A, alice, n=7, days_ago=10)  # tried 7 times in the campaign
    held = CallList.objects.create(campaign=campaign, agent=cast["bob"], created_by=cast["dora"])
    CallEntry.objects.create(call_list=held, customer=calling["wuhou"], name="蜀道刘总", mobile=BOB_KP)
    _touch(make_campaign(cast, territory, "春季外呼"), BOB_MEMBER, alice, n=7, days_ago=10)  # the seven-touch rule
    return services.call_list_build(user=cast["dora"], campaign=campaign)


@pytest.mark.django_db
def test_every_number_left_out_is_counted_by_its_reason(every_reason):
    assert every_reason.entries_count == 1  # MEMBER_B alone
    assert every_reason.left_out_counts == {
        "do_not_call": 1,
        "done_in_campaign": 1,
        "tried_in_campaign": 1,
        "on_open_list": 1,
        "touch_limit": 1,
    }
    assert dict(CallLeftOut.objects.values_list("mobile", "reason")) == {
        WANG: "do_not_call",
        LI: "done_in_campaign",
        MEMBER_A: "tried_in_campaign",
        BOB_KP: "on_open_list",
        BOB_MEMBER: "touch_limit",
    }


@pytest.mark.django_db
def test_a_build_that_leaves_everyone_out_says_how_many_for_each_reason(every_reason, cast):
    with translation.override("en"), pytest.raises(ValidationError) as refusal:
        services.call_list_build(user=cast["dora"], campaign=every_reason.campaign)
    message = refusal.value.messages[0]
    assert "every one of the 6 numbers was left out" in message
    assert "On the do-not-call list: 1" in message and "On another open list of the campaign: 2" in message
    assert CallList.objects.count() == 2 and CallLeftOut.objects.count() == 5  # the refused build wrote nothing


@pytest.mark.django_db
def test_the_list_page_counts_the_numbers_left_out_and_links_their_csv(every_reason, cast, login):
    page = login(cast["dora"]).get(f"/campaigns/call-lists/{every_reason.pk}/").content.decode()
    counts = page.split('data-testid="left-out"')[1].split("</p>")[0]
    for reason in ("do_not_call", "done_in_campaign", "tried_in_campaign", "on_open_list", "touch_limit"):
        assert f'data-reason="{reason}"' in counts
    assert "营销黑名单" in counts
    assert f'href="/campaigns/call-lists/{every_reason.pk}/left-out.csv"' in counts


@pytest.mark.django_db
def test_the_csv_lists_each_number_left_out_with_its_reason_masked_but_for_its_manager(every_reason, cast, login):
    url = f"/campaigns/call-lists/{every_reason.pk}/left-out.csv"
    response = login(cast["dora"]).get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    data = response.content.decode("utf-8")
    assert data.startswith("\ufeff")
    header, *rows = list(csv.reader(io.StringIO(data[1:])))
    assert header == ["客户编码", "客户名称", "姓名", "手机号码", "原因"]
    assert len(rows) == 5
    assert ["CD0001", "成都锦程科技有限公司", "王总", "137****0011", "在营销黑名单上"] in rows
    # alice manages CD0001: its numbers whole; bob's customer she does not see
    mine = list(csv.reader(io.StringIO(login(cast["alice"]).get(url).content.decode("utf-8")[1:])))[1:]
    assert {row[3] for row in mine} == {WANG, LI, MEMBER_A}
    from crm.models import AuditEntry

    assert AuditEntry.objects.filter(action="export", object_id=str(every_reason.pk)).count() == 2


@pytest.mark.django_db
def test_the_api_lists_the_numbers_left_out_filtered_by_reason(every_reason, cast, api):
    url = f"/api/v1/call-lists/{every_reason.pk}/left-out/"
    body = api(cast["dora"]).get(url).json()
    assert body["count"] == 5
    assert body["results"][0] == {
        "name": "王总",
        "mobile": "137****0011",
        "customer": "CD0001",
        "reason": "do_not_call",
        "reason_text": "在营销黑名单上",
    }
    only = api(cast["dora"]).get(url, {"reason": "touch_limit"}).json()
    assert [row["mobile"] for row in only["results"]] == ["138****0021"]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["carol", "gd_paul"])
def test_the_numbers_left_out_do_not_exist_for_an_outsider(every_reason, cast, api, login, who):
    assert api(cast[who]).get(f"/api/v1/call-lists/{every_reason.pk}/left-out/").status_code == 404
    assert login(cast[who]).get(f"/campaigns/call-lists/{every_reason.pk}/left-out.csv").status_code == 404
    assert APIClient().get(f"/api/v1/call-lists/{every_reason.pk}/left-out/").status_code == 401
    assert Client().get(f"/campaigns/call-lists/{every_reason.pk}/left-out.csv")["Location"].startswith("/login/")


# -- recording an outcome ------------------------------------------------------------------------------------------


@pytest.fixture
def alice_list(calling, cast):
    return services.call_list_build(user=cast["alice"], campaign=calling["campaign"])


def _outcome(client, entry, **body):
    return client.post(f"/api/v1/call-lists/{entry.call_list_id}/entries/{entry.pk}/outcome/", body, format="json")


@pytest.mark.django_db
def test_a_number_called_yesterday_in_another_campaign_is_refused_until_the_interval_has_passed(
    alice_list, cast, api, territory
):
    _touch(make_campaign(cast, territory, "春季外呼"), MEMBER_A, cast["bob"], days_ago=1)
    entry = alice_list.entries.get(mobile=MEMBER_A)
    response = _outcome(api(cast["alice"]), entry, outcome="accepted")
    assert response.status_code == 400
    message = response.json()["non_field_errors"][0]
    assert "该号码上次外呼于" in message and "两次外呼至少间隔 48 小时" in message
    assert CallAttempt.objects.filter(campaign=alice_list.campaign).count() == 0
    entry.refresh_from_db()
    assert (entry.attempts, entry.last_outcome) == (0, "")
    CallAttempt.objects.update(called_at=timezone.now() - datetime.timedelta(hours=49))
    assert _outcome(api(cast["alice"]), entry, outcome="accepted").status_code == 200


@pytest.mark.django_db
def test_the_eighth_call_in_the_window_across_campaigns_is_refused(alice_list, cast, api, territory):
    _touch(make_campaign(cast, territory, "春季外呼"), MEMBER_B, cast["bob"], n=4, days_ago=60)
    _touch(make_campaign(cast, territory, "夏季外呼"), MEMBER_B, cast["bob"], n=3, days_ago=20)
    entry = alice_list.entries.get(mobile=MEMBER_B)  # on the list: built before the seven calls
    with translation.override("en"), pytest.raises(ValidationError) as refusal:
        services.call_outcome_record(user=cast["alice"], entry=entry, outcome="no_answer")
    assert "called 7 times in the last 90 days, across all campaigns" in refusal.value.messages[0]
    assert not CallAttempt.objects.filter(campaign=alice_list.campaign).exists()


@pytest.mark.django_db
def test_a_promised_call_back_is_dialled_when_promised_within_the_interval(alice_list, cast):
    entry = alice_list.entries.get(mobile=MEMBER_A)
    soon = timezone.now() + datetime.timedelta(hours=2)
    services.call_outcome_record(user=cast["alice"], entry=entry, outcome="call_back", call_back_at=soon)
    services.call_outcome_record(user=cast["alice"], entry=entry, outcome="accepted")  # the customer's own wish
    assert list(CallAttempt.objects.order_by("pk").values_list("outcome", flat=True)) == ["call_back", "accepted"]


@pytest.mark.django_db
def test_the_interval_is_a_setting(alice_list, cast, settings):
    entry = alice_list.entries.get(mobile=MEMBER_A)
    services.call_outcome_record(user=cast["alice"], entry=entry, outcome="no_answer")
    with pytest.raises(ValidationError):
        services.call_outcome_record(user=cast["alice"], entry=entry, outcome="no_answer")
    settings.CALL_TOUCH_INTERVAL_HOURS = 0
    services.call_outcome_record(user=cast["alice"], entry=entry, outcome="no_answer")
    assert CallAttempt.objects.count() == 2


@pytest.mark.django_db
def test_a_resting_number_shows_until_when_on_the_page_without_a_form_or_a_dial_link(alice_list, cast, login):
    entry = alice_list.entries.get(mobile=MEMBER_A)
    services.call_outcome_record(user=cast["alice"], entry=entry, outcome="no_answer")
    html = login(cast["alice"]).get(f"/campaigns/call-lists/{alice_list.pk}/").content.decode()
    row = html.split(f'data-entry="{entry.pk}"')[1].split("</tr>")[0]
    assert 'data-testid="resting"' in row and "outcome-form" not in row and "tel:" not in row
    other = html.split(f'data-entry="{alice_list.entries.get(mobile=MEMBER_B).pk}"')[1].split("</tr>")[0]
    assert "outcome-form" in other and f'href="tel:{MEMBER_B}"' in other
