"""The staff pickers (issue 18, "staff by name"): the search behind them (`teams:staff-search`), which lists only the
staff of the caller's territory, and the staff fields, which take a username or "姓名 (username)"."""

from __future__ import annotations

import pytest
from django.utils import translation

from crm.models import User
from teams.forms import ReassignForm, TeamForm
from teams.models import TeamRole
from teams.rules import staff_username, staff_usernames
from tests.factories import UserFactory

URL = "/teams/staff/"


@pytest.fixture
def named(cast, territory):
    """The cast with Chinese names, and a namesake of alice in Guangdong (outside every Sichuan territory)."""
    names = {"alice": ("张", "爱丽"), "bob": ("王", "波"), "carol": ("李", "可儿"), "dora": ("赵", "多拉")}
    for username, (last, first) in names.items():
        User.objects.filter(username=username).update(last_name=last, first_name=first)
    UserFactory(username="gd_alice", last_name="张", first_name="爱丽", region=territory["tianhe"])
    return {name: User.objects.get(pk=user.pk) for name, user in cast.items()}


def usernames(response) -> list[str]:
    return [person["username"] for person in response.json()["results"]]


# -- the pure rules: what was typed -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "username"),
    [("alice", "alice"), (" 张爱丽 (alice) ", "alice"), ("张爱丽（alice）", "alice"), ("Ann Lee (alee)", "alee")],
)
def test_one_person_is_named_by_username_or_as_the_picker_shows_them(typed, username):
    assert staff_username(typed) == username


def test_several_people_are_split_on_separators_and_named_each_once():
    assert staff_usernames("张爱丽 (alice), bob；王波（bob）\ncarol、dora") == ["alice", "bob", "carol", "dora"]


# -- the search ---------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_search_finds_staff_by_their_name(login, named):
    client = login(named["dora"])
    for query in ("爱丽", "张爱", "张爱丽", "张 爱丽"):
        assert usernames(client.get(URL, {"q": query})) == ["alice"], query
    (alice,) = client.get(URL, {"q": "爱丽"}).json()["results"]
    assert alice == {
        "username": "alice",
        "name": "张爱丽",
        "label": "张爱丽 (alice)",
        "role": "客户经理",
        "region": "锦江区",
    }


@pytest.mark.django_db
def test_the_search_finds_staff_by_their_username_and_as_the_picker_shows_them(login, named):
    client = login(named["dora"])
    assert usernames(client.get(URL, {"q": "BO"})) == ["bob"]
    assert usernames(client.get(URL, {"q": "王波 (bob)"})) == ["bob"]


@pytest.mark.django_db
def test_the_search_lists_only_the_staff_of_the_callers_territory(login, named):
    # dora heads 成都's department: its members; carol works in 绵阳
    assert usernames(login(named["dora"]).get(URL, {"q": ""})) == ["alice", "bob", "dora"]
    assert usernames(login(named["dora"]).get(URL, {"q": "carol"})) == []
    assert usernames(login(named["dora"]).get(URL, {"q": "可儿"})) == []
    # provincial staff of 四川: the whole province, carol included
    assert usernames(login(named["paul"]).get(URL, {"q": "可儿"})) == ["carol"]


@pytest.mark.django_db
def test_staff_of_another_province_never_appear_even_by_the_same_name(login, named):
    assert usernames(login(named["paul"]).get(URL, {"q": "张爱丽"})) == ["alice"]
    assert usernames(login(named["gd_paul"]).get(URL, {"q": "张爱丽"})) == ["gd_alice"]
    found = usernames(login(named["gd_paul"]).get(URL, {"q": ""}))
    assert not {"alice", "bob", "carol", "dora", "paul"} & set(found)


@pytest.mark.django_db
def test_inactive_staff_and_headquarters_are_not_offered(login, named, territory):
    UserFactory(username="bobby", region=territory["wuhou"], department=named["bob"].department, is_active=False)
    assert usernames(login(named["dora"]).get(URL, {"q": "bob"})) == ["bob"]
    assert "hq" not in usernames(login(named["hq"]).get(URL, {"q": "hq"}))


