"""The prospects list (`GET /api/v1/prospects/`, issue 21): its query count does not grow with its rows; the
duplicate check (`possible_duplicates`, up to four trigram or USCC queries a prospect) runs on a single prospect
only, and the list gives the field empty."""

from __future__ import annotations

import pytest

from prospects import services
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# The token's user and its expiry's update, the page's count, the page: whatever the number of rows.
LIST_QUERIES = 5


@pytest.fixture
def gina(territory):
    return UserFactory(username="gina", role="grid_manager", region=territory["grid"])


def file(user, n: int, name: str = "成都春熙咖啡有限公司", address: str = "春熙路9号"):
    return services.prospect_file(
        user=user, data={"name": f"{name}{n}" if n else name, "address": address, "region": user.region}
    )


def test_the_list_reads_a_page_in_a_fixed_number_of_queries(api, customers, gina, django_assert_num_queries):
    client = api(gina)
    file(gina, 0, name="成都锦程科技有限责任公司", address="成都市锦江区红星路1号")  # CD0001 at the same address
    client.get("/api/v1/prospects/")
    with django_assert_num_queries(LIST_QUERIES):
        one = client.get("/api/v1/prospects/")
    for n in range(1, 8):
        file(gina, n)
    with django_assert_num_queries(LIST_QUERIES):
        many = client.get("/api/v1/prospects/?page_size=500")
    assert one.status_code == many.status_code == 200
    rows = many.json()["results"]
    assert len(rows) == 8
    assert all(row["possible_duplicates"] == [] for row in rows)  # the field is there, empty


def test_a_single_prospect_still_carries_its_possible_duplicates(api, customers, gina):
    client = api(gina)
    prospect = file(gina, 0, name="成都锦程科技有限责任公司", address="成都市锦江区红星路1号")
    body = client.get(f"/api/v1/prospects/{prospect.pk}/").json()
    assert [d["code"] for d in body["possible_duplicates"]] == ["CD0001"]
    listed = client.get("/api/v1/prospects/").json()["results"]
    assert [row["possible_duplicates"] for row in listed] == [[]]


def test_the_list_is_for_signed_in_staff_only(client, api, customers, gina, cast):
    file(gina, 0)
    assert client.get("/api/v1/prospects/").status_code in (401, 403)
    assert api(cast["carol"]).get("/api/v1/prospects/").json()["results"] == []  # 绵阳's account manager
