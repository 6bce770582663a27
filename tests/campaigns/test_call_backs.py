"""Call-backs (约定回呼, issue 20 point 5): a `call_back` takes the date and time to call again (`call_back_at`),
required and in the future, taken by no other outcome; kept on the call and on the entry with its day in
Asia/Shanghai (`call_back_on`, which the day's lists read), and a to-do of the agent who calls the number: a
notification when promised and again when due, and the call-backs due on *my call lists*."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone, translation

from campaigns import services
from campaigns.models import CallAttempt, CallEntry
from campaigns.notices import call_backs_remind
from crm.models import Notification
from tests.campaigns.test_call_lists import MEMBER_A, MEMBER_B, build_calling

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
MINE = "/campaigns/call-lists/"


@pytest.fixture
def entry(cast, customers, territory) -> CallEntry:
    calling = build_calling(cast, customers, territory)
    services.call_list_build(user=cast["alice"], campaign=calling["campaign"])
    return CallEntry.objects.get(mobile=MEMBER_A)


def _in(**delta) -> datetime.datetime:
    return timezone.now().replace(microsecond=0) + datetime.timedelta(**delta)


def _url(entry: CallEntry) -> str:
    return f"/api/v1/call-lists/{entry.call_list_id}/entries/{entry.pk}/outcome/"


@pytest.mark.parametrize(
    ("outcome", "call_back_at", "words"),
    [
        ("call_back", None, "A call back needs the date and time to call again."),
        ("call_back", {"minutes": -5}, "is in the past"),
        ("no_answer", {"days": 1}, "Only a call back takes a time to call again."),
    ],
)
def test_a_bad_call_back_time_is_refused_on_its_field_and_nothing_is_written(entry, cast, outcome, call_back_at, words):
    when = _in(**call_back_at) if call_back_at is not None else None
    with translation.override("en"), pytest.raises(ValidationError) as refusal:
        services.call_outcome_record(user=cast["alice"], entry=entry, outcome=outcome, call_back_at=when)
    assert list(refusal.value.message_dict) == ["call_back_at"]
    assert words in refusal.value.message_dict["call_back_at"][0]
    assert not CallAttempt.objects.exists() and not Notification.objects.exists()
    entry.refresh_from_db()
    assert (entry.attempts, entry.last_outcome, entry.call_back_at) == (0, "", None)


def test_the_time_is_kept_on_the_call_and_the_entry_with_its_day_in_shanghai(entry, cast):
    # 17:30 UTC is 01:30 the next day in Beijing: the day the lists read is Beijing's
    utc_evening = (
        (timezone.now() + datetime.timedelta(days=2))
        .astimezone(datetime.UTC)
        .replace(hour=17, minute=30, second=0, microsecond=0)
    )
    recorded = services.call_outcome_record(
        user=cast["alice"], entry=entry, outcome="call_back", call_back_at=utc_evening
    )
    beijing_day = utc_evening.astimezone(SHANGHAI).date()
    assert beijing_day == utc_evening.date() + datetime.timedelta(days=1)
    call = CallAttempt.objects.get()
    assert (call.call_back_at, call.call_back_on) == (utc_evening, beijing_day)
    entry.refresh_from_db()
    assert (entry.call_back_at, entry.call_back_on) == (utc_evening, beijing_day)
    assert recorded.call_back_on == beijing_day


def test_the_next_call_clears_the_promise(entry, cast):
    services.call_outcome_record(user=cast["alice"], entry=entry, outcome="call_back", call_back_at=_in(days=3))
    services.call_outcome_record(user=cast["alice"], entry=entry, outcome="no_answer")  # a promise: no interval
    entry.refresh_from_db()
    assert (entry.last_outcome, entry.call_back_at, entry.call_back_on) == ("no_answer", None, None)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"outcome": "call_back"}, "回拨"),
        ({"outcome": "call_back", "call_back_at": "2020-01-01T09:00:00+08:00"}, "已过"),
        ({"outcome": "call_back", "call_back_at": "明天下午"}, ""),
        ({"outcome": "call_back", "call_back_at": "2026-13-45T99:00"}, ""),
        ({"outcome": "accepted", "call_back_at": "2099-01-01T09:00:00+08:00"}, ""),
        ({"outcome": "call_back", "call_back_on": "2099-01-01"}, ""),  # the day alone is no longer enough
    ],
)
def test_the_api_refuses_a_bad_call_back_with_a_field_message_in_chinese(entry, cast, api, body, words):
    response = api(cast["alice"]).post(_url(entry), body, format="json")
    assert response.status_code == 400, response.content
    fields = response.json()
    assert set(fields) & {"call_back_at", "call_back_on"}, fields
    if words:
        assert words in fields["call_back_at"][0]
    assert not CallAttempt.objects.exists()


def test_the_api_takes_the_time_and_answers_it(entry, cast, api):
    when = _in(days=1).astimezone(SHANGHAI)
    response = api(cast["alice"]).post(
        _url(entry), {"outcome": "call_back", "call_back_at": when.isoformat()}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert datetime.datetime.fromisoformat(body["call_back_at"]) == when
    assert body["call_back_on"] == when.date().isoformat()


def test_the_page_shows_the_refusal_on_the_row(entry, cast, login):
    response = login(cast["alice"]).post(
        f"/campaigns/call-lists/{entry.call_list_id}/", {"entry": entry.pk, "outcome": "call_back"}
    )
    assert response.status_code == 400
    assert "约定回呼需填写回拨的日期和时间" in response.content.decode()
    assert not CallAttempt.objects.exists()


# -- the agent's to-do ---------------------------------------------------------------------------------------------


def test_a_promise_is_told_to_the_agent_when_made_and_once_more_when_due(entry, cast):
    when = _in(hours=3)
    services.call_outcome_record(user=cast["alice"], entry=entry, outcome="call_back", call_back_at=when)
    (told,) = Notification.objects.all()
    local = timezone.localtime(when).strftime("%Y-%m-%d %H:%M")
    assert (told.recipient, told.kind) == (cast["alice"], "call_back_due")
    assert "成员甲" in told.title and local in told.title
    assert told.url == f"/campaigns/call-lists/{entry.call_list_id}/#entry-{entry.pk}"
    assert call_backs_remind(now=when - datetime.timedelta(hours=1)) == 0  # not yet
    assert Notification.objects.count() == 1
    assert call_backs_remind(now=when - datetime.timedelta(minutes=5)) == 1  # its time has come
    assert call_backs_remind(now=when + datetime.timedelta(minutes=5)) == 1  # still due, but told once
    due = Notification.objects.exclude(pk=told.pk)
    assert [(n.recipient, n.kind) for n in due] == [(cast["alice"], "call_back_due")]
    assert "成员甲" in due.get().title


def test_a_promise_on_a_closed_list_or_kept_by_the_next_call_is_not_recalled(entry, cast):
    when = _in(hours=1)
    services.call_outcome_record(user=cast["alice"], entry=entry, outcome="call_back", call_back_at=when)
    services.call_list_close(user=cast["alice"], call_list=entry.call_list)
    assert call_backs_remind(now=when) == 0


def test_my_call_lists_shows_the_call_backs_due_today_earliest_first(entry, cast, login):
    other = CallEntry.objects.get(mobile=MEMBER_B)
    soon, later = _in(minutes=1), _in(days=3)
    services.call_outcome_record(user=cast["alice"], entry=entry, outcome="call_back", call_back_at=later)
    services.call_outcome_record(user=cast["alice"], entry=other, outcome="call_back", call_back_at=soon)
    response = login(cast["alice"]).get(MINE)
    assert response.status_code == 200
    due = [item.pk for item in response.context["call_backs"]]
    assert other.pk in due and entry.pk not in due  # the one in three days is not due today
    html = response.content.decode()
    section = html.split('data-testid="my-call-backs"')[1].split("</div>\n<h2")[0]
    assert timezone.localtime(soon).strftime("%Y-%m-%d %H:%M") in section and "成员乙" in section
    assert f'href="/campaigns/call-lists/{other.call_list_id}/#entry-{other.pk}"' in section
    # the call-backs are the agent's: bob has none; nobody signed in is sent to log in
    assert login(cast["bob"]).get(MINE).context["call_backs_count"] == 0
    assert Client().get(MINE)["Location"].startswith("/login/")
