"""Automatic call lists (issue 20 point 4): built with `mode` `auto`, exported in the dialer platform's layout (CSV,
UTF-8 with BOM, one row per number still to call: entry id, number, name, customer code) and its results imported
back, matched by entry id — a file with any bad line refused whole, each bad line named with its line number and
reason (in Chinese by default), nothing written."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from campaigns import services
from campaigns.models import CallAttempt, CallEntry, CallList, DoNotCall
from campaigns.services.calls import call_back_day
from crm.models import AuditEntry, Notification
from tests.campaigns.test_call_lists import LI, MEMBER_A, MEMBER_B, WANG, build_calling

pytestmark = pytest.mark.django_db


@pytest.fixture
def auto_list(cast, customers, territory) -> CallList:
    """alice's automatic list of her customer's four numbers (WANG, LI, MEMBER_A, MEMBER_B)."""
    calling = build_calling(cast, customers, territory)
    response_list = services.call_list_build(user=cast["alice"], campaign=calling["campaign"], mode="auto")
    return response_list


def _ids() -> dict[str, int]:
    return dict(CallEntry.objects.values_list("mobile", "pk"))


def _file(text: str, encoding: str = "utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile("results.csv", text.encode(encoding), content_type="text/csv")


def _results(client, call_list, text: str, encoding: str = "utf-8"):
    return client.post(
        f"/api/v1/call-lists/{call_list.pk}/dialer-results/", {"file": _file(text, encoding)}, format="multipart"
    )


def _called_now(call_list, mobile: str, agent) -> None:
    customer = call_list.entries.first().customer
    CallAttempt.objects.create(
        campaign=call_list.campaign, customer=customer, mobile=mobile, agent=agent, outcome="no_answer"
    )


def _untouched(call_list) -> None:
    assert not CallAttempt.objects.exists() and not DoNotCall.objects.exists()
    assert set(CallEntry.objects.filter(call_list=call_list).values_list("attempts", "last_outcome")) == {(0, "")}


def test_the_mode_is_taken_and_shown_manual_by_default(cast, customers, territory, api):
    calling = build_calling(cast, customers, territory)
    url = f"/api/v1/campaigns/{calling['campaign'].pk}/call-list/"
    auto = api(cast["alice"]).post(url, {"mode": "auto", "source": "key_persons"}, format="json")
    assert auto.status_code == 201, auto.content
    assert auto.json()["mode"] == "auto" and CallList.objects.get(pk=auto.json()["id"]).mode == "auto"
    manual = api(cast["alice"]).post(url, {"source": "members"}, format="json")
    assert manual.json()["mode"] == "manual"
    refused = api(cast["alice"]).post(url, {"mode": "robot"}, format="json")
    assert refused.status_code == 400 and "mode" in refused.json()


def test_the_dialer_file_has_the_platforms_layout(auto_list, cast, api):
    response = api(cast["alice"]).get(f"/api/v1/call-lists/{auto_list.pk}/dialer-file/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    data = response.content.decode("utf-8")
    assert data.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(data[1:])))
    ids = _ids()
    assert rows == [
        ["entry_id", "mobile", "name", "customer_code"],
        [str(ids[WANG]), WANG, "王总", "CD0001"],
        [str(ids[LI]), LI, "李经理", "CD0001"],
        [str(ids[MEMBER_A]), MEMBER_A, "成员甲", "CD0001"],
        [str(ids[MEMBER_B]), MEMBER_B, "成员乙", "CD0001"],
    ]
    export = AuditEntry.objects.get(action="export", object_id=str(auto_list.pk))
    assert (export.username, export.detail["rows"]) == ("alice", 4)


def test_the_dialer_file_leaves_out_numbers_done_or_resting(auto_list, cast, login):
    CallEntry.objects.filter(mobile=WANG).update(last_outcome="accepted", attempts=1)
    _called_now(auto_list, LI, cast["bob"])  # in whatever campaign: rests for the interval
    response = login(cast["alice"]).get(f"/campaigns/call-lists/{auto_list.pk}/dialer.csv")
    assert response.status_code == 200
    mobiles = [row[1] for row in csv.reader(io.StringIO(response.content.decode("utf-8")[1:]))][1:]
    assert mobiles == [MEMBER_A, MEMBER_B]
    assert response["X-Resting-Numbers"] == "1"


def test_a_good_results_file_records_every_line(auto_list, cast, api):
    ids = _ids()
    when = (timezone.localtime() + datetime.timedelta(days=1)).replace(hour=15, minute=0, second=0, microsecond=0)
    text = (
        "entry_id,mobile,outcome,call_back_at,note\n"
        f"{ids[WANG]},{WANG},accepted,,愿意办理\n"
        f"{ids[LI]},{LI},约定回呼,{when:%Y-%m-%d %H:%M},下午三点再打\n"
        f"{ids[MEMBER_A]},{MEMBER_A},NO_ANSWER,,\n"
        f"{ids[MEMBER_B]},{MEMBER_B},do_not_call,,\n"
    )
    response = _results(api(cast["alice"]), auto_list, text)
    assert response.status_code == 201, response.content
    assert response.json() == {
        "calls": 4,
        "outcomes": {"accepted": 1, "declined": 0, "no_answer": 1, "call_back": 1, "do_not_call": 1},
    }
    entries = {entry.mobile: entry for entry in CallEntry.objects.all()}
    assert (entries[WANG].attempts, entries[WANG].last_outcome) == (1, "accepted")
    assert (entries[LI].last_outcome, entries[LI].call_back_at, entries[LI].call_back_on) == (
        "call_back",
        when,
        when.date(),
    )
    assert entries[MEMBER_A].last_outcome == "no_answer" and entries[MEMBER_A].last_called_at is not None
    assert MEMBER_B not in entries and DoNotCall.objects.filter(mobile=MEMBER_B).exists()  # off every open list
    calls = CallAttempt.objects.order_by("pk")
    assert [(call.mobile, call.outcome, call.agent.username) for call in calls] == [
        (WANG, "accepted", "alice"),
        (LI, "call_back", "alice"),
        (MEMBER_A, "no_answer", "alice"),
        (MEMBER_B, "do_not_call", "alice"),
    ]
    assert calls[1].note == "下午三点再打"
    # each call in its customer's history; the call-back a to-do of the list's agent
    audited = AuditEntry.objects.filter(object_type="campaigns.callattempt").order_by("object_id")
    assert [entry.changes["outcome"][1] for entry in audited] == ["accepted", "call_back", "no_answer", "do_not_call"]
    assert {entry.customer_code for entry in audited} == {"CD0001"}
    assert Notification.objects.filter(recipient=cast["alice"], kind="call_back_due").count() == 1


def test_an_entry_counts_the_calls_its_number_had_in_the_campaign_meanwhile(auto_list, cast, api):
    made = CallAttempt.objects.bulk_create(
        CallAttempt(
            campaign=auto_list.campaign,
            customer=auto_list.entries.first().customer,
            mobile=LI,
            agent=cast["bob"],
            outcome="no_answer",
        )
        for _ in range(2)
    )  # on another list of the campaign, after this one was built
    CallAttempt.objects.filter(pk__in=[call.pk for call in made]).update(
        called_at=timezone.now() - datetime.timedelta(days=5)
    )
    ids = _ids()
    response = _results(
        api(cast["alice"]), auto_list, f"entry_id,outcome\n{ids[LI]},no_answer\n{ids[WANG]},no_answer\n"
    )
    assert response.status_code == 201, response.content
    assert dict(CallEntry.objects.filter(mobile__in=[LI, WANG]).values_list("mobile", "attempts")) == {LI: 3, WANG: 1}


def test_a_results_file_in_gb18030_with_chinese_headers_is_read(auto_list, cast, api):
    ids = _ids()
    text = f"条目编号,结果\r\n{ids[WANG]},拒绝\r\n"
    response = _results(api(cast["alice"]), auto_list, text, encoding="gb18030")
    assert response.status_code == 201, response.content
    assert CallEntry.objects.get(mobile=WANG).last_outcome == "declined"


def test_a_file_with_bad_lines_is_refused_whole_each_line_named_in_chinese(auto_list, cast, api):
    ids = _ids()
    text = (
        "entry_id,outcome,call_back_at\n"
        f"{ids[WANG]},accepted,\n"  # good: yet not written
        "999999,accepted,\n"  # line 3: no such entry
        f"{ids[LI]},maybe,\n"  # line 4: unknown outcome
        f"{ids[MEMBER_A]},call_back,\n"  # line 5: a call back without its time
        f"{ids[MEMBER_B]},call_back,2020-01-01 09:00\n"  # line 6: in the past
        f"{ids[WANG]},declined,\n"  # line 7: the same entry again
        "abc,accepted,\n"  # line 8: not an entry id
    )
    response = _results(api(cast["alice"]), auto_list, text)
    assert response.status_code == 400
    errors = response.json()["file"]
    assert [error.split("：")[0] for error in errors] == [f"第 {line} 行" for line in (3, 4, 5, 6, 7, 8)]
    assert "999999" in errors[0] and "maybe" in errors[1]
    assert "回拨" in errors[2] and "已过" in errors[3]
    _untouched(auto_list)


def test_an_entry_of_another_list_is_unknown(auto_list, cast, customers, territory, api):
    other = CallList.objects.create(campaign=auto_list.campaign, agent=cast["bob"], mode="auto")
    stranger = CallEntry.objects.create(call_list=other, customer=customers["wuhou"], name="外人", mobile="13600000001")
    response = _results(api(cast["alice"]), auto_list, f"entry_id,outcome\n{stranger.pk},accepted\n")
    assert response.status_code == 400 and "第 2 行" in response.json()["file"][0]
    assert not CallAttempt.objects.exists()


def test_a_number_resting_under_the_seven_touch_rule_is_a_bad_line(auto_list, cast, api):
    _called_now(auto_list, LI, cast["bob"])
    response = _results(api(cast["alice"]), auto_list, f"entry_id,outcome\n{_ids()[LI]},accepted\n")
    assert response.status_code == 400
    assert response.json()["file"][0].startswith("第 2 行：该号码上次外呼于")
    assert CallAttempt.objects.count() == 1


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\n\n",
        b"entry_id,outcome\n",  # a header alone
        b"id,result\n1,accepted\n",  # no column it knows
        b"\xff\xfe\x00\x00garbage\x00",
        b"entry_id,outcome\n1,accepted\x00\n",
        b'entry_id,outcome\n"1,accepted\n',  # a quote never closed
        ("entry_id,outcome\n" + "9" * 400 + ",accepted\n").encode(),
        b"\xef\xbb\xbf",
    ],
)
def test_a_malformed_file_is_a_400_never_a_server_error(auto_list, cast, api, data):
    response = api(cast["alice"]).post(
        f"/api/v1/call-lists/{auto_list.pk}/dialer-results/",
        {"file": SimpleUploadedFile("r.csv", data or b" ", content_type="text/csv")},
        format="multipart",
    )
    assert response.status_code == 400, response.content
    assert "file" in response.json()
    _untouched(auto_list)


def test_the_dialer_calls_an_automatic_list_and_its_agent_dials_only_its_call_backs(auto_list, cast, api, login):
    ids = _ids()
    url = f"/api/v1/call-lists/{auto_list.pk}/entries/{ids[WANG]}/outcome/"
    refused = api(cast["alice"]).post(url, {"outcome": "accepted"}, format="json")
    assert refused.status_code == 400 and "外呼平台" in refused.json()["non_field_errors"][0]
    page = login(cast["alice"]).get(f"/campaigns/call-lists/{auto_list.pk}/").content.decode()
    assert "outcome-form" not in page  # the dialer calls them (alice, CD0001's manager, sees its numbers whole)
    when = timezone.localtime() + datetime.timedelta(hours=2)
    line = f"entry_id,outcome,call_back_at\n{ids[WANG]},call_back,{when:%Y-%m-%d %H:%M}\n"
    assert _results(api(cast["alice"]), auto_list, line).status_code == 201
    page = login(cast["alice"]).get(f"/campaigns/call-lists/{auto_list.pk}/").content.decode()
    row = page.split(f'data-entry="{ids[WANG]}"')[1].split("</tr>")[0]
    assert f'href="tel:{WANG}"' in row and "outcome-form" in row  # the call-back is dialled by hand
    answered = api(cast["alice"]).post(url, {"outcome": "accepted"}, format="json")
    assert answered.status_code == 200, answered.content
    assert list(CallAttempt.objects.order_by("pk").values_list("outcome", flat=True)) == ["call_back", "accepted"]


def test_a_manual_list_has_no_dialer_file_nor_results(cast, customers, territory, api):
    calling = build_calling(cast, customers, territory)
    manual = services.call_list_build(user=cast["alice"], campaign=calling["campaign"])
    assert api(cast["alice"]).get(f"/api/v1/call-lists/{manual.pk}/dialer-file/").status_code == 400
    refused = _results(api(cast["alice"]), manual, "entry_id,outcome\n1,accepted\n")
    assert refused.status_code == 400 and not CallAttempt.objects.exists()


@pytest.mark.parametrize(("who", "status"), [("bob", 403), ("dora", 403), ("carol", 404), ("gd_paul", 404)])
def test_only_the_lists_agent_or_builder_runs_the_dialer(auto_list, cast, api, login, who, status):
    line = f"entry_id,outcome\n{_ids()[WANG]},accepted\n"
    assert api(cast[who]).get(f"/api/v1/call-lists/{auto_list.pk}/dialer-file/").status_code == status
    assert _results(api(cast[who]), auto_list, line).status_code == status
    assert login(cast[who]).get(f"/campaigns/call-lists/{auto_list.pk}/dialer.csv").status_code == status
    page = login(cast[who]).post(f"/campaigns/call-lists/{auto_list.pk}/dialer-results/", {"file": _file(line)})
    assert page.status_code == status
    _untouched(auto_list)
    assert not AuditEntry.objects.filter(action="export").exists()


def test_anonymous_callers_are_sent_away(auto_list):
    assert APIClient().get(f"/api/v1/call-lists/{auto_list.pk}/dialer-file/").status_code == 401
    assert APIClient().post(f"/api/v1/call-lists/{auto_list.pk}/dialer-results/").status_code == 401
    assert Client().get(f"/campaigns/call-lists/{auto_list.pk}/dialer.csv")["Location"].startswith("/login/")
    response = Client().post(f"/campaigns/call-lists/{auto_list.pk}/dialer-results/")
    assert response["Location"].startswith("/login/")


def test_the_page_imports_the_results_or_lists_every_bad_line(auto_list, cast, login):
    client = login(cast["alice"])
    page = client.get(f"/campaigns/call-lists/{auto_list.pk}/").content.decode()
    assert 'data-testid="dialer-file"' in page and 'data-testid="results-form"' in page
    url = f"/campaigns/call-lists/{auto_list.pk}/dialer-results/"
    refused = client.post(url, {"file": _file("entry_id,outcome\n424242,accepted\n1,perhaps\n")})
    assert refused.status_code == 400
    listed = refused.content.decode().split('data-testid="results-errors"')[1].split("</div></div>")[0]
    assert "第 2 行" in listed and "第 3 行" in listed
    _untouched(auto_list)
    done = client.post(url, {"file": _file(f"entry_id,outcome\n{_ids()[WANG]},accepted\n")})
    assert done.status_code == 302 and done["Location"] == f"/campaigns/call-lists/{auto_list.pk}/"
    assert CallAttempt.objects.get().outcome == "accepted"


def test_the_dialers_call_time_is_kept_when_its_file_gives_it(auto_list, cast, api):
    built = timezone.now() - datetime.timedelta(days=2)
    CallList.objects.filter(pk=auto_list.pk).update(created_at=built)
    called = (timezone.localtime() - datetime.timedelta(days=1)).replace(hour=10, minute=5, second=30, microsecond=0)
    ids = _ids()
    text = (
        "entry_id,outcome,呼叫时间\n"
        f"{ids[WANG]},accepted,{called:%Y-%m-%d %H:%M:%S}\n"
        f"{ids[LI]},no_answer,\n"  # no time on the line: the import's
    )
    before = timezone.now()
    response = _results(api(cast["alice"]), auto_list, text)
    assert response.status_code == 201, response.content
    calls = {call.mobile: call for call in CallAttempt.objects.all()}
    assert calls[WANG].called_at == called
    assert calls[LI].called_at >= before
    assert CallEntry.objects.get(mobile=WANG).last_called_at == called
    # the desk's figures count the call on the dialer's day
    assert CallAttempt.objects.filter(called_at__date=called.date()).count() == 1


def test_a_file_without_a_call_time_column_is_stamped_with_the_import(auto_list, cast, api):
    before = timezone.now()
    response = _results(api(cast["alice"]), auto_list, f"entry_id,outcome\n{_ids()[WANG]},declined\n")
    assert response.status_code == 201
    assert CallAttempt.objects.get().called_at >= before


def test_a_bad_future_or_too_early_call_time_is_a_bad_line(auto_list, cast, api):
    CallList.objects.filter(pk=auto_list.pk).update(created_at=timezone.now() - datetime.timedelta(days=1))
    ids = _ids()
    future = timezone.localtime() + datetime.timedelta(hours=2)
    early = timezone.localtime() - datetime.timedelta(days=30)
    text = (
        "entry_id,outcome,called_at\n"
        f"{ids[WANG]},accepted,{(timezone.localtime() - datetime.timedelta(minutes=1)):%Y-%m-%d %H:%M:%S}\n"
        f"{ids[LI]},accepted,yesterday\n"  # line 3: not a time
        f"{ids[MEMBER_A]},accepted,{future:%Y-%m-%d %H:%M}\n"  # line 4: in the future
        f"{ids[MEMBER_B]},accepted,{early:%Y-%m-%d %H:%M}\n"  # line 5: before the list was built
    )
    response = _results(api(cast["alice"]), auto_list, text)
    assert response.status_code == 400
    errors = response.json()["file"]
    assert [error.split("：")[0] for error in errors] == [f"第 {line} 行" for line in (3, 4, 5)]
    assert "yesterday" in errors[0] and f"{future:%Y-%m-%d %H:%M}" in errors[1] and "清单" in errors[2]
    _untouched(auto_list)


def test_a_back_dated_dialer_call_leaves_a_later_manual_call_the_last(auto_list, cast, api):
    CallList.objects.filter(pk=auto_list.pk).update(created_at=timezone.now() - datetime.timedelta(days=2))
    ids = _ids()
    manual = timezone.now() - datetime.timedelta(hours=1)
    CallEntry.objects.filter(pk=ids[WANG]).update(last_called_at=manual, last_outcome="call_back", attempts=1)
    earlier = (timezone.localtime() - datetime.timedelta(days=1)).replace(second=0, microsecond=0)
    ahead = (timezone.localtime() + datetime.timedelta(minutes=3)).replace(microsecond=0)  # a dialer clock ahead
    text = (
        "entry_id,outcome,called_at\n"
        f"{ids[WANG]},declined,{earlier:%Y-%m-%d %H:%M:%S}\n"
        f"{ids[LI]},no_answer,{ahead:%Y-%m-%d %H:%M:%S}\n"
    )
    response = _results(api(cast["alice"]), auto_list, text)
    assert response.status_code == 201, response.content
    wang, li = CallEntry.objects.get(pk=ids[WANG]), CallEntry.objects.get(pk=ids[LI])
    assert (wang.attempts, wang.last_called_at, wang.last_outcome) == (2, manual, "call_back")
    assert (li.attempts, li.last_called_at, li.last_outcome) == (1, ahead, "no_answer")


def test_a_back_dated_call_back_leaves_the_later_calls_call_back_alone(auto_list, cast, api):
    """Only the entry's latest call decides its call-back: a back-dated `call_back` line neither sets a call-back
    on an entry called since (nor tells the agent of one), and a back-dated other outcome does not clear the
    call-back the later call promised."""
    CallList.objects.filter(pk=auto_list.pk).update(created_at=timezone.now() - datetime.timedelta(days=2))
    ids = _ids()
    manual = timezone.now() - datetime.timedelta(hours=1)
    promised = (timezone.now() + datetime.timedelta(days=2)).replace(second=0, microsecond=0)
    CallEntry.objects.filter(pk=ids[WANG]).update(last_called_at=manual, last_outcome="no_answer", attempts=1)
    CallEntry.objects.filter(pk=ids[LI]).update(
        last_called_at=manual,
        last_outcome="call_back",
        attempts=1,
        call_back_at=promised,
        call_back_on=call_back_day(promised),
    )
    earlier = (timezone.localtime() - datetime.timedelta(days=1)).replace(second=0, microsecond=0)
    tomorrow = (timezone.localtime() + datetime.timedelta(days=1)).replace(second=0, microsecond=0)
    text = (
        "entry_id,outcome,call_back_at,called_at\n"
        f"{ids[WANG]},call_back,{tomorrow:%Y-%m-%d %H:%M},{earlier:%Y-%m-%d %H:%M:%S}\n"
        f"{ids[LI]},no_answer,,{earlier:%Y-%m-%d %H:%M:%S}\n"
    )
    response = _results(api(cast["alice"]), auto_list, text)
    assert response.status_code == 201, response.content
    wang, li = CallEntry.objects.get(pk=ids[WANG]), CallEntry.objects.get(pk=ids[LI])
    assert (wang.attempts, wang.last_outcome, wang.call_back_at, wang.call_back_on) == (2, "no_answer", None, None)
    assert (li.attempts, li.last_outcome, li.call_back_at, li.call_back_on) == (
        2,
        "call_back",
        promised,
        call_back_day(promised),
    )
    assert not Notification.objects.filter(recipient=cast["alice"], kind="call_back_due").exists()
    # the back-dated call is on record with its own call-back, as the dialer gave it
    assert CallAttempt.objects.get(entry_id=ids[WANG]).call_back_at == tomorrow
