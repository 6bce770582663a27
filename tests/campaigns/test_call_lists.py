"""Outbound call lists (外呼, SPEC §6.3, §8.2) through the API: building a list (never a do-not-call number, one
tried 7 times, one done, or one on another open list of the campaign), its entries under §2 with numbers masked
for all but the customer's manager, recording outcomes by the list's agent only, `do_not_call` taking the number
off every open list at once, and the calls report."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from rest_framework.test import APIClient

from accounts.models import KeyPerson
from campaigns import selectors, services
from campaigns.models import CallAttempt, CallEntry, CallList, Campaign, CustomerPlan, DoNotCall
from tests.factories import CustomerFactory, GroupMemberFactory, KeyPersonFactory, TeamRoleFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")

# alice's customer CD0001: two key persons with a mobile (and one without), two members, and a member whose number
# is also a key person's; bob's CD0002: one of each. CD0003 (opened) and CD0004 (lost) are alice's too.
WANG, LI = "13700000011", "13700000012"
MEMBER_A, MEMBER_B = "13800000011", "13800000012"
BOB_KP, BOB_MEMBER = "13700000021", "13800000021"
OPENED_KP, LOST_KP = "13700000031", "13700000041"


def make_campaign(cast, territory, name: str = "十二月集团V网外呼") -> Campaign:
    return Campaign.objects.create(
        name=name,
        kind="outbound_call",
        department=cast["dora"].department,
        region=territory["chengdu"],
        starts_on=datetime.date(2026, 12, 1),
        ends_on=datetime.date(2026, 12, 31),
    )


def build_calling(cast, customers, territory) -> dict:
    """A campaign over 成都 with plans for alice's and bob's customers, and the numbers described above."""
    KeyPerson.objects.filter(customer=customers["alice"]).delete()  # the shared fixture's, of unknown number
    campaign = make_campaign(cast, territory)
    alice_customer, bob_customer = customers["alice"], customers["wuhou"]
    KeyPersonFactory(customer=alice_customer, name="王总", mobile=WANG, is_decision_maker=True)
    KeyPersonFactory(customer=alice_customer, name="李经理", mobile=LI, is_decision_maker=False)
    KeyPersonFactory(customer=alice_customer, name="赵秘书", mobile="", is_decision_maker=False)
    GroupMemberFactory(customer=alice_customer, name="成员甲", mobile=MEMBER_A)
    GroupMemberFactory(customer=alice_customer, name="成员乙", mobile=MEMBER_B)
    GroupMemberFactory(customer=alice_customer, name="李经理", mobile=LI)
    KeyPersonFactory(customer=bob_customer, name="蜀道刘总", mobile=BOB_KP)
    GroupMemberFactory(customer=bob_customer, name="蜀道成员", mobile=BOB_MEMBER)
    CustomerPlan.objects.create(campaign=campaign, customer=alice_customer, objective="V网", owner=cast["alice"])
    CustomerPlan.objects.create(
        campaign=campaign, customer=bob_customer, objective="V网", owner=cast["bob"], stage="opportunity"
    )
    for code, stage, mobile in (("CD0003", "opened", OPENED_KP), ("CD0004", "lost", LOST_KP)):
        customer = CustomerFactory(code=code, region=territory["jinjiang"])
        TeamRoleFactory(customer=customer, user=cast["alice"])
        KeyPersonFactory(customer=customer, mobile=mobile)
        CustomerPlan.objects.create(campaign=campaign, customer=customer, objective="V网", stage=stage)
    return {"campaign": campaign, **customers}


@pytest.fixture
def calling(cast, customers, territory):
    return build_calling(cast, customers, territory)


def _english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _build(client, campaign, **body):
    return client.post(f"/api/v1/campaigns/{campaign.pk}/call-list/", body, format="json")


def _entries(client, call_list_id, **params):
    return client.get(f"/api/v1/call-lists/{call_list_id}/entries/", params)


def _outcome(client, call_list_id, entry_id, **body):
    return client.post(f"/api/v1/call-lists/{call_list_id}/entries/{entry_id}/outcome/", body, format="json")


def _numbers(call_list_id) -> list[str]:
    return list(CallEntry.objects.filter(call_list_id=call_list_id).order_by("pk").values_list("mobile", flat=True))


def _calls(campaign, mobile, n, agent, outcome="no_answer"):
    customer = KeyPerson.objects.filter(mobile=WANG).get().customer
    CallAttempt.objects.bulk_create(
        CallAttempt(campaign=campaign, customer=customer, mobile=mobile, agent=agent, outcome=outcome) for _ in range(n)
    )


# -- building ------------------------------------------------------------------------------------------------------


def test_a_list_holds_the_open_plans_key_persons_then_members_one_entry_per_number(calling, cast, api):
    response = _build(api(cast["dora"]), calling["campaign"])
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["entries_count"] == 6
    call_list = CallList.objects.get(pk=body["id"])
    assert (call_list.agent, call_list.created_by, call_list.source, call_list.is_open) == (
        cast["dora"],
        cast["dora"],
        "all",
        True,
    )
    # key persons (decision makers first) by customer, then members; LI once; no blank number; CD0003 is opened and
    # CD0004 lost: nobody of theirs
    assert _numbers(call_list.pk) == [WANG, LI, BOB_KP, MEMBER_A, MEMBER_B, BOB_MEMBER]
    assert set(CallEntry.objects.values_list("attempts", "last_outcome")) == {(0, "")}


@pytest.mark.parametrize(
    ("source", "numbers"),
    [
        ("key_persons", [WANG, LI, BOB_KP]),
        ("members", [MEMBER_A, MEMBER_B, LI, BOB_MEMBER]),
        ("all", [WANG, LI, BOB_KP, MEMBER_A, MEMBER_B, BOB_MEMBER]),
    ],
)
def test_the_source_chooses_key_persons_members_or_both(calling, cast, api, source, numbers):
    response = _build(api(cast["dora"]), calling["campaign"], source=source)
    assert response.status_code == 201, response.content
    assert _numbers(response.json()["id"]) == numbers
    assert CallList.objects.get().source == source


def test_an_account_manager_builds_a_list_of_her_own_customers_only(calling, cast, api):
    response = _build(api(cast["alice"]), calling["campaign"])
    assert response.status_code == 201, response.content
    assert _numbers(response.json()["id"]) == [WANG, LI, MEMBER_A, MEMBER_B]


def test_never_a_do_not_call_number_one_tried_7_times_one_done_or_one_on_another_open_list(
    calling, cast, api, territory
):
    campaign, alice = calling["campaign"], cast["alice"]
    other_campaign = make_campaign(cast, territory, "另一活动")
    DoNotCall.objects.create(mobile=WANG, reason="拒绝营销")
    _calls(campaign, MEMBER_A, 7, alice)  # the cap: 7 calls in this campaign
    _calls(campaign, MEMBER_B, 6, alice)  # one more call allowed
    _calls(other_campaign, LI, 6, alice)  # calls of another campaign do not count against the campaign's cap
    _calls(campaign, BOB_MEMBER, 1, alice, outcome="declined")  # done in this campaign
    held = CallList.objects.create(campaign=campaign, agent=cast["bob"], created_by=cast["dora"])
    CallEntry.objects.create(call_list=held, customer=calling["wuhou"], name="蜀道刘总", mobile=BOB_KP)
    response = _build(api(cast["dora"]), campaign)
    assert response.status_code == 201, response.content
    entries = CallEntry.objects.filter(call_list_id=response.json()["id"]).order_by("pk")
    assert [(e.mobile, e.attempts) for e in entries] == [(LI, 0), (MEMBER_B, 6)]


def test_a_number_on_a_closed_list_or_another_campaigns_open_list_may_go_on_a_new_list(calling, cast, api, territory):
    campaign = calling["campaign"]
    closed = CallList.objects.create(campaign=campaign, agent=cast["alice"], closed_at=datetime.datetime.now(SHANGHAI))
    CallEntry.objects.create(call_list=closed, customer=calling["alice"], name="王总", mobile=WANG, attempts=2)
    _calls(campaign, WANG, 2, cast["alice"])
    elsewhere = CallList.objects.create(campaign=make_campaign(cast, territory, "另一活动"), agent=cast["alice"])
    CallEntry.objects.create(call_list=elsewhere, customer=calling["alice"], name="李经理", mobile=LI)
    response = _build(api(cast["alice"]), campaign, source="key_persons")
    assert response.status_code == 201, response.content
    entries = CallEntry.objects.filter(call_list_id=response.json()["id"]).order_by("pk")
    assert [(e.mobile, e.attempts) for e in entries] == [(WANG, 2), (LI, 0)]  # attempts so far carried over


def test_a_second_list_of_the_same_numbers_waits_until_the_first_is_closed(calling, cast, api):
    client = _english(api(cast["alice"]))
    first = _build(client, calling["campaign"]).json()["id"]
    response = _build(client, calling["campaign"])
    assert response.status_code == 400
    assert "No number to call" in response.json()["non_field_errors"][0]
    assert CallList.objects.count() == 1
    CallList.objects.filter(pk=first).update(closed_at=datetime.datetime.now(SHANGHAI))
    assert _build(client, calling["campaign"]).json()["entries_count"] == 4


def test_a_department_head_builds_for_an_agent_the_customers_both_see(calling, cast, api):
    response = _build(api(cast["dora"]), calling["campaign"], agent="alice", source="key_persons")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["agent"], body["created_by"], body["entries_count"]) == ("alice", "dora", 2)
    assert _numbers(body["id"]) == [WANG, LI]  # bob's customer: alice does not see it


@pytest.mark.parametrize(
    ("builder", "agent", "status", "field", "message"),
    [
        ("alice", "bob", 403, "detail", "Only department heads and provincial staff build call lists"),
        ("dora", "carol", 400, "agent", "sees none of the campaign's customers"),
        ("dora", "nobody", 400, "agent", "No active member of staff has the username nobody"),
    ],
)
def test_naming_an_agent_is_refused_when_it_may_not_be(calling, cast, api, builder, agent, status, field, message):
    response = _build(_english(api(cast[builder])), calling["campaign"], agent=agent)
    assert response.status_code == status, response.content
    assert message in str(response.json()[field])
    assert not CallList.objects.exists() and not CallEntry.objects.exists()


def test_bad_build_input_names_its_field(calling, cast, api):
    response = _build(_english(api(cast["dora"])), calling["campaign"], source="everyone")
    assert response.status_code == 400 and "source" in response.json()
    response = _build(_english(api(cast["dora"])), calling["campaign"], entries_count=3)
    assert response.status_code == 400 and "entries_count" in response.json()
    assert not CallList.objects.exists()


def test_a_campaign_with_no_open_plan_builds_nothing(calling, cast, api):
    CustomerPlan.objects.update(stage="after_sales")
    response = _build(_english(api(cast["dora"])), calling["campaign"])
    assert response.status_code == 400
    assert "no plan you see that is still open" in response.json()["non_field_errors"][0]
    assert not CallList.objects.exists()


def test_a_campaign_outside_the_callers_view_is_not_found(calling, cast, api):
    for who in ("carol", "gd_paul"):
        assert _build(api(cast[who]), calling["campaign"]).status_code == 404
    assert APIClient().post(f"/api/v1/campaigns/{calling['campaign'].pk}/call-list/").status_code == 401
    assert not CallList.objects.exists()


# -- entries and who sees them -------------------------------------------------------------------------------------


@pytest.fixture
def dora_list(calling, cast, api) -> int:
    """A list of every number, worked by dora (she sees both customers, owns neither)."""
    return _build(api(cast["dora"]), calling["campaign"]).json()["id"]


def test_entries_have_the_contract_fields(dora_list, cast, api):
    body = _entries(api(cast["dora"]), dora_list).json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 6
    first = body["results"][0]
    assert first == {
        "id": CallEntry.objects.get(mobile=WANG).pk,
        "name": "王总",
        "mobile": WANG,  # dora is nobody's customer manager, but she calls the list's numbers
        "customer": "CD0001",
        "attempts": 0,
        "last_outcome": "",
        "call_back_at": None,
        "call_back_on": None,
        "assigned_to": None,
    }


@pytest.mark.parametrize(
    ("who", "status", "shown"),
    [
        # the customer manager sees her customer's numbers whole, and no other customer's
        ("alice", 200, {WANG, LI, MEMBER_A, MEMBER_B}),
        # a colleague of the same department: only his own customer's numbers, whole
        ("bob", 200, {BOB_KP, BOB_MEMBER}),
        # the department head, who is the list's agent: every number whole, to call it
        ("dora", 200, {WANG, LI, BOB_KP, MEMBER_A, MEMBER_B, BOB_MEMBER}),
        # provincial staff: everything, masked
        ("paul", 200, {"137****0011", "137****0012", "137****0021", "138****0011", "138****0012", "138****0021"}),
        # another city, another province: the list does not exist for them
        ("carol", 404, None),
        ("gd_paul", 404, None),
    ],
)
def test_who_sees_which_entries_and_whole_numbers_only_for_the_owner(dora_list, cast, api, who, status, shown):
    response = _entries(api(cast[who]), dora_list)
    assert response.status_code == status
    if shown is not None:
        assert {item["mobile"] for item in response.json()["results"]} == shown


def test_an_anonymous_caller_is_refused_the_entries_and_the_outcomes(dora_list):
    entry = CallEntry.objects.first()
    assert _entries(APIClient(), dora_list).status_code == 401
    assert _outcome(APIClient(), dora_list, entry.pk, outcome="accepted").status_code == 401
    assert not CallAttempt.objects.exists()


def test_an_unknown_list_is_not_found(cast, api, db):
    assert _entries(api(cast["hq"]), 999999).status_code == 404


def test_entries_read_a_fixed_number_of_queries(calling, cast, api, django_assert_num_queries):
    client = api(cast["alice"])
    first = _build(client, calling["campaign"]).json()["id"]
    # token, list, count, page, ownership of the page's customers
    with django_assert_num_queries(5):
        assert _entries(client, first).json()["count"] == 4
    CallList.objects.update(closed_at=datetime.datetime.now(SHANGHAI))
    for n in range(30):
        GroupMemberFactory(customer=calling["alice"], mobile=f"1360000{n:04d}")
    second = _build(client, calling["campaign"]).json()["id"]
    with django_assert_num_queries(5):
        assert _entries(client, second).json()["count"] == 34


# -- outcomes ------------------------------------------------------------------------------------------------------


@pytest.fixture
def alice_list(calling, cast, api) -> int:
    return _build(api(cast["alice"]), calling["campaign"]).json()["id"]


def test_the_agent_records_a_call_and_the_entry_counts_it(alice_list, calling, cast, api):
    entry = CallEntry.objects.get(mobile=MEMBER_A)
    response = _outcome(api(cast["alice"]), alice_list, entry.pk, outcome="no_answer", note="无人接听")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "id": entry.pk,
        "name": "成员甲",
        "mobile": MEMBER_A,
        "customer": "CD0001",
        "attempts": 1,
        "last_outcome": "no_answer",
        "call_back_at": None,
        "call_back_on": None,
        "assigned_to": None,
    }
    entry.refresh_from_db()
    assert (entry.attempts, entry.last_outcome, entry.last_called_at is not None) == (1, "no_answer", True)
    call = CallAttempt.objects.get()
    assert (call.campaign, call.entry, call.customer, call.mobile, call.agent, call.outcome, call.note) == (
        calling["campaign"],
        entry,
        calling["alice"],
        MEMBER_A,
        cast["alice"],
        "no_answer",
        "无人接听",
    )
    assert call.called_at == entry.last_called_at
    CallAttempt.objects.update(called_at=call.called_at - datetime.timedelta(days=3))  # past the touch interval
    tomorrow = datetime.datetime.now(SHANGHAI).replace(microsecond=0) + datetime.timedelta(days=1)
    answer = _outcome(
        api(cast["alice"]), alice_list, entry.pk, outcome="call_back", call_back_at=tomorrow.isoformat()
    ).json()
    assert (answer["attempts"], answer["call_back_on"]) == (2, tomorrow.date().isoformat())
    assert datetime.datetime.fromisoformat(answer["call_back_at"]) == tomorrow
    # each call in the customer's history; the list's making in the trail
    from crm.models import AuditEntry

    calls = AuditEntry.objects.filter(object_type="campaigns.callattempt").order_by("id")
    assert [(e.username, e.customer_id, e.changes["outcome"][1]) for e in calls] == [
        ("alice", calling["alice"].pk, "no_answer"),
        ("alice", calling["alice"].pk, "call_back"),
    ]
    assert AuditEntry.objects.filter(object_type="campaigns.calllist", object_id=str(alice_list), action="create")


@pytest.mark.parametrize("who", ["dora", "paul", "hq"])
def test_someone_else_than_the_agent_may_not_record_and_nothing_is_saved(alice_list, cast, api, who):
    entry = CallEntry.objects.get(mobile=WANG)
    response = _outcome(_english(api(cast[who])), alice_list, entry.pk, outcome="accepted")
    assert response.status_code == 403
    assert "Only the agent who calls this number" in response.json()["detail"]
    entry.refresh_from_db()
    assert (entry.attempts, entry.last_outcome) == (0, "")
    assert not CallAttempt.objects.exists()


def test_an_entry_the_caller_does_not_see_is_not_found(dora_list, cast, api):
    alice_customers_entry = CallEntry.objects.get(mobile=WANG)
    assert _outcome(api(cast["bob"]), dora_list, alice_customers_entry.pk, outcome="accepted").status_code == 404
    assert _outcome(api(cast["carol"]), dora_list, alice_customers_entry.pk, outcome="accepted").status_code == 404
    other = CallEntry.objects.get(mobile=BOB_KP)
    assert _outcome(api(cast["dora"]), dora_list + 1, other.pk, outcome="accepted").status_code == 404
    assert not CallAttempt.objects.exists()


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ({"last_outcome": "accepted", "attempts": 1}, "its last outcome, “Accepted”, is final"),
        ({"last_outcome": "declined", "attempts": 1}, "its last outcome, “Declined”, is final"),
        ({"last_outcome": "no_answer", "attempts": 7}, "tried 7 times in the campaign"),
    ],
)
def test_a_done_entry_takes_no_more_calls(alice_list, cast, api, setup, message):
    CallEntry.objects.filter(mobile=WANG).update(**setup)
    entry = CallEntry.objects.get(mobile=WANG)
    response = _outcome(_english(api(cast["alice"])), alice_list, entry.pk, outcome="accepted")
    assert response.status_code == 400
    assert message in response.json()["non_field_errors"][0]
    assert not CallAttempt.objects.exists()
    entry.refresh_from_db()
    assert entry.attempts == setup["attempts"]


def test_the_seventh_call_is_the_last(alice_list, cast, api):
    CallEntry.objects.filter(mobile=WANG).update(attempts=6)
    entry = CallEntry.objects.get(mobile=WANG)
    client = _english(api(cast["alice"]))
    assert _outcome(client, alice_list, entry.pk, outcome="no_answer").json()["attempts"] == 7
    CallAttempt.objects.update(called_at=datetime.datetime.now(SHANGHAI) - datetime.timedelta(days=3))
    refused = _outcome(client, alice_list, entry.pk, outcome="no_answer")
    assert refused.status_code == 400 and "tried 7 times" in refused.json()["non_field_errors"][0]
    assert CallAttempt.objects.count() == 1


def test_a_closed_list_takes_no_more_calls(alice_list, cast, api):
    CallList.objects.filter(pk=alice_list).update(closed_at=datetime.datetime.now(SHANGHAI))
    entry = CallEntry.objects.get(mobile=WANG)
    response = _outcome(_english(api(cast["alice"])), alice_list, entry.pk, outcome="accepted")
    assert response.status_code == 400
    assert "The call list is closed" in response.json()["non_field_errors"][0]
    assert not CallAttempt.objects.exists()


@pytest.mark.parametrize("body", [{"outcome": "maybe"}, {"outcome": ""}, {"note": "没有结果"}])
def test_a_bad_outcome_is_refused_on_its_field(alice_list, cast, api, body):
    entry = CallEntry.objects.get(mobile=WANG)
    response = _outcome(_english(api(cast["alice"])), alice_list, entry.pk, **body)
    assert response.status_code == 400
    assert "outcome" in response.json()
    assert not CallAttempt.objects.exists()


def test_do_not_call_lists_the_number_and_takes_it_off_every_open_list(alice_list, calling, cast, api, territory):
    campaign = calling["campaign"]
    other_campaign = make_campaign(cast, territory, "另一活动")
    elsewhere = CallList.objects.create(campaign=other_campaign, agent=cast["dora"])
    CallEntry.objects.create(call_list=elsewhere, customer=calling["alice"], name="王总", mobile=WANG)
    CallEntry.objects.create(call_list=elsewhere, customer=calling["alice"], name="李经理", mobile=LI)
    closed = CallList.objects.create(
        campaign=other_campaign, agent=cast["dora"], closed_at=datetime.datetime.now(SHANGHAI)
    )
    kept = CallEntry.objects.create(call_list=closed, customer=calling["alice"], name="王总", mobile=WANG)
    entry = CallEntry.objects.get(call_list_id=alice_list, mobile=WANG)

    response = _outcome(_english(api(cast["alice"])), alice_list, entry.pk, outcome="do_not_call", note="很反感")
    assert response.status_code == 200, response.content
    assert (response.json()["last_outcome"], response.json()["attempts"]) == ("do_not_call", 1)
    listed = DoNotCall.objects.get(mobile=WANG)
    assert listed.added_by == cast["alice"]
    assert "not to be called again" in listed.reason and "很反感" not in listed.reason  # the note stays with the call
    assert not CallEntry.objects.filter(mobile=WANG, call_list__closed_at__isnull=True).exists()
    assert CallEntry.objects.filter(pk=kept.pk).exists()  # a closed list keeps its history
    assert CallEntry.objects.filter(call_list=elsewhere, mobile=LI).exists()  # only that number goes
    call = CallAttempt.objects.get()
    assert (call.mobile, call.outcome, call.entry, call.campaign) == (WANG, "do_not_call", None, campaign)
    assert call.note == "很反感"
    assert WANG not in [item["mobile"] for item in _entries(api(cast["alice"]), alice_list).json()["results"]]


def test_do_not_call_fails_whole(alice_list, cast, api, monkeypatch):
    """When putting the number on the list fails, the call is not recorded either."""
    from campaigns.services import calls

    def broken(**kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(calls, "do_not_call_add", broken)  # where call_outcome_record looks it up
    entry = CallEntry.objects.get(mobile=WANG)
    with pytest.raises(RuntimeError):
        _outcome(api(cast["alice"]), alice_list, entry.pk, outcome="do_not_call")
    entry.refresh_from_db()
    assert (entry.attempts, entry.last_outcome) == (0, "")
    assert not CallAttempt.objects.exists()


def test_adding_a_number_to_the_do_not_call_list_takes_it_off_every_open_list(alice_list, calling, cast, api, login):
    campaign = calling["campaign"]
    CallEntry.objects.filter(mobile=MEMBER_A).update(attempts=1)
    _calls(campaign, MEMBER_A, 1, cast["alice"])
    response = api(cast["bob"]).post("/api/v1/do-not-call/", {"mobile": MEMBER_A, "reason": "客户投诉"})
    assert response.status_code == 201
    assert not CallEntry.objects.filter(mobile=MEMBER_A).exists()
    assert CallAttempt.objects.filter(mobile=MEMBER_A).count() == 1  # the calls made stay
    # the page does the same
    assert login(cast["bob"]).post("/campaigns/do-not-call/", {"mobile": MEMBER_B, "reason": "拒绝"}).status_code == 302
    assert not CallEntry.objects.filter(mobile=MEMBER_B).exists()
    assert _numbers(alice_list) == [WANG, LI]


def test_a_number_already_listed_still_leaves_the_open_lists(alice_list, cast, api):
    DoNotCall.objects.create(mobile=LI, reason="早已拒绝")  # listed behind the lists' back
    assert api(cast["bob"]).post("/api/v1/do-not-call/", {"mobile": LI, "reason": "再次"}).status_code == 200
    assert not CallEntry.objects.filter(mobile=LI).exists()


# -- the report ----------------------------------------------------------------------------------------------------


def _call_at(campaign, customer, agent, outcome, when: datetime.datetime, mobile: str = WANG) -> None:
    call = CallAttempt.objects.create(campaign=campaign, customer=customer, mobile=mobile, agent=agent, outcome=outcome)
    CallAttempt.objects.filter(pk=call.pk).update(called_at=when)  # called_at is set on creation


@pytest.fixture
def calls_made(calling, cast, territory):
    """Calls of the campaign, counted by hand in the tests (times in Shanghai)."""
    campaign, alice, bob = calling["campaign"], cast["alice"], cast["bob"]

    def at(day, hour, minute=0):
        return datetime.datetime(2026, 12, day, hour, minute, tzinfo=SHANGHAI)

    for outcome, hour in (("accepted", 9), ("declined", 10), ("no_answer", 11), ("call_back", 14)):
        _call_at(campaign, calling["alice"], alice, outcome, at(1, hour))
    _call_at(campaign, calling["alice"], alice, "no_answer", at(1, 23, 30))  # still 1 December in Shanghai
    _call_at(campaign, calling["alice"], alice, "accepted", at(2, 0, 30))  # 1 December in UTC: 2 December here
    _call_at(campaign, calling["wuhou"], bob, "no_answer", at(1, 9))
    _call_at(campaign, calling["wuhou"], bob, "no_answer", at(1, 10))
    _call_at(campaign, calling["guangzhou"], bob, "accepted", at(1, 11))  # a customer 成都 does not see
    _call_at(make_campaign(cast, territory, "另一活动"), calling["alice"], alice, "accepted", at(1, 9))
    return campaign


def _rows(rows):
    return [(r.username, str(r.day), r.calls, r.reached, r.accepted, r.rate, r.rate_of_calls) for r in rows]


def test_the_report_counts_calls_per_agent_per_local_day(calls_made, cast):
    from decimal import Decimal

    rows = selectors.call_report(user=cast["dora"], campaign=calls_made)
    assert _rows(rows) == [
        ("alice", "2026-12-02", 1, 1, 1, Decimal("100.0"), Decimal("100.0")),
        ("alice", "2026-12-01", 5, 3, 1, Decimal("33.3"), Decimal("20.0")),
        ("bob", "2026-12-01", 2, 0, 0, None, Decimal("0.0")),
    ]
    total = selectors.call_total(rows)
    assert (total.calls, total.reached, total.accepted, total.rate, total.rate_of_calls) == (
        8,
        4,
        2,
        Decimal("50.0"),
        Decimal("25.0"),
    )
    everything = selectors.call_report(user=cast["hq"], campaign=calls_made)
    assert [(r.username, str(r.day), r.calls, r.accepted) for r in everything if r.username == "bob"] == [
        ("bob", "2026-12-01", 3, 1)  # headquarters see the 广州 customer's call too
    ]
    assert [r.calls for r in selectors.call_report(user=cast["alice"], campaign=calls_made)] == [1, 5]


def test_the_schema_describes_the_call_list_endpoints(staff_client):
    paths = staff_client.get("/api/schema/", {"format": "json"}).json()["paths"]
    assert "post" in paths["/api/v1/campaigns/{id}/call-list/"]
    assert "get" in paths["/api/v1/call-lists/{id}/entries/"]
    assert "post" in paths["/api/v1/call-lists/{id}/entries/{entry}/outcome/"]


def test_a_number_listed_behind_the_lists_back_is_not_called(alice_list, calling, cast, api):
    entry = CallEntry.objects.get(call_list_id=alice_list, mobile=WANG)
    DoNotCall.objects.create(mobile=WANG, reason="拒绝营销")  # not through the service: the entry stays
    response = _outcome(_english(api(cast["alice"])), alice_list, entry.pk, outcome="accepted")
    assert response.status_code == 400 and "on the do-not-call list" in str(response.json())
    assert not CallAttempt.objects.exists()


def test_calls_made_on_an_earlier_list_count_towards_the_seven(alice_list, calling, cast, api):
    entry = CallEntry.objects.get(call_list_id=alice_list, mobile=WANG)
    assert entry.attempts == 0
    _calls(calling["campaign"], WANG, 7, cast["alice"])  # made meanwhile, on a list of the same campaign
    response = _outcome(_english(api(cast["alice"])), alice_list, entry.pk, outcome="no_answer")
    assert response.status_code == 400 and "tried 7 times" in str(response.json())
    assert CallAttempt.objects.count() == 7


def test_an_entry_gone_meanwhile_is_said_to_be_gone(alice_list, calling, cast):
    entry = CallEntry.objects.get(call_list_id=alice_list, mobile=WANG)
    CallEntry.objects.filter(pk=entry.pk).delete()
    with translation.override("en"), pytest.raises(ValidationError, match="no longer on the list"):
        services.call_outcome_record(user=cast["alice"], entry=entry, outcome="accepted")
