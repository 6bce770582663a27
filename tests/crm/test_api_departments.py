"""`GET /api/v1/departments/` (SPEC §8.2, issue 18 point 10): the departments of the caller's territory, so that a
script can find the id other endpoints take as `department`."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from crm.models import Department
from tests.factories import DepartmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def departments(cast, territory) -> dict[str, Department]:
    """The fixtures' 成都 and 绵阳 departments, a county department under 成都 without a head, and one in 广东."""
    return {
        "chengdu": cast["dora"].department,
        "mianyang": cast["carol"].department,
        "wuhou": DepartmentFactory(name="武侯区政企客户部", region=territory["wuhou"], head=None),
        "guangzhou": DepartmentFactory(name="广州市政企客户部", region=territory["guangzhou"], head=None),
    }


def names(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["name"] for row in response.json()["results"]}


def test_a_department_has_exactly_its_id_name_region_code_and_head_username(api, cast, departments):
    chengdu = departments["chengdu"]
    body = api(cast["dora"]).get(f"/api/v1/departments/{chengdu.pk}/").json()
    assert body == {"id": chengdu.pk, "name": "成都市政企客户部", "region": "510100", "head": "dora"}


def test_a_department_without_a_head_has_head_null(api, cast, departments):
    wuhou = departments["wuhou"]
    body = api(cast["dora"]).get(f"/api/v1/departments/{wuhou.pk}/").json()
    assert body == {"id": wuhou.pk, "name": "武侯区政企客户部", "region": "510107", "head": None}


def test_the_list_is_paginated_like_every_list(api, cast, departments):
    body = api(cast["hq"]).get("/api/v1/departments/", {"page_size": 2}).json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 4 and len(body["results"]) == 2 and "page=2" in body["next"]


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ("hq", {"成都市政企客户部", "武侯区政企客户部", "绵阳市政企客户部", "广州市政企客户部"}),
        ("paul", {"成都市政企客户部", "武侯区政企客户部", "绵阳市政企客户部"}),
        ("gd_paul", {"广州市政企客户部"}),
        ("dora", {"成都市政企客户部", "武侯区政企客户部"}),
        # An account manager sees the department they belong to (and any in their home region's subtree).
        ("alice", {"成都市政企客户部"}),
        ("carol", {"绵阳市政企客户部"}),
    ],
)
def test_each_caller_sees_the_departments_of_their_territory(api, cast, departments, user, expected):
    assert names(api(cast[user]).get("/api/v1/departments/")) == expected


def test_a_department_outside_the_territory_does_not_exist_for_the_caller(api, cast, departments):
    assert api(cast["carol"]).get(f"/api/v1/departments/{departments['chengdu'].pk}/").status_code == 404
    assert api(cast["paul"]).get(f"/api/v1/departments/{departments['guangzhou'].pk}/").status_code == 404


def test_the_region_filter_takes_a_code_and_its_whole_subtree(api, cast, departments):
    client = api(cast["hq"])
    assert names(client.get("/api/v1/departments/", {"region": "510100"})) == {"成都市政企客户部", "武侯区政企客户部"}
    assert names(client.get("/api/v1/departments/", {"region": "510107"})) == {"武侯区政企客户部"}
    assert names(client.get("/api/v1/departments/", {"region": "510000"})) == {
        "成都市政企客户部",
        "武侯区政企客户部",
        "绵阳市政企客户部",
    }


def test_the_region_filter_only_narrows_what_the_caller_sees(api, cast, departments):
    assert names(api(cast["carol"]).get("/api/v1/departments/", {"region": "510100"})) == set()


def test_an_unknown_region_is_a_field_error(api, cast, departments):
    response = api(cast["hq"]).get("/api/v1/departments/", {"region": "999999"})
    assert response.status_code == 400
    assert "region" in response.json()


def test_anonymous_callers_are_refused(departments):
    assert APIClient().get("/api/v1/departments/").status_code == 401
    assert APIClient().get(f"/api/v1/departments/{departments['chengdu'].pk}/").status_code == 401


def test_the_list_is_read_only(api, cast, departments):
    client = api(cast["hq"])
    assert client.post("/api/v1/departments/", {"name": "新部门", "region": "510100"}, format="json").status_code == 405
    detail = f"/api/v1/departments/{departments['chengdu'].pk}/"
    assert client.patch(detail, {"name": "改名"}, format="json").status_code == 405
    assert client.delete(detail).status_code == 405


def test_the_list_takes_the_same_queries_however_many_departments(
    api, cast, departments, territory, django_assert_num_queries
):
    client = api(cast["hq"])
    client.get("/api/v1/departments/")  # warm up: content types, the token's user
    for number in range(5):
        DepartmentFactory(name=f"部门{number}", region=territory["fucheng"], head=cast["dora"])
    # the token with its user, the count, the page with the heads
    with django_assert_num_queries(3):
        assert client.get("/api/v1/departments/").json()["count"] == 9


def test_the_schema_describes_the_departments(staff_client):
    schema = staff_client.get("/api/schema/", {"format": "json"}).json()
    assert {"/api/v1/departments/", "/api/v1/departments/{id}/"} <= set(schema["paths"])
    department = schema["components"]["schemas"]["Department"]
    assert set(department["properties"]) == {"id", "name", "region", "head"}
    assert department["properties"]["head"]["nullable"] is True
