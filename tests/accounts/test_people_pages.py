"""Key persons and group members kept from the browser (issue 17, point 3): the pages under
`/customers/<code>/key-persons/…` and `/customers/<code>/members/…` write through the services the API uses, with
the API's messages, the visibility matrix, and the profile's "missing" line linking to the form that fixes it."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import GroupMember, KeyPerson
from crm import versions
from crm.models import AuditEntry
from tests.factories import CustomerFactory, GroupMemberFactory, KeyPersonFactory, TeamRoleFactory

pytestmark = pytest.mark.django_db

DETAIL = "/customers/CD0001/"
KEY_PERSON_NEW = "/customers/CD0001/key-persons/new/"
MEMBERS = "/customers/CD0001/members/"
MEMBER_NEW = "/customers/CD0001/members/new/"


def key_person_edit(person: KeyPerson) -> str:
    return f"/customers/{person.customer.code}/key-persons/{person.pk}/edit/"


def member_edit(member: GroupMember) -> str:
    return f"/customers/{member.customer.code}/members/{member.pk}/edit/"


def person_data(**extra) -> dict:
    return {"name": "王强", "title": "信息中心主任", "mobile": "13800001111", "notes": "", **extra}


def member_data(**extra) -> dict:
    return {"name": "李娜", "mobile": "13900002222", "arpu": "88.00", **extra}


def field_errors(response, field: str) -> list[str]:
    form = response.context["form"]
    return [str(error) for error in form.errors.get(field, [])]


@pytest.fixture
def person(customers) -> KeyPerson:
    return customers["alice"].key_persons.get()


@pytest.fixture
def member(customers) -> GroupMember:
    return GroupMemberFactory(customer=customers["alice"], name="赵敏", mobile="13700003333")


# -- the visibility matrix --------------------------------------------------------------------------------------------


def routes(person: KeyPerson, member: GroupMember) -> list[tuple[str, str]]:
    """(method, path) of every page of the piece, as the matrix probes them."""
    return [
        ("get", KEY_PERSON_NEW),
        ("post", KEY_PERSON_NEW),
        ("get", key_person_edit(person)),
        ("post", key_person_edit(person)),
        ("post", f"/customers/CD0001/key-persons/{person.pk}/delete/"),
        ("get", MEMBER_NEW),
        ("post", MEMBER_NEW),
        ("get", member_edit(member)),
        ("post", member_edit(member)),
        ("post", f"/customers/CD0001/members/{member.pk}/remove/"),
        ("get", MEMBERS),
        ("get", "/customers/CD0001/timeline/"),
    ]


def test_anonymous_is_sent_to_login(person, member):
    for method, path in routes(person, member):
        response = getattr(Client(), method)(path)
        assert response.status_code == 302, (method, path)
        assert response["Location"].startswith("/login/"), (method, path)


@pytest.mark.parametrize("who", ["carol", "bob", "gd_paul"])
def test_an_outsider_gets_404_on_every_page_and_write(login, cast, person, member, who):
    client = login(cast[who])
    for method, path in routes(person, member):
        response = getattr(client, method)(path, person_data() if method == "post" else None)
        assert response.status_code == 404, (method, path)
    assert KeyPerson.objects.filter(pk=person.pk).exists()
    assert GroupMember.objects.get(pk=member.pk).left_on is None


def test_provincial_staff_keep_the_people_as_the_api_lets_them(login, api, cast, customers):
    # Whoever sees the customer keeps its key persons and members, on the page as through the API (SPEC §8.2).
    page = login(cast["paul"]).get(DETAIL)
    assert page.status_code == 200 and b'data-testid="add-key-person"' in page.content
    assert login(cast["paul"]).post(KEY_PERSON_NEW, person_data()).status_code == 302
    response = api(cast["paul"]).post(
        "/api/v1/customers/CD0001/key-persons/", person_data(mobile="13800003333"), format="json"
    )
    assert response.status_code == 201
    assert KeyPerson.objects.filter(customer__code="CD0001", mobile__in=["13800001111", "13800003333"]).count() == 2


@pytest.mark.parametrize("who", ["alice", "dora", "paul", "hq"])
def test_the_team_its_department_head_provincial_staff_and_headquarters_add_a_key_person(login, cast, customers, who):
    response = login(cast[who]).post(KEY_PERSON_NEW, person_data(next=DETAIL))
    assert response.status_code == 302 and response["Location"] == DETAIL
    assert KeyPerson.objects.get(mobile="13800001111").customer == customers["alice"]


def test_a_colleague_on_the_team_in_another_role_keeps_the_people_too(login, cast, customers):
    TeamRoleFactory(customer=customers["alice"], user=cast["bob"], role="service_manager")
    assert login(cast["bob"]).post(KEY_PERSON_NEW, person_data()).status_code == 302


# -- key persons ------------------------------------------------------------------------------------------------------


def test_a_key_person_added_from_the_page_is_in_the_audit_trail(login, cast, customers):
    login(cast["alice"]).post(KEY_PERSON_NEW, person_data())
    person = KeyPerson.objects.get(mobile="13800001111")
    entry = AuditEntry.objects.get(object_type="accounts.keyperson", object_id=str(person.pk))
    assert (entry.action, entry.username, entry.customer_id) == ("create", "alice", customers["alice"].pk)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (person_data(mobile="12345"), "mobile"),
        (person_data(mobile="139１２３４５６７８"), "mobile"),
        (person_data(name=""), "name"),
    ],
)
def test_a_bad_key_person_gets_the_apis_message_on_its_field(login, api, cast, customers, data, field):
    page = login(cast["alice"]).post(KEY_PERSON_NEW, data)
    assert page.status_code == 200
    shown = field_errors(page, field)
    body = {name: value for name, value in data.items() if value != ""}
    answer = api(cast["alice"]).post("/api/v1/customers/CD0001/key-persons/", body, format="json")
    assert answer.status_code == 400
    assert shown == [str(message) for message in answer.json()[field]]
    assert KeyPerson.objects.filter(customer=customers["alice"]).count() == 1


def test_a_mobile_number_taken_by_another_key_person_is_said_of_the_mobile(login, api, cast, person):
    page = login(cast["alice"]).post(KEY_PERSON_NEW, person_data(mobile=person.mobile))
    assert field_errors(page, "mobile") == ["该客户已有使用此手机号码的关键人。"]
    answer = api(cast["alice"]).post("/api/v1/customers/CD0001/key-persons/", person_data(mobile=person.mobile))
    assert answer.status_code == 400 and answer.json()["mobile"] == field_errors(page, "mobile")


def test_a_key_person_is_edited_with_its_version(login, cast, person):
    client = login(cast["alice"])
    form = client.get(key_person_edit(person)).context["form"]
    version = form["version"].value()
    assert version == versions.version_of(person)
    response = client.post(key_person_edit(person), person_data(name="王新", mobile=person.mobile, version=version))
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.name == "王新"
    entry = AuditEntry.objects.filter(object_type="accounts.keyperson", action="update").get()
    assert entry.changes["name"][1] == "王新"


def test_a_stale_key_person_edit_is_refused_with_who_changed_it(login, cast, person):
    alice, dora = login(cast["alice"]), login(cast["dora"])
    version = alice.get(key_person_edit(person)).context["form"]["version"].value()
    dora.post(key_person_edit(person), person_data(name="部门改的", mobile=person.mobile, version=version))
    response = alice.post(key_person_edit(person), person_data(name="经理改的", mobile=person.mobile, version=version))
    assert response.status_code == 200
    assert "dora" in " ".join(response.context["form"].non_field_errors())
    assert response.context["form"].conflicts
    person.refresh_from_db()
    assert person.name == "部门改的"


def test_a_key_person_is_removed(login, cast, person):
    response = login(cast["alice"]).post(f"/customers/CD0001/key-persons/{person.pk}/delete/")
    assert response.status_code == 302
    assert not KeyPerson.objects.filter(pk=person.pk).exists()
    assert AuditEntry.objects.filter(object_type="accounts.keyperson", action="delete").count() == 1


def test_another_customers_key_person_is_404_under_this_one(login, cast, customers):
    other = KeyPersonFactory(customer=customers["wuhou"])
    assert login(cast["dora"]).get(f"/customers/CD0001/key-persons/{other.pk}/edit/").status_code == 404


# -- the profile's missing line ---------------------------------------------------------------------------------------


def test_the_missing_key_person_links_to_the_form_and_goes_once_added(login, cast, customers):
    customers["alice"].key_persons.update(mobile="")
    client = login(cast["alice"])
    page = client.get(DETAIL)
    link = f'href="{KEY_PERSON_NEW}?next=%2Fcustomers%2FCD0001%2F"'
    assert link.encode() in page.content
    assert client.post(KEY_PERSON_NEW, person_data(next=DETAIL)).status_code == 302
    assert b'data-missing="key_person"' not in client.get(DETAIL).content


def test_the_missing_fields_of_the_customer_link_to_its_edit_form(login, cast, territory):
    customer = CustomerFactory(code="CD0300", uscc=None, address="", region=territory["chengdu"])
    TeamRoleFactory(customer=customer, user=cast["alice"])
    content = login(cast["alice"]).get("/customers/CD0300/").content.decode()
    for field in ("uscc", "address", "region"):
        assert f'href="/customers/CD0300/edit/#id_{field}"' in content


# -- group members ----------------------------------------------------------------------------------------------------


def test_a_member_added_shows_with_the_vip_level_of_their_arpu(login, cast, customers):
    client = login(cast["alice"])
    response = client.post(MEMBER_NEW, member_data(arpu="1600.00"))
    assert response.status_code == 302 and response["Location"] == MEMBERS
    member = GroupMember.objects.get(mobile="13900002222")
    assert member.vip_level == "gold"
    page = client.get(MEMBERS)
    assert "金卡" in page.content.decode() or "Gold" in page.content.decode()
    assert AuditEntry.objects.filter(object_type="accounts.groupmember", action="create").count() == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (member_data(mobile="1390000111"), "mobile"),
        (member_data(arpu="-1"), "arpu"),
        (member_data(name=""), "name"),
    ],
)
def test_a_bad_member_gets_the_apis_message_on_its_field(login, api, cast, customers, data, field):
    page = login(cast["alice"]).post(MEMBER_NEW, data)
    assert page.status_code == 200
    body = {name: value for name, value in data.items() if value != ""}
    answer = api(cast["alice"]).post("/api/v1/customers/CD0001/members/", body, format="json")
    assert answer.status_code == 400 and answer.json()[field]
    assert field_errors(page, field)
    if field == "mobile":  # the model's own rule, word for word (DRF words the number and blank checks itself)
        assert field_errors(page, field) == [str(message) for message in answer.json()[field]]
    assert not GroupMember.objects.exists()


def test_a_members_mobile_is_unique_within_the_customer(login, api, cast, member):
    page = login(cast["alice"]).post(MEMBER_NEW, member_data(mobile=member.mobile))
    answer = api(cast["alice"]).post("/api/v1/customers/CD0001/members/", member_data(mobile=member.mobile))
    assert field_errors(page, "mobile") == answer.json()["mobile"]
    other = GroupMemberFactory(customer=member.customer)
    edit = login(cast["alice"]).post(member_edit(other), member_data(mobile=member.mobile))
    assert field_errors(edit, "mobile") == answer.json()["mobile"]


def test_a_members_vip_level_follows_an_edited_arpu(login, cast, member):
    client = login(cast["alice"])
    version = client.get(member_edit(member)).context["form"]["version"].value()
    data = member_data(name=member.name, mobile=member.mobile, arpu="3200", on_net="on", version=version)
    assert client.post(member_edit(member), data).status_code == 302
    member.refresh_from_db()
    assert (member.vip_level, member.on_net) == ("diamond", True)


def test_a_member_removed_is_marked_as_left_not_deleted(login, cast, member):
    client = login(cast["alice"])
    response = client.post(f"/customers/CD0001/members/{member.pk}/remove/")
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.left_on is not None
    assert f'data-member="{member.pk}"'.encode() not in client.get(MEMBERS).content
    assert client.get(member_edit(member)).status_code == 404
    entry = AuditEntry.objects.get(object_type="accounts.groupmember", action="update")
    assert entry.changes["left_on"][0] is None
    # Adding the number again brings them back, as the API does.
    assert client.post(MEMBER_NEW, member_data(mobile=member.mobile)).status_code == 302
    member.refresh_from_db()
    assert member.left_on is None


def test_members_are_paginated_and_searched_by_mobile_or_name(login, cast, customers):
    customer = customers["alice"]
    GroupMember.objects.bulk_create(
        GroupMember(customer=customer, name=f"成员{n:03d}", mobile=f"1380000{n:04d}") for n in range(120)
    )
    client = login(cast["alice"])
    first = client.get(MEMBERS)
    assert len(first.context["page"].object_list) == 50 and first.context["page"].paginator.num_pages == 3
    last = client.get(MEMBERS, {"page": 3})
    assert [m.name for m in last.context["page"]][-1] == "成员119"
    by_mobile = client.get(MEMBERS, {"q": "138000001"})
    assert sorted(m.mobile for m in by_mobile.context["page"]) == [f"1380000{n:04d}" for n in range(100, 120)]
    by_name = client.get(MEMBERS, {"q": "成员007"})
    assert [m.name for m in by_name.context["page"]] == ["成员007"]
    assert "q=%E6%88%90%E5%91%98" in client.get(MEMBERS, {"q": "成员"}).content.decode()  # the pages keep the search


def test_the_member_list_costs_a_fixed_number_of_queries(login, cast, customers, django_assert_num_queries):
    customer = customers["alice"]
    GroupMember.objects.bulk_create(
        GroupMember(customer=customer, name=f"成员{n}", mobile=f"1380000{n:04d}", arpu=n * 10) for n in range(60)
    )
    client = login(cast["alice"])
    client.get(MEMBERS)  # the session and the user are read once
    # session, the user (with their region and unread notifications), customer, the count, the page, whether alice
    # manages it (the audit of numbers shown, and the right to change: asked once a request)
    with django_assert_num_queries(6):
        assert client.get(MEMBERS).status_code == 200


def test_members_who_left_are_not_listed(login, cast, customers, member):
    GroupMemberFactory(customer=customers["alice"], name="王某已离", left_on="2026-01-01")
    content = login(cast["alice"]).get(MEMBERS).content.decode()
    assert member.name in content and "王某已离" not in content
