"""Key persons and group members under `/api/v1/customers/{code}/`."""

import pytest
from rest_framework.test import APIClient

from accounts.models import GroupMember, KeyPerson

pytestmark = pytest.mark.django_db


def url(code, kind):
    return f"/api/v1/customers/{code}/{kind}/"


@pytest.mark.parametrize("kind", ["key-persons", "members"])
def test_anonymous_gets_401(customers, kind):
    assert APIClient().get(url("CD0001", kind)).status_code == 401


@pytest.mark.parametrize("kind", ["key-persons", "members"])
def test_outsider_gets_404_for_list_and_create(api, cast, customers, kind):
    client = api(cast["bob"])
    assert client.get(url("CD0001", kind)).status_code == 404
    assert client.post(url("CD0001", kind), {"name": "张三", "mobile": "13900001111"}, format="json").status_code == 404


@pytest.mark.parametrize("kind", ["key-persons", "members"])
def test_outsider_gets_404_even_for_an_invalid_body(api, cast, customers, kind):
    assert api(cast["bob"]).post(url("CD0001", kind), {"mobile": "bad"}, format="json").status_code == 404


def test_owner_lists_and_adds_key_persons(api, cast, customers):
    client = api(cast["alice"])
    response = client.post(
        url("CD0001", "key-persons"), {"name": "李四", "title": "信息中心主任", "mobile": "13900001111"}, format="json"
    )
    assert response.status_code == 201, response.content
    names = [row["name"] for row in client.get(url("CD0001", "key-persons")).json()["results"]]
    assert "李四" in names and len(names) == 2


def test_member_vip_level_is_computed_and_read_only(api, cast, customers):
    client = api(cast["alice"])
    response = client.post(
        url("CD0001", "members"),
        {"name": "王五", "mobile": "13900002222", "on_net": True, "verified": True, "arpu": "1600.00"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["vip_level"] == "gold"
    rejected = client.post(
        url("CD0001", "members"), {"name": "赵六", "mobile": "13900003333", "vip_level": "diamond"}, format="json"
    )
    assert rejected.status_code == 400 and "vip_level" in rejected.json()


@pytest.mark.parametrize(
    ("kind", "payload", "field"),
    [
        ("key-persons", {"name": "张三", "mobile": "12345"}, "mobile"),
        ("key-persons", {"mobile": "13900001111"}, "name"),
        ("members", {"name": "张三", "mobile": "1390000111"}, "mobile"),
        ("members", {"name": "张三", "mobile": "13900001111", "arpu": "-1"}, "arpu"),
        ("members", {"name": "张三", "mobile": "139１２３４５６７８"}, "mobile"),
    ],
)
def test_bad_people_are_field_errors_and_nothing_is_saved(api, cast, customers, kind, payload, field):
    before = KeyPerson.objects.count() + GroupMember.objects.count()
    response = api(cast["alice"]).post(url("CD0001", kind), payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert KeyPerson.objects.count() + GroupMember.objects.count() == before


def test_duplicate_member_mobile_in_one_customer_is_rejected(api, cast, customers):
    client = api(cast["alice"])
    payload = {"name": "王五", "mobile": "13900002222"}
    assert client.post(url("CD0001", "members"), payload, format="json").status_code == 201
    response = client.post(url("CD0001", "members"), payload, format="json")
    assert response.status_code == 400
    assert "mobile" in response.json()
    assert GroupMember.objects.filter(mobile="13900002222").count() == 1
