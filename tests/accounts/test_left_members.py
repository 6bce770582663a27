"""Group members who left (`left_on`, set by an import replacing a customer's members): kept for their history, but no
longer the customer's members — the members API lists them only when asked, the customer page does not count them."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.conf import settings

from accounts import selectors
from accounts.models import GroupMember
from tests.factories import GroupMemberFactory

pytestmark = pytest.mark.django_db

MEMBERS = "/api/v1/customers/CD0001/members/"
LEFT_ON = datetime.date(2026, 11, 20)
CURRENT, LEFT = "13800000101", "13800000102"


@pytest.fixture
def members(customers):
    """alice's customer: one current member, and a gold, on-net, verified one who left on 20 November."""
    current = GroupMemberFactory(customer=customers["alice"], name="在册成员", mobile=CURRENT)
    left = GroupMemberFactory(
        customer=customers["alice"],
        name="离网成员",
        mobile=LEFT,
        on_net=True,
        verified=True,
        arpu=Decimal("1600.00"),
        vip_level="gold",
    )
    GroupMember.objects.filter(pk=left.pk).update(left_on=LEFT_ON)
    return {"current": current, "left": left}


def _rows(response) -> dict[str, dict]:
    assert response.status_code == 200, response.content
    return {row["mobile"]: row for row in response.json()["results"]}


def test_member_list_shows_only_current_members_by_default(api, cast, members):
    rows = _rows(api(cast["alice"]).get(MEMBERS))
    assert list(rows) == [CURRENT]
    assert rows[CURRENT]["left_on"] is None


@pytest.mark.parametrize("value", ["true", "True", "1"])
def test_member_list_includes_those_who_left_with_their_day_when_asked(api, cast, members, value):
    rows = _rows(api(cast["alice"]).get(MEMBERS, {"include_left": value}))
    assert list(rows) == [CURRENT, LEFT]
    assert rows[CURRENT]["left_on"] is None
    assert rows[LEFT]["left_on"] == "2026-11-20"


def test_member_list_with_include_left_false_is_the_current_members(api, cast, members):
    assert list(_rows(api(cast["alice"]).get(MEMBERS, {"include_left": "false"}))) == [CURRENT]


def test_member_list_counts_only_current_members(api, cast, members):
    assert api(cast["alice"]).get(MEMBERS).json()["count"] == 1


def test_include_left_does_not_open_another_customers_members(api, cast, customers, members):
    assert api(cast["bob"]).get(MEMBERS, {"include_left": "true"}).status_code == 404


def test_left_on_is_read_only(api, cast, members):
    response = api(cast["alice"]).post(
        MEMBERS, {"name": "新成员", "mobile": "13800000103", "left_on": "2026-11-01"}, format="json"
    )
    assert response.status_code == 400 and "left_on" in response.json()
    assert not GroupMember.objects.filter(mobile="13800000103").exists()


def test_a_new_member_is_current(api, cast, members):
    response = api(cast["alice"]).post(MEMBERS, {"name": "新成员", "mobile": "13800000103"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["left_on"] is None


def test_adding_a_member_who_left_makes_them_rejoin(api, cast, members):
    response = api(cast["alice"]).post(MEMBERS, {"name": "离网成员", "mobile": LEFT, "arpu": "100.00"}, format="json")
    assert response.status_code in (200, 201), response.content
    member = GroupMember.objects.get(pk=members["left"].pk)
    assert member.left_on is None and member.vip_level is None and member.name == "离网成员"


def test_adding_a_current_member_again_is_refused(api, cast, members):
    response = api(cast["alice"]).post(MEMBERS, {"name": "重复", "mobile": CURRENT}, format="json")
    assert response.status_code == 400
    assert "mobile" in response.json()


def test_schema_documents_include_left_and_left_on(staff_client):
    schema = staff_client.get("/api/schema/", {"format": "json"}).json()
    parameters = schema["paths"]["/api/v1/customers/{code}/members/"]["get"]["parameters"]
    include_left = next(parameter for parameter in parameters if parameter["name"] == "include_left")
    assert include_left["schema"]["type"] == "boolean"
    left_on = schema["components"]["schemas"]["GroupMember"]["properties"]["left_on"]
    assert left_on["readOnly"] and left_on["nullable"] and left_on["format"] == "date"


def test_member_current_on_a_day_counts_who_left_after_it(members):
    def current(on=None):
        return set(GroupMember.objects.filter(selectors.member_current(on)).values_list("mobile", flat=True))

    assert current() == {CURRENT}
    assert current(LEFT_ON - datetime.timedelta(days=1)) == {CURRENT, LEFT}
    assert current(LEFT_ON) == {CURRENT}  # gone by the end of the day they left


def test_customer_page_counts_current_members_and_says_how_many_left(login, cast, members):
    client = login(cast["alice"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/customers/CD0001/")
    assert response.status_code == 200
    counts = response.context["members"]
    assert (counts["total"], counts["on_net"], counts["verified"], counts["left"]) == (1, 0, 0, 1)
    assert dict(response.context["vip_counts"])["Gold"] == 0
    page = response.content.decode()
    current = re.search(r'data-testid="members-current">(\d+)', page)
    assert current and current.group(1) == "1"
    assert re.search(r'data-testid="members-left">\s*1 left', page)


def test_customer_page_says_nothing_of_left_members_when_none_left(login, cast, customers):
    GroupMemberFactory(customer=customers["alice"])
    response = login(cast["alice"]).get("/customers/CD0001/")
    assert response.context["members"]["total"] == 1
    assert 'data-testid="members-left"' not in response.content.decode()


def test_admin_filters_members_by_membership(login, cast, members):
    cast["paul"].is_staff = True
    cast["paul"].save()
    client = login(cast["paul"])
    current = client.get("/admin/accounts/groupmember/", {"membership": "current"})
    left = client.get("/admin/accounts/groupmember/", {"membership": "left"})
    assert current.status_code == left.status_code == 200
    assert [member.mobile for member in current.context["cl"].result_list] == [CURRENT]
    assert [member.mobile for member in left.context["cl"].result_list] == [LEFT]


def test_member_page_lists_those_who_left_with_their_day_on_asking(login, cast, members):
    """The members page lists the current members; its second view those a replacing import marked as left, each
    with the day, with no edit button (their history is kept, not edited)."""
    client = login(cast["alice"])
    current = client.get("/customers/CD0001/members/")
    html = current.content.decode()
    assert CURRENT in html and LEFT not in html and 'href="/customers/CD0001/members/?left=1"' in html
    left = client.get("/customers/CD0001/members/?left=1")
    html = left.content.decode()
    assert LEFT in html and CURRENT not in html
    assert re.search(r'data-testid="left-on">2026-11-20 离开<', html)
    assert re.search(r'data-testid="member-count">已离开 1 名成员<', html)
    assert f"/members/{members['left'].pk}/edit/" not in html
    searched = client.get("/customers/CD0001/members/?left=1&q=离网").content.decode()
    assert LEFT in searched and 'name="left" value="1"' in searched
    customer_page = client.get("/customers/CD0001/").content.decode()
    assert 'href="/customers/CD0001/members/?left=1"' in customer_page
