"""The outbound desk's productivity (issue 20, point 6): per agent per day and per call list, counted from the calls
of the campaigns the reader sees."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from campaigns.models import CallAttempt, CallEntry, CallList
from tests.campaigns.test_call_lists import make_campaign

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


def at(day: datetime.date, hour: int) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=timezone.get_current_timezone())


@pytest.fixture
def desk(cast, customers, territory):
    """bob's list over 成都: four numbers; yesterday he made five calls (two unanswered, one call-back promised for
    today, one acceptance, one decline), today he kept the call-back and called a fourth number unanswered."""
    campaign = make_campaign(cast, territory)
    call_list = CallList.objects.create(campaign=campaign, agent=cast["bob"], channel_id="hotline_10000")
    entries = [
        CallEntry.objects.create(
            call_list=call_list, customer=customers["alice"], name=f"号{n}", mobile=f"1380000000{n}"
        )
        for n in range(4)
    ]
    yesterday = TODAY - DAY

    def call(entry, outcome, when, **extra):
        attempt = CallAttempt.objects.create(
            campaign=campaign,
            entry=entry,
            customer=entry.customer,
            mobile=entry.mobile,
            agent=cast["bob"],
            outcome=outcome,
            channel_id="hotline_10000",
            **extra,
        )
        CallAttempt.objects.filter(pk=attempt.pk).update(called_at=when)
        CallEntry.objects.filter(pk=entry.pk).update(last_outcome=outcome, attempts=entry.attempts + 1)

    call(entries[0], "no_answer", at(yesterday, 9))
    call(entries[0], "call_back", at(yesterday, 10), call_back_on=TODAY, call_back_at=at(TODAY, 15))
    call(entries[1], "accepted", at(yesterday, 11))
    call(entries[2], "declined", at(yesterday, 12))
    call(entries[3], "no_answer", at(yesterday, 13))
    call(entries[0], "accepted", at(TODAY, 8))
    call(entries[3], "no_answer", at(TODAY, 9))
    return call_list


def test_per_agent_per_day(api, cast, desk):
    response = api(cast["dora"]).get(f"/api/v1/desk/agents/?since={TODAY - 6 * DAY}&until={TODAY}")
    assert response.status_code == 200, response.json()
    rows = {row["day"]: row for row in response.json()["results"]}
    yesterday, today = rows[str(TODAY - DAY)], rows[str(TODAY)]
    assert (yesterday["attempts"], yesterday["effective_contacts"], yesterday["accepted"]) == (5, 3, 1)
    assert yesterday["acceptance_rate"] == "33.3"
    assert (today["attempts"], today["effective_contacts"], today["accepted"]) == (2, 1, 1)
    assert (today["call_backs_due"], today["call_backs_kept"]) == (1, 1)  # promised for today, called this morning
    assert today["agent"] == "bob"


def test_per_list_reach_and_conversion(api, cast, desk):
    [row] = api(cast["paul"]).get("/api/v1/desk/lists/").json()["results"]
    assert (row["numbers"], row["reached"], row["accepted"]) == (4, 3, 2)
    assert (row["reach"], row["conversion"], row["mode"], row["channel"]) == ("75.0", "50.0", "manual", "hotline_10000")


def test_who_sees_the_desk(api, client, cast, desk):
    assert api(cast["alice"]).get("/api/v1/desk/agents/").status_code == 403
    assert api(cast["gd_paul"]).get("/api/v1/desk/lists/").json()["results"] == []  # Guangdong's campaigns: none
    assert client.get("/api/v1/desk/agents/").status_code == 401


@pytest.mark.parametrize(
    "query", ["since=2026-13-01", f"since={TODAY}&until={TODAY - DAY}", f"since={TODAY - 200 * DAY}&until={TODAY}"]
)
def test_bad_days_are_named(api, cast, desk, query):
    response = api(cast["dora"]).get(f"/api/v1/desk/agents/?{query}", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400 and "since" in response.json(), response.json()


def test_the_page_in_chinese(login, cast, desk):
    html = login(cast["dora"]).get("/campaigns/desk/").content.decode()
    assert "外呼坐席" in html and html.count('data-testid="agent-day"') == 2 and "75.0%" in html
    assert login(cast["alice"]).get("/campaigns/desk/").status_code == 403
