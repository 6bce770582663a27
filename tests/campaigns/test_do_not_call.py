"""The do-not-call list (营销黑名单, SPEC §6.3, §8.2): who added each number, when and why; removal by
provincial staff; numbers masked for those who are not."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from campaigns.models import DoNotCall
from crm.models import AuditEntry

pytestmark = pytest.mark.django_db
URL = "/api/v1/do-not-call/"


def _english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_a_number_goes_on_the_list_with_who_when_and_why(cast, api):
    response = api(cast["alice"]).post(URL, {"mobile": "13812345678", "reason": "客户明确拒绝营销电话"})
    assert response.status_code == 201, response.content
    entry = DoNotCall.objects.get()
    assert (entry.mobile, entry.reason, entry.added_by.username) == ("13812345678", "客户明确拒绝营销电话", "alice")
    assert entry.added_at is not None
    listed = api(cast["paul"]).get(URL).json()
    assert listed["count"] == 1
    assert listed["results"][0] | {"added_at": None} == {
        "mobile": "13812345678",
        "reason": "客户明确拒绝营销电话",
        "added_by": "alice",
        "added_at": None,
    }


def test_a_number_already_listed_keeps_its_first_entry(cast, api):
    api(cast["alice"]).post(URL, {"mobile": "13812345678", "reason": "第一次"})
    response = api(cast["bob"]).post(URL, {"mobile": "13812345678", "reason": "第二次"})
    assert response.status_code == 200
    assert DoNotCall.objects.get().reason == "第一次"


def test_numbers_are_masked_for_all_but_provincial_staff(cast, api):
    DoNotCall.objects.create(mobile="13812345678", reason="拒绝")
    assert api(cast["alice"]).get(URL).json()["results"][0]["mobile"] == "138****5678"
    assert api(cast["dora"]).get(URL).json()["results"][0]["mobile"] == "138****5678"
    assert api(cast["hq"]).get(URL).json()["results"][0]["mobile"] == "13812345678"
    assert api(cast["alice"]).get(URL, {"mobile": "13812345678"}).json()["count"] == 1  # is it listed? yes
    assert api(cast["alice"]).get(URL, {"mobile": "13900000000"}).json()["count"] == 0


@pytest.mark.parametrize("mobile", ["1381234567", "23812345678", "12812345678", "138-1234-5678", ""])
def test_a_number_that_is_not_an_11_digit_chinese_mobile_is_refused(cast, api, mobile):
    response = _english(api(cast["alice"])).post(URL, {"mobile": mobile, "reason": "拒绝"})
    assert response.status_code == 400
    assert "mobile" in response.json()
    assert not DoNotCall.objects.exists()


def test_the_refusal_is_in_chinese_by_default(cast, api):
    response = api(cast["alice"]).post(URL, {"mobile": "1381234567", "reason": "拒绝"})
    assert "11 位" in response.json()["mobile"][0] or "手机号码" in response.json()["mobile"][0]


def test_a_reason_is_required(cast, api):
    response = _english(api(cast["alice"])).post(URL, {"mobile": "13812345678"})
    assert response.status_code == 400 and "reason" in response.json()


def test_only_provincial_staff_take_a_number_off(cast, api):
    DoNotCall.objects.create(mobile="13812345678", reason="拒绝")
    for who in ("alice", "dora"):
        assert api(cast[who]).delete(f"{URL}13812345678/").status_code == 403
        assert api(cast[who]).delete(URL, {"mobile": "13812345678"}).status_code == 403
    assert DoNotCall.objects.exists()
    assert api(cast["paul"]).delete(URL, {"mobile": "13812345678"}).status_code == 204
    assert not DoNotCall.objects.exists()
    assert api(cast["paul"]).delete(f"{URL}13812345678/").status_code == 404
    (removed,) = AuditEntry.objects.filter(object_type="campaigns.donotcall", action="delete")
    assert (removed.username, removed.changes) == ("paul", {"mobile": ["13812345678", None], "reason": ["拒绝", None]})


def test_each_number_put_on_the_list_is_in_the_audit_trail_once(cast, api):
    api(cast["alice"]).post(URL, {"mobile": "13812345678", "reason": "客户明确拒绝营销电话"})
    api(cast["bob"]).post(URL, {"mobile": "13812345678", "reason": "再次"})  # already listed: nothing written
    (added,) = AuditEntry.objects.filter(object_type="campaigns.donotcall")
    assert (added.action, added.username, added.source) == ("create", "alice", "api")
    assert added.changes == {"mobile": [None, "13812345678"], "reason": [None, "客户明确拒绝营销电话"]}


def test_an_anonymous_caller_is_refused(db):
    client = APIClient()
    assert client.get(URL).status_code == 401
    assert client.post(URL, {"mobile": "13812345678", "reason": "x"}).status_code == 401
    assert client.delete(f"{URL}13812345678/").status_code == 401


PAGE = "/campaigns/do-not-call/"


def test_on_the_page_anyone_adds_a_number_and_sees_it_masked(cast, login):
    client = login(cast["alice"])
    response = client.post(PAGE, {"mobile": "13812345678", "reason": "客户拒绝"})
    assert response.status_code == 302
    page = client.get(PAGE).content.decode()
    assert "138****5678" in page and "13812345678" not in page.replace('value="13812345678"', "")
    assert "客户拒绝" in page
    assert 'name="remove"' not in page  # only provincial staff take numbers off


def test_on_the_page_provincial_staff_see_whole_numbers_and_take_one_off(cast, login):
    DoNotCall.objects.create(mobile="13812345678", reason="拒绝")
    client = login(cast["paul"])
    assert "13812345678" in client.get(PAGE).content.decode()
    assert client.post(PAGE, {"remove": "13812345678"}).status_code == 302
    assert not DoNotCall.objects.exists()


def test_on_the_page_a_bad_number_is_refused_on_its_field(cast, login):
    response = login(cast["alice"]).post(PAGE, {"mobile": "12345", "reason": "拒绝"})
    assert response.status_code == 400
    assert response.context["form"].errors["mobile"]
    assert not DoNotCall.objects.exists()


def test_on_the_page_only_provincial_staff_may_remove(cast, login):
    DoNotCall.objects.create(mobile="13812345678", reason="拒绝")
    assert login(cast["dora"]).post(PAGE, {"remove": "13812345678"}).status_code == 403
    assert DoNotCall.objects.exists()


def test_the_page_sends_an_anonymous_visitor_to_log_in(db):
    assert Client().get(PAGE)["Location"].startswith("/login/")
