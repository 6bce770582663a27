"""POST/GET/PATCH /api/v1/visits/ (SPEC §5.3, §8.2) under the visibility of §2."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.utils import timezone

from teams.models import TeamRole, Visit
from tests.factories import KeyPersonFactory, TeamRoleFactory

URL = "/api/v1/visits/"


def _visit(client, language="en", **data):
    """POST a visit, reading the messages in `language` (the language switcher's cookie)."""
    body = {"customer": "CD0001", "summary": "了解专线扩容需求"} | data
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client.post(URL, body, format="json")


@pytest.mark.django_db
def test_a_manager_logs_a_visit_with_the_defaults_filled(api, cast, tiered):
    response = _visit(api(cast["alice"]))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["visitor"] == "alice"
    assert body["visitor_role"] == "customer_manager"
    assert body["kind"] == "onsite"
    assert abs(datetime.datetime.fromisoformat(body["visited_at"]) - timezone.now()) < datetime.timedelta(minutes=1)
    assert Visit.objects.get().customer == tiered["alice"]


@pytest.mark.django_db
def test_key_persons_met_and_staff_present_come_from_the_customers_own_lists(api, cast, tiered):
    TeamRoleFactory(customer=tiered["alice"], user=cast["bob"], role="service_manager")
    person = tiered["alice"].key_persons.get()
    response = _visit(api(cast["alice"]), key_persons=[person.pk], staff_present=["bob"], kind="phone")
    assert response.status_code == 201, response.content
    visit = Visit.objects.get()
    assert list(visit.key_persons.all()) == [person]
    assert list(visit.staff_present.all()) == [cast["bob"]]
    # the answer shows the people linked (without reading them back) exactly as a later GET does
    assert response.json()["key_persons"] == [person.pk]
    assert response.json()["staff_present"] == ["bob"]
    assert api(cast["alice"]).get(f"{URL}{visit.pk}/").json() == response.json()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"customer": "CD0002"}, "customer", "No customer with code CD0002"),
        ({"customer": "GZ0001"}, "customer", "No customer with code GZ0001"),
        ({"visited_at": "2099-01-01T10:00:00+08:00"}, "visited_at", "cannot be in the future"),
        ({"kind": "dinner"}, "kind", "not a valid choice"),
        ({"summary": "   "}, "summary", "may not be blank"),
        ({"staff_present": ["carol"]}, "staff_present", "not another member of this customer's team"),
        ({"visitor_role": "second_manager"}, "visitor_role", "do not hold this role"),
        ({"next_visit_on": "2020-01-01"}, "next_visit_on", "cannot be before this one"),
        ({"visitor": "bob"}, "visitor", "read-only or unknown"),
    ],
)
def test_bad_visits_get_a_clear_message_on_the_field_and_nothing_is_saved(api, cast, tiered, data, field, message):
    response = _visit(api(cast["alice"]), **data)
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert message in " ".join(response.json()[field])
    assert not Visit.objects.exists()


@pytest.mark.django_db
def test_a_key_person_of_another_customer_is_refused_in_the_words_of_one_that_does_not_exist(api, cast, tiered):
    """Nothing in the refusal tells the caller that the id exists elsewhere, nor whose it is."""
    stranger = KeyPersonFactory(customer=tiered["guangzhou"], name="广州的关键人")
    client = api(cast["alice"])
    response = _visit(client, key_persons=[stranger.pk])
    assert response.status_code == 400
    assert response.json()["key_persons"] == [f"No key person of this customer has the id {stranger.pk}."]
    missing = _visit(client, key_persons=[stranger.pk + 1000])
    assert missing.json()["key_persons"] == [f"No key person of this customer has the id {stranger.pk + 1000}."]
    assert not Visit.objects.exists()


@pytest.mark.django_db
def test_a_manager_whose_role_on_the_team_has_ended_no_longer_finds_the_customer(api, cast, tiered):
    """The customer field reads an account manager's roles on the team today: a role ended today is not one."""
    TeamRole.objects.filter(customer=tiered["alice"], user=cast["alice"]).update(
        starts_on=timezone.localdate() - datetime.timedelta(days=30), ends_on=timezone.localdate()
    )
    response = _visit(api(cast["alice"]))
    assert response.status_code == 400
    assert response.json()["customer"] == ["No customer with code CD0001 is on your team or in your territory."]
    assert not Visit.objects.exists()


