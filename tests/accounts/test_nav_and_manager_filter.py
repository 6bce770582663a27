"""The customer list as those who read a territory reach and filter it (issue 18, points 6 and 10): the top bar
names it for what it lists (集团客户 for a head, provincial staff and headquarters; 我的客户 stays for an account
manager), and its manager filter is the staff picker — a name or a username, by name — while `?manager=username`
keeps working for links, scripts and the API."""

from __future__ import annotations

import re

import pytest

from crm.models import User

pytestmark = pytest.mark.django_db

LIST = "/customers/"


def _nav_label(html: str) -> str:
    found = re.search(r'<a class="nav-link[^"]*" href="/customers/">([^<]*)</a>', html)
    assert found, "the top bar links the customer list"
    return found.group(1).strip()


def _crumb(html: str) -> str:
    found = re.search(r'<li class="breadcrumb-item"><a href="/customers/">([^<]*)</a>', html)
    assert found
    return found.group(1).strip()


@pytest.mark.parametrize(
    ("who", "label"), [("alice", "我的客户"), ("dora", "集团客户"), ("paul", "集团客户"), ("hq", "集团客户")]
)
def test_the_top_bar_names_the_list_for_what_it_lists(login, cast, customers, who, label):
    client = login(cast[who])
    assert _nav_label(client.get(LIST).content.decode()) == label
    customer = "CD0001"
    for page in ("", "history/", "timeline/", "members/"):
        response = client.get(f"/customers/{customer}/{page}")
        if response.status_code == 200:
            assert _crumb(response.content.decode()) == label, page


def test_the_top_bar_in_english(login, cast, customers):
    client = login(cast["dora"])
    client.cookies["django_language"] = "en"
    assert _nav_label(client.get(LIST, HTTP_ACCEPT_LANGUAGE="en").content.decode()) == "Customers"


@pytest.fixture
def named(cast):
    User.objects.filter(username="alice").update(last_name="张", first_name="爱丽")
    User.objects.filter(username="bob").update(last_name="王", first_name="波")
    return cast


def _codes(response) -> set[str]:
    return {customer.code for customer in response.context["page"].object_list}


@pytest.mark.parametrize("value", ["alice", "张爱丽 (alice)", "张爱丽", " alice "])
def test_the_manager_filter_takes_a_username_or_a_person_as_the_picker_shows_one(login, named, customers, value):
    response = login(named["dora"]).get(LIST, {"manager": value})
    assert response.status_code == 200
    assert _codes(response) == {"CD0001"}


def test_an_unknown_manager_lists_nobody(login, named, customers):
    assert _codes(login(named["dora"]).get(LIST, {"manager": "nobody"})) == set()


def test_the_manager_field_is_the_staff_picker_of_the_territory(login, named, customers):
    html = login(named["dora"]).get(LIST, {"manager": "alice"}).content.decode()
    field = re.search(r'<input[^>]*name="manager"[^>]*>', html).group(0)
    assert 'data-staff-picker="one"' in field
    assert 'data-staff-url="/teams/staff/"' in field
    assert 'value="alice"' in field  # the link's manager stays in the field; the picker shows the name
    assert 'placeholder="姓名或用户名"' in field
    assert "客户经理（用户名）" not in html
    assert "js/staff-picker" in html


def test_scripts_still_filter_by_username(api, named, customers):
    body = api(named["dora"]).get("/api/v1/customers/", {"manager": "alice"}).json()
    rows = body["results"] if isinstance(body, dict) else body
    assert [row["code"] for row in rows] == ["CD0001"]
