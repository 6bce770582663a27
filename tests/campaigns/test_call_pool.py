"""The 10000 desk's pool (issue 20 point 4): a manual list's numbers still to call dealt evenly among several agents
by whoever built the list or manages teams; the agent a number is given to (or, for a number given to nobody, the
list's agent) calls it and sees it whole — a `tel:` link on the page — each such showing on the audit trail;
everyone else keeps seeing it masked unless they manage the customer."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from campaigns import services
from campaigns.models import CallAttempt, CallEntry, CallList
from crm.models import AuditEntry
from tests.campaigns.test_call_lists import BOB_KP, BOB_MEMBER, LI, MEMBER_A, MEMBER_B, WANG, build_calling
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(cast, territory):
    """Three agents of the 10000 desk in dora's department, on no customer's team: they see no customer."""
    return {
        name: UserFactory(username=name, region=territory["chengdu"], department=cast["dora"].department)
        for name in ("desk1", "desk2", "desk3")
    }


@pytest.fixture
def dora_list(cast, customers, territory) -> CallList:
    """dora's list of the campaign's six numbers (WANG, LI, BOB_KP, MEMBER_A, MEMBER_B, BOB_MEMBER in entry order);
    WANG is done (accepted) and LI promised a call-back."""
    calling = build_calling(cast, customers, territory)
    call_list = services.call_list_build(user=cast["dora"], campaign=calling["campaign"])
    CallEntry.objects.filter(mobile=WANG).update(last_outcome="accepted", attempts=1)
    CallEntry.objects.filter(mobile=LI).update(
        last_outcome="call_back", attempts=1, call_back_at=timezone.now() + datetime.timedelta(days=1)
    )
    return call_list


def _assigned() -> dict[str, str | None]:
    return {
        mobile: (user or None)
        for mobile, user in CallEntry.objects.order_by("pk").values_list("mobile", "assigned_to__username")
    }


def _entries(client, call_list):
    return client.get(f"/api/v1/call-lists/{call_list.pk}/entries/")


def test_the_numbers_still_to_call_are_dealt_evenly_and_dealt_anew(dora_list, desk, cast):
    shares = services.call_list_distribute(
        user=cast["dora"], call_list=dora_list, agents=[desk["desk1"], desk["desk2"], desk["desk3"]]
    )
    assert shares == {"desk1": 2, "desk2": 1, "desk3": 1}
    # in entry order, one after the other; the done number and the promised call-back stay as they were
    assert _assigned() == {
        WANG: None,
        LI: None,
        BOB_KP: "desk1",
        MEMBER_A: "desk2",
        MEMBER_B: "desk3",
        BOB_MEMBER: "desk1",
    }
    assert services.call_list_distribute(user=cast["dora"], call_list=dora_list, agents=[desk["desk2"]]) == {"desk2": 4}
    assert set(_assigned().values()) == {None, "desk2"}
    trail = AuditEntry.objects.filter(object_type="campaigns.calllist", action="update").order_by("id")
    assert [entry.detail["shares"] for entry in trail] == [{"desk1": 2, "desk2": 1, "desk3": 1}, {"desk2": 4}]


def test_the_agent_given_a_number_sees_it_whole_and_the_showing_is_audited(dora_list, desk, cast, api):
    services.call_list_distribute(user=cast["dora"], call_list=dora_list, agents=[desk["desk1"], desk["desk2"]])
    mine = _entries(api(desk["desk1"]), dora_list).json()["results"]
    # desk1 sees no customer: only the numbers given to it, whole
    assert {item["mobile"] for item in mine} == {BOB_KP, MEMBER_B}
    assert {item["assigned_to"] for item in mine} == {"desk1"}
    shown = AuditEntry.objects.get(action="reveal", username="desk1")
    ids = set(CallEntry.objects.filter(mobile__in=[BOB_KP, MEMBER_B]).values_list("pk", flat=True))
    assert (shown.object_id, shown.detail["numbers"], set(shown.detail["entries"])) == (str(dora_list.pk), 2, ids)
    # dora, the list's agent, calls (and sees whole) only what was given to nobody; the rest is masked to her
    theirs = {item["name"]: item["mobile"] for item in _entries(api(cast["dora"]), dora_list).json()["results"]}
    assert theirs["王总"] == WANG and theirs["李经理"] == LI
    assert theirs["蜀道刘总"] == "137****0021" and theirs["成员甲"] == "138****0011"
    # the customer manager sees her customer's numbers whole as before, and that is not audited
    alice = {item["mobile"] for item in _entries(api(cast["alice"]), dora_list).json()["results"]}
    assert {WANG, LI, MEMBER_A, MEMBER_B} <= alice
    assert not AuditEntry.objects.filter(action="reveal", username="alice").exists()


def test_a_closed_list_shows_no_number_whole_to_its_agents(dora_list, desk, cast, api):
    services.call_list_distribute(user=cast["dora"], call_list=dora_list, agents=[desk["desk1"]])
    services.call_list_close(user=cast["dora"], call_list=dora_list)
    mine = _entries(api(desk["desk1"]), dora_list).json()["results"]
    assert mine and all("****" in item["mobile"] for item in mine)
    assert not AuditEntry.objects.filter(action="reveal").exists()


def test_only_the_agent_given_a_number_records_its_calls(dora_list, desk, cast, api):
    services.call_list_distribute(user=cast["dora"], call_list=dora_list, agents=[desk["desk1"], desk["desk2"]])
    given = CallEntry.objects.get(mobile=BOB_KP)  # desk1's
    url = f"/api/v1/call-lists/{dora_list.pk}/entries/{given.pk}/outcome/"
    refused = api(cast["dora"]).post(url, {"outcome": "accepted"}, format="json")
    assert refused.status_code == 403 and "只有负责拨打该号码的外呼人员" in refused.json()["detail"]
    assert api(desk["desk2"]).post(url, {"outcome": "accepted"}, format="json").status_code == 404  # not theirs
    recorded = api(desk["desk1"]).post(url, {"outcome": "accepted"}, format="json")
    assert recorded.status_code == 200, recorded.content
    assert CallAttempt.objects.get().agent == desk["desk1"]


def test_the_pool_agent_finds_the_list_and_dials_from_the_page(dora_list, desk, cast, login):
    services.call_list_distribute(user=cast["dora"], call_list=dora_list, agents=[desk["desk1"], desk["desk2"]])
    client = login(desk["desk1"])
    mine = client.get("/campaigns/call-lists/")
    assert [call_list.pk for call_list in mine.context["page"]] == [dora_list.pk]
    html = client.get(f"/campaigns/call-lists/{dora_list.pk}/").content.decode()
    rows = html.split("<tr data-entry=")[1:]
    assert len(rows) == 2
    for row, mobile in zip(rows, (BOB_KP, MEMBER_B), strict=True):
        assert f'href="tel:{mobile}"' in row and "outcome-form" in row
        assert "/customers/" not in row  # a customer desk1 does not see: named, not linked
    assert 'data-testid="distribute-form"' not in html  # an agent of the pool does not deal the numbers
    # the department head sees who calls what, and the numbers given away masked, without a dial link
    head = login(cast["dora"]).get(f"/campaigns/call-lists/{dora_list.pk}/").content.decode()
    assert 'data-testid="pool-shares"' in head and 'data-testid="distribute-form"' in head
    row = head.split('data-mobile="137****0021"')[1].split("</tr>")[0]
    assert "tel:" not in row and "outcome-form" not in row and "desk1" in row


def test_the_page_shares_the_list_and_says_why_it_will_not(dora_list, desk, cast, login):
    client = login(cast["dora"])
    url = f"/campaigns/call-lists/{dora_list.pk}/distribute/"
    response = client.post(url, {"agents": "desk1, desk2"})
    assert response.status_code == 302 and response["Location"] == f"/campaigns/call-lists/{dora_list.pk}/"
    assert set(_assigned().values()) == {None, "desk1", "desk2"}
    refused = client.post(url, {"agents": "carol"})  # another city's account manager
    assert refused.status_code == 400
    assert "不在您可分配外呼的人员中" in refused.content.decode().split('data-testid="distribute-error"')[1]
    unknown = client.post(url, {"agents": "nobody"})
    assert unknown.status_code == 400
    assert set(_assigned().values()) == {None, "desk1", "desk2"}


@pytest.mark.parametrize(
    ("who", "status"),
    [("alice", 403), ("bob", 403), ("carol", 404), ("gd_paul", 404)],  # alice and bob see the list; neither built it
)
def test_who_may_not_share_a_list(dora_list, desk, cast, api, login, who, status):
    response = api(cast[who]).post(
        f"/api/v1/call-lists/{dora_list.pk}/distribute/", {"agents": ["desk1"]}, format="json"
    )
    assert response.status_code == status
    page = login(cast[who]).post(f"/campaigns/call-lists/{dora_list.pk}/distribute/", {"agents": "desk1"})
    assert page.status_code == status
    assert set(_assigned().values()) == {None}


def test_an_anonymous_caller_is_sent_away(dora_list):
    assert APIClient().post(f"/api/v1/call-lists/{dora_list.pk}/distribute/", {}).status_code == 401
    response = Client().post(f"/campaigns/call-lists/{dora_list.pk}/distribute/", {"agents": "desk1"})
    assert response["Location"].startswith("/login/")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"agents": []}, "agents"),
        ({"agents": ["nobody"]}, "agents"),
        ({"agents": "desk1"}, "agents"),
        ({"agents": [{"x": 1}]}, "agents"),
        ({}, "agents"),
        ({"agents": ["desk1"], "extra": 1}, "extra"),
    ],
)
def test_bad_input_to_share_a_list_is_a_400_on_its_field(dora_list, desk, cast, api, body, field):
    response = api(cast["dora"]).post(f"/api/v1/call-lists/{dora_list.pk}/distribute/", body, format="json")
    assert response.status_code == 400 and field in response.json()
    assert set(_assigned().values()) == {None}


def test_an_automatic_list_is_not_shared_among_agents(cast, customers, territory, desk, api):
    calling = build_calling(cast, customers, territory)
    auto = services.call_list_build(user=cast["dora"], campaign=calling["campaign"], mode="auto")
    response = api(cast["dora"]).post(f"/api/v1/call-lists/{auto.pk}/distribute/", {"agents": ["desk1"]}, format="json")
    assert response.status_code == 400
    assert "自动外呼" in response.json()["non_field_errors"][0]


def test_a_call_back_promised_by_a_pool_agent_is_on_their_digest_and_workbench_list(dora_list, desk, cast):
    from campaigns.digest import call_backs_due
    from campaigns.selectors import my_call_backs

    services.call_list_distribute(user=cast["dora"], call_list=dora_list, agents=[desk["desk1"]])
    entry = CallEntry.objects.get(mobile=BOB_KP)
    soon = timezone.now() + datetime.timedelta(minutes=30)
    services.call_outcome_record(user=desk["desk1"], entry=entry, outcome="call_back", call_back_at=soon)
    today = timezone.localdate(soon)
    items = call_backs_due(users=[desk["desk1"], cast["dora"]], today=today)
    assert set(items) == {desk["desk1"].pk}  # not dora's, whose list it is: the agent who promised calls back
    assert "1" in str(items[desk["desk1"].pk][0].title)
    assert [e.pk for e in my_call_backs(desk["desk1"], soon)] == [entry.pk]
    assert entry.pk not in [e.pk for e in my_call_backs(cast["dora"], soon + datetime.timedelta(days=2))]


def test_each_agent_dealt_numbers_is_told_once_how_many_of_which_list(dora_list, desk, cast, login):
    from crm.models import Notification, NotificationKind

    services.call_list_distribute(
        user=cast["dora"], call_list=dora_list, agents=[desk["desk1"], desk["desk2"], desk["desk3"], cast["dora"]]
    )
    told = Notification.objects.filter(kind=NotificationKind.CALLS_DEALT).order_by("recipient__username")
    # four numbers for four agents: one each; dora, who dealt them, is not told of her own
    assert [note.recipient.username for note in told] == ["desk1", "desk2", "desk3"]
    first = told[0]
    assert first.url == f"/campaigns/call-lists/{dora_list.pk}/"
    assert f"#{dora_list.pk}" in first.title and "1" in first.title and dora_list.campaign.name in first.title
    assert cast["dora"].display_name in first.body
    # the link opens the list on the numbers given to the agent
    assert login(desk["desk1"]).get(first.url).status_code == 200
    # dealt anew, to one agent: told again, with the count of that deal
    services.call_list_distribute(user=cast["dora"], call_list=dora_list, agents=[desk["desk2"]])
    latest = Notification.objects.filter(kind=NotificationKind.CALLS_DEALT, recipient=desk["desk2"]).latest("pk")
    assert "4" in latest.title and Notification.objects.filter(kind=NotificationKind.CALLS_DEALT).count() == 4


def test_nobody_is_told_when_no_number_is_left_to_deal(dora_list, desk, cast):
    from crm.models import Notification

    CallEntry.objects.filter(last_outcome="").update(last_outcome="declined", attempts=1)
    assert services.call_list_distribute(user=cast["dora"], call_list=dora_list, agents=[desk["desk1"]]) == {"desk1": 0}
    assert not Notification.objects.filter(kind="calls_dealt").exists()