@pytest.mark.django_db
def test_the_best_match_comes_first_and_at_most_twenty_are_listed(login, named, territory):
    department = named["bob"].department
    UserFactory(username="abob", region=territory["wuhou"], department=department, last_name="钱")
    UserFactory(username="bobby", region=territory["wuhou"], department=department, last_name="孙")
    assert usernames(login(named["dora"]).get(URL, {"q": "bob"})) == ["bob", "bobby", "abob"]
    UserFactory.create_batch(25, region=territory["jinjiang"], department=department, last_name="周")
    answer = login(named["dora"]).get(URL, {"q": "周"}).json()
    assert len(answer["results"]) == 20 and answer["more"] is True
    assert login(named["dora"]).get(URL, {"q": "bob"}).json()["more"] is False


@pytest.mark.django_db
def test_the_search_is_one_query_whatever_it_finds(login, named, django_assert_num_queries):
    client = login(named["paul"])
    client.get(URL, {"q": "a"})  # the session is read once warm
    # the session, the user with their home region (their territory), the territory's regions, the staff
    with django_assert_num_queries(4):
        response = client.get(URL, {"q": "a"})
    assert len(response.json()["results"]) >= 3


@pytest.mark.django_db
def test_signed_out_callers_are_sent_to_sign_in(client, named):
    response = client.get(URL, {"q": "张"})
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.django_db
def test_the_answer_is_never_kept_by_a_shared_cache(login, named):
    response = login(named["dora"]).get(URL, {"q": "张"})
    assert "no-store" in response["Cache-Control"] and response["Content-Type"] == "application/json"


# -- the fields ---------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_team_form_takes_people_as_the_picker_shows_them(named):
    form = TeamForm(
        {"customer_manager": "张爱丽 (alice)", "service_manager": "王波（bob）", "assistants": "张爱丽 (alice), dora"}
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["customer_manager"] == named["alice"]
    assert form.cleaned_data["service_manager"] == named["bob"]
    assert form.cleaned_data["assistants"] == [named["alice"], named["dora"]]


@pytest.mark.django_db
def test_an_unknown_person_is_refused_naming_the_field_in_chinese(named):
    with translation.override("zh-hans"):
        form = TeamForm({"service_manager": "某某 (nobody)", "assistants": "bob ghost"})
        assert not form.is_valid()
        assert form.errors["service_manager"] == ["服务经理：没有用户名为 nobody 的在职员工。"]
        assert form.errors["assistants"] == ["助销人员：没有用户名为 ghost 的在职员工。"]


@pytest.mark.django_db
def test_the_staff_inputs_are_marked_for_the_picker(named):
    html = str(TeamForm()["service_manager"]) + str(ReassignForm(user=named["dora"])["targets"])
    assert 'data-staff-picker="one"' in html and 'data-staff-picker="many"' in html
    assert f'data-staff-url="{URL}"' in html


@pytest.mark.django_db
def test_the_pages_with_staff_inputs_send_the_picker_and_no_list_of_every_member_of_staff(login, named, tiered):
    """A province has thousands of staff: the pages once listed them all (cut at 2 000) for browsers without script,
    most of each page's time. The picker asks for the few that match as one types."""
    client = login(named["dora"])
    for url in ("/customers/CD0001/team/", "/teams/reassign/"):
        html = client.get(url).content.decode()
        assert "data-staff-picker=" in html and "js/staff-picker.js" in html, url
        assert "<datalist" not in html or 'id="staff-pool"' not in html, url
        assert 'list="staff-pool"' not in html, url


@pytest.mark.django_db
def test_a_team_is_saved_from_names_typed_as_the_picker_shows_them(login, named, tiered):
    response = login(named["dora"]).post(
        "/customers/CD0001/team/", {"customer_manager": "张爱丽 (alice)", "service_manager": "王波 (bob)"}
    )
    assert response.status_code == 302
    holder = TeamRole.objects.active().get(customer=tiered["alice"], role="service_manager").user
    assert holder == named["bob"]


@pytest.mark.django_db
def test_the_team_page_says_which_field_names_nobody(login, named, tiered):
    response = login(named["dora"]).post(
        "/customers/CD0001/team/", {"customer_manager": "alice", "service_manager": "nobody"}
    )
    assert response.status_code == 400
    assert "服务经理：没有用户名为 nobody 的在职员工。" in response.content.decode()
    assert not TeamRole.objects.active().filter(customer=tiered["alice"], role="service_manager").exists()