@pytest.mark.django_db
def test_the_branch_of_a_listed_group_is_found_through_the_group_and_then_refused_for_its_team(api, group):
    """The account team of a national-list group sees its branches (issue 21): the customer field finds the branch
    through the whole visibility rule, not only the manager's own roles; the service then says why no visit is
    logged (a visit is logged by the branch's own team)."""
    response = _visit(api(group["hq_am"]), customer="BANK44")
    assert response.status_code == 400
    assert "only for customers on whose team you are" in response.json()["customer"][0]
    assert _visit(api(group["hq_am"]), customer="BANK00").status_code == 201


@pytest.mark.django_db
@pytest.mark.parametrize("value", [["CD0001"], {"code": "CD0001"}, True, 1.5, None, ""])
def test_a_customer_that_is_not_a_code_is_refused_on_the_field(api, cast, tiered, value):
    response = _visit(api(cast["alice"]), customer=value)
    assert response.status_code == 400
    assert response.json()["customer"], response.json()
    assert not Visit.objects.exists()


@pytest.mark.django_db
def test_bad_visits_are_explained_in_chinese_by_default(api, cast, tiered):
    client = api(cast["alice"])
    response = client.post(
        URL,
        {"customer": "CD0001", "summary": "x", "visited_at": "2099-01-01T10:00:00+08:00"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 400
    assert "未来" in response.json()["visited_at"][0]


@pytest.mark.django_db
def test_a_department_head_may_log_a_visit_without_a_role_on_the_team(api, cast, tiered):
    response = _visit(api(cast["dora"]))
    assert response.status_code == 201
    assert response.json()["visitor_role"] == ""


@pytest.mark.django_db
def test_anonymous_callers_get_401(client, tiered):
    assert client.post(URL, {"customer": "CD0001", "summary": "x"}).status_code == 401
    assert client.get(URL).status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("alice", True),
        ("bob", False),
        ("carol", False),
        ("dora", True),
        ("paul", True),
        ("gd_paul", False),
        ("hq", True),
    ],
)
def test_visits_follow_the_visibility_of_their_customer(api, cast, tiered, who, sees):
    visit_id = _visit(api(cast["alice"])).json()["id"]
    client = api(cast[who])
    listed = [item["id"] for item in client.get(URL).json()["results"]]
    assert (visit_id in listed) is sees
    assert client.get(f"{URL}{visit_id}/").status_code == (200 if sees else 404)


@pytest.mark.django_db
def test_visits_filter_by_customer_visitor_and_month(api, cast, tiered):
    # Visits of past months, stored as history is (the API logs them in the month that runs only).
    for customer, visitor, at in [
        ("alice", "alice", "2026-10-15T10:00:00+08:00"),
        ("alice", "bob", "2026-11-02T09:00:00+08:00"),
        ("wuhou", "bob", "2026-11-01T00:30:00+08:00"),
    ]:
        Visit.objects.create(
            customer=tiered[customer],
            visitor=cast[visitor],
            visited_at=datetime.datetime.fromisoformat(at),
            summary="拜访",
        )
    client = api(cast["dora"])

    def ids(query):
        response = client.get(f"{URL}?{query}")
        assert response.status_code == 200, response.content
        return sorted(
            (item["customer"], item["visitor"], item["visited_at"][:10]) for item in response.json()["results"]
        )

    assert ids("customer=CD0001") == [("CD0001", "alice", "2026-10-15"), ("CD0001", "bob", "2026-11-02")]
    assert ids("visitor=bob") == [("CD0001", "bob", "2026-11-02"), ("CD0002", "bob", "2026-11-01")]
    # months are Asia/Shanghai months: 00:30 on 1 November is November
    assert ids("month=2026-11") == [("CD0001", "bob", "2026-11-02"), ("CD0002", "bob", "2026-11-01")]
    assert ids("month=2026-10&customer=CD0001") == [("CD0001", "alice", "2026-10-15")]


@pytest.mark.django_db
@pytest.mark.parametrize("month", ["2026-13", "2026-1", "november", "0000-01", "9999-12", "0001-01"])
def test_a_bad_month_is_a_400_naming_the_format(api, cast, tiered, month):
    response = api(cast["dora"]).get(f"{URL}?month={month}")
    assert response.status_code == 400
    assert "YYYY-MM" in response.json()["month"][0]


