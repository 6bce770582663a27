"""The day of a call back (回拨日期, issue 17): required with the `call_back` outcome, today or later, taken by no
other outcome; kept on the call and on the entry until its next call, shown on the call list and in the API."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from campaigns import services
from campaigns.models import CallAttempt, CallEntry
from tests.campaigns.test_call_lists import MEMBER_A, build_calling

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(cast, customers, territory) -> CallEntry:
    calling = build_calling(cast, customers, territory)
    services.call_list_build(user=cast["alice"], campaign=calling["campaign"])
    return CallEntry.objects.get(mobile=MEMBER_A)


def _day(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


@pytest.mark.parametrize(
    ("outcome", "call_back_on", "words"),
    [
        ("call_back", None, "A call back needs the day to call again."),
        ("call_back", -1, "is in the past"),
        ("no_answer", 1, "Only a call back takes a day to call again."),
    ],
)
def test_a_bad_call_back_day_is_refused_on_its_field(entry, cast, outcome, call_back_on, words):
    from django.utils import translation

    day = _day(call_back_on) if call_back_on is not None else None
    with translation.override("en"), pytest.raises(ValidationError) as refusal:
        services.call_outcome_record(user=cast["alice"], entry=entry, outcome=outcome, call_back_on=day)
    assert list(refusal.value.message_dict) == ["call_back_on"]
    assert words in refusal.value.message_dict["call_back_on"][0]
    assert not CallAttempt.objects.exists()


def test_today_is_a_good_day_to_call_back_and_the_next_call_clears_it(entry, cast):
    recorded = services.call_outcome_record(user=cast["alice"], entry=entry, outcome="call_back", call_back_on=_day(0))
    assert recorded.call_back_on == _day(0)
    assert CallAttempt.objects.get().call_back_on == _day(0)
    services.call_outcome_record(user=cast["alice"], entry=entry, outcome="no_answer")
    entry.refresh_from_db()
    assert (entry.last_outcome, entry.call_back_on) == ("no_answer", None)


def test_the_api_refuses_a_call_back_without_its_day(entry, cast, api):
    url = f"/api/v1/call-lists/{entry.call_list_id}/entries/{entry.pk}/outcome/"
    refused = api(cast["alice"]).post(url, {"outcome": "call_back"}, format="json")
    assert (refused.status_code, list(refused.json())) == (400, ["call_back_on"])
    past = api(cast["alice"]).post(url, {"outcome": "call_back", "call_back_on": "2020-01-01"}, format="json")
    assert (past.status_code, list(past.json())) == (400, ["call_back_on"])
    assert "已过" in past.json()["call_back_on"][0]


def test_the_page_shows_the_refusal_on_the_row(entry, cast, login):
    response = login(cast["alice"]).post(
        f"/campaigns/call-lists/{entry.call_list_id}/", {"entry": entry.pk, "outcome": "call_back"}
    )
    assert response.status_code == 400
    assert "约定回拨需填写回拨日期" in response.content.decode()
    assert not CallAttempt.objects.exists()