@pytest.mark.django_db
def test_the_visitor_may_change_a_visit_for_seven_days_and_nobody_else_ever(api, cast, tiered):
    visit_id = _visit(api(cast["alice"])).json()["id"]
    url = f"{URL}{visit_id}/"
    assert api(cast["alice"]).patch(url, {"summary": "补充：客户要求报价"}, format="json").status_code == 200
    assert Visit.objects.get().summary == "补充：客户要求报价"
    # the department head sees it but cannot change it; bob cannot even see it
    assert api(cast["dora"]).patch(url, {"summary": "改"}, format="json").status_code == 403
    assert api(cast["bob"]).patch(url, {"summary": "改"}, format="json").status_code == 404
    Visit.objects.update(created_at=timezone.now() - datetime.timedelta(days=8))
    assert api(cast["alice"]).patch(url, {"summary": "太迟了"}, format="json").status_code == 403
    assert Visit.objects.get().summary == "补充：客户要求报价"


@pytest.mark.django_db
def test_a_partial_change_keeps_the_people_met(api, cast, tiered):
    person = tiered["alice"].key_persons.get()
    visit_id = _visit(api(cast["alice"]), key_persons=[person.pk]).json()["id"]
    response = api(cast["alice"]).patch(f"{URL}{visit_id}/", {"next_step": "发送报价"}, format="json")
    assert response.json()["key_persons"] == [person.pk]
    assert list(Visit.objects.get().key_persons.all()) == [person]
    response = api(cast["alice"]).patch(f"{URL}{visit_id}/", {"key_persons": []}, format="json")
    assert response.json()["key_persons"] == []
    assert not Visit.objects.get().key_persons.exists()


@pytest.mark.django_db
def test_visit_list_query_count_is_pinned(api, cast, tiered, django_assert_num_queries):
    client = api(cast["alice"])
    for _ in range(5):
        _visit(client)
    # token with user, count, page of visits with customer and visitor, staff present, key persons
    with django_assert_num_queries(5):
        response = client.get(URL)
    assert response.json()["count"] == 5


@pytest.mark.django_db
def test_logging_a_visit_query_count_is_pinned(api, cast, tiered, django_assert_num_queries):
    client = api(cast["alice"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    # token with user (crm.security.TokenAuthentication reads no other token), the customer among the visible ones,
    # the visitor's roles (which for an account manager also prove the customer visible), savepoint, insert, its
    # audit entry, release; the answer reads nobody back
    with django_assert_num_queries(7):
        response = client.post(URL, {"customer": "CD0001", "summary": "拜访"}, format="json")
    assert response.status_code == 201


def _days_before_this_month(days: int) -> str:
    first = timezone.localdate().replace(day=1)
    day = first - datetime.timedelta(days=days)
    return f"{day.isoformat()}T10:00:00+08:00"


@pytest.mark.django_db
def test_an_account_manager_dates_a_visit_in_the_month_that_runs(api, cast, tiered):
    client = api(cast["alice"])
    first = timezone.localdate().replace(day=1)
    response = _visit(client, visited_at=_days_before_this_month(1))
    assert response.status_code == 400
    assert response.json()["visited_at"] == [
        f"A visit is dated this month, from {first} on; a department head may log an earlier one."
    ]
    assert _visit(client, visited_at=f"{first.isoformat()}T00:10:00+08:00").status_code == 201
    assert _visit(client, visited_at="0593-01-01T10:00:00+08:00").status_code == 400


@pytest.mark.django_db
def test_a_department_head_logs_a_late_visit_back_to_the_same_month_last_year(api, cast, tiered):
    client = api(cast["dora"])
    assert _visit(client, visited_at=_days_before_this_month(40)).status_code == 201
    first = timezone.localdate().replace(day=1)
    earliest = first.replace(year=first.year - 1)
    response = _visit(client, visited_at=f"{(earliest - datetime.timedelta(days=1)).isoformat()}T10:00:00+08:00")
    assert response.json()["visited_at"] == [f"A visit cannot be dated before {earliest}."]
    assert _visit(client, visited_at="2019-06-01T10:00:00+08:00").status_code == 400


@pytest.mark.django_db
def test_a_late_visit_keeps_its_date_when_its_visitor_corrects_the_summary(api, cast, tiered):
    """The date rule holds for the date given, not for a visit a head entered late that its visitor then edits."""
    day = datetime.datetime.fromisoformat(_days_before_this_month(3))
    visit = Visit.objects.create(customer=tiered["alice"], visitor=cast["alice"], visited_at=day, summary="补录")
    client = api(cast["alice"])
    response = client.patch(f"{URL}{visit.pk}/", {"summary": "补录：客户要求报价"}, format="json")
    assert response.status_code == 200, response.content
    moved = client.patch(f"{URL}{visit.pk}/", {"visited_at": _days_before_this_month(4)}, format="json")
    assert moved.status_code == 400
