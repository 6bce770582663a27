"""Group hierarchies and list levels (issue 21, point 2): a customer's parent, the roll-up of a group's branches, and
who sees and manages a national- or provincial-list group (the `group` fixture: a national bank with branches in
锦江 (its headquarters), 武侯, 涪城 under the Sichuan branch, and 广州)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts import selectors, services
from accounts.models import Customer
from crm.permissions import may
from teams.services import team_set
from tests.factories import CustomerFactory, GroupMemberFactory, TeamRoleFactory, UserFactory

pytestmark = pytest.mark.django_db

BRANCHES = {"BANK51", "BANK5107", "BANK44"}


def codes(user) -> set[str]:
    return set(Customer.objects.visible_to(user).filter(code__startswith="BANK").values_list("code", flat=True))


# -- who sees the group ----------------------------------------------------------------------------------------------


def test_the_headquarters_account_team_sees_every_branch_at_every_level_and_province(group):
    assert codes(group["hq_am"]) == {"BANK00", *BRANCHES}


def test_a_provincial_branch_team_sees_its_own_branches_not_the_rest_of_the_group(group, cast):
    # bob holds a role on the Sichuan branch (provincial list): it and the 绵阳 branch below it
    assert codes(cast["bob"]) == {"BANK51", "BANK5107"}


def test_city_staff_see_the_branches_in_their_territory_only(group, cast):
    assert codes(cast["dora"]) == {"BANK00", "BANK51"}  # 成都: the headquarters and the 武侯 branch
    assert codes(cast["paul"]) == {"BANK00", "BANK51", "BANK5107"}  # 四川
    assert codes(cast["gd_paul"]) == {"BANK44"}  # 广东
    assert codes(cast["carol"]) == set()  # 绵阳's account manager, on none of the group's teams
    assert codes(AnonymousUser()) == set()


def test_a_city_list_group_team_sees_its_headquarters_only(cast, territory, customers):
    head = CustomerFactory(code="LOCAL0", region=territory["jinjiang"], list_level="city")
    CustomerFactory(code="LOCAL1", region=territory["tianhe"], parent=head)
    TeamRoleFactory(customer=head, user=cast["alice"])
    assert set(Customer.objects.visible_to(cast["alice"]).values_list("code", flat=True)) == {"CD0001", "LOCAL0"}


def test_an_ended_role_on_the_headquarters_sees_no_branch(group):
    role = group["hq_am"].team_roles.get()
    role.starts_on, role.ends_on = role.starts_on.replace(year=2020), role.starts_on.replace(year=2021)
    role.save()
    assert codes(group["hq_am"]) == set()


@pytest.mark.parametrize("code", ["BANK00", "BANK51", "BANK5107", "BANK44"])
def test_an_outsider_gets_404_at_every_level_of_the_group(group, cast, login, api, code):
    outsider = cast["carol"] if code != "BANK5107" else cast["gd_paul"]
    assert login(outsider).get(reverse("accounts:customer-detail", args=[code])).status_code == 404
    assert login(outsider).get(reverse("accounts:customer-group", args=[code])).status_code == 404
    assert api(outsider).get(f"/api/v1/customers/{code}/").status_code == 404
    assert api(outsider).patch(f"/api/v1/customers/{code}/", {"name": "x"}, format="json").status_code == 404
    assert login(group["hq_am"]).get(reverse("accounts:customer-detail", args=[code])).status_code == 200


def test_anonymous_callers_see_no_group(group, client):
    page = client.get(reverse("accounts:customer-group", args=["BANK00"]))
    assert page.status_code == 302 and "/login/" in page["Location"]
    assert client.get("/api/v1/customers/BANK00/").status_code == 401


# -- the API's fields ------------------------------------------------------------------------------------------------


def test_the_api_gives_the_parent_code_and_the_branches_seen(group, cast, api):
    head = api(group["hq_am"]).get("/api/v1/customers/BANK00/").json()
    assert head["parent"] is None and head["children_count"] == 2
    branch = api(group["hq_am"]).get("/api/v1/customers/BANK5107/").json()
    assert branch["parent"] == "BANK51" and branch["children_count"] == 0
    # a branch outside what dora sees is in no count of hers (§2): only 武侯's of the two
    assert api(cast["dora"]).get("/api/v1/customers/BANK00/").json()["children_count"] == 1
    listed = api(group["hq_am"]).get("/api/v1/customers/", {"search": "BANK"}).json()["results"]
    assert {row["code"]: row["parent"] for row in listed} == {
        "BANK00": None,
        "BANK51": "BANK00",
        "BANK5107": "BANK51",
        "BANK44": "BANK00",
    }


def test_children_count_is_read_only(group, api):
    answer = api(group["hq_am"]).patch("/api/v1/customers/BANK00/", {"children_count": 5}, format="json")
    assert answer.status_code == 400 and "children_count" in answer.json()


def test_a_branch_is_filed_under_its_group_by_the_headquarters_team(group, cast, api):
    answer = api(group["hq_am"]).patch("/api/v1/customers/BANK44/", {"parent": "BANK51"}, format="json")
    assert answer.status_code == 200, answer.json()
    assert answer.json()["parent"] == "BANK51"
    # out of the group, the branch would be outside what its team sees: refused, nothing written
    answer = api(group["hq_am"]).patch("/api/v1/customers/BANK44/", {"parent": None}, format="json")
    assert answer.status_code == 400 and "parent" in answer.json()
    assert Customer.objects.get(code="BANK44").parent.code == "BANK51"
    answer = api(cast["hq"]).patch("/api/v1/customers/BANK44/", {"parent": None}, format="json")
    assert answer.status_code == 200 and answer.json()["parent"] is None
    assert Customer.objects.get(code="BANK44").parent_id is None


# -- bad input: cycles, territory, the city manager --------------------------------------------------------------------


@pytest.mark.parametrize(("code", "parent"), [("BANK00", "BANK5107"), ("BANK00", "BANK51"), ("BANK51", "BANK51")])
def test_a_parent_that_makes_a_cycle_is_refused_and_nothing_is_written(group, api, code, parent):
    before = Customer.objects.get(code=code).parent_id
    answer = api(group["hq_am"]).patch(f"/api/v1/customers/{code}/", {"parent": parent}, format="json")
    assert answer.status_code == 400
    message = " ".join(answer.json()["parent"])
    assert "循环" in message or "自己的上级" in message
    assert Customer.objects.get(code=code).parent_id == before


def test_a_parent_outside_what_the_user_sees_is_no_customer(group, cast, api, customers):
    # alice (锦江) files her own customer under the 广州 branch she does not see: the same answer as a code unknown
    for parent in ("BANK44", "NOSUCH"):
        answer = api(cast["alice"]).patch("/api/v1/customers/CD0001/", {"parent": parent}, format="json")
        assert answer.status_code == 400
        assert answer.json()["parent"] == [f"上级集团：您可见的客户中没有编码为 {parent} 的客户。"]
    assert Customer.objects.get(code="CD0001").parent_id is None


def test_the_service_refuses_a_parent_outside_the_territory_too(group, cast, customers):
    with pytest.raises(ValidationError) as refused:
        services.customer_update(user=cast["alice"], customer=customers["alice"], data={"parent": group["guangzhou"]})
    assert "parent" in refused.value.message_dict
    assert Customer.objects.get(code="CD0001").parent_id is None


def test_a_city_manager_not_on_its_team_cannot_edit_a_national_groups_branch(group, cast, api, login):
    # dora (成都's head) sees the 武侯 branch in her territory: an insider without the right, 403
    answer = api(cast["dora"]).patch("/api/v1/customers/BANK51/", {"name": "改名"}, format="json")
    assert answer.status_code == 403
    assert "national or provincial list" in answer.json()["detail"] or "清单" in answer.json()["detail"]
    assert login(cast["dora"]).get(reverse("accounts:customer-edit", args=["BANK51"])).status_code == 403
    assert login(cast["dora"]).get(reverse("accounts:customer-edit", args=["BANK00"])).status_code == 403
    assert Customer.objects.get(code="BANK51").name == "中国示范银行四川省分行"
    assert not may(cast["dora"], "accounts.change_customer", group["sichuan"])
    # while a city-list customer of hers stays hers to change
    assert api(cast["dora"]).patch("/api/v1/customers/CD0002/", {"name": "改名"}, format="json").status_code == 200


def test_the_group_teams_and_staff_at_its_level_edit_its_branches(group, cast, api):
    assert (
        api(group["hq_am"]).patch("/api/v1/customers/BANK44/", {"address": "天河路1号"}, format="json").status_code
        == 200
    )
    # bob is on the Sichuan branch's own team
    assert (
        api(cast["bob"]).patch("/api/v1/customers/BANK5107/", {"address": "涪城路2号"}, format="json").status_code
        == 200
    )
    # the province's staff keep a provincial-list group, not a national one
    assert (
        api(cast["paul"]).patch("/api/v1/customers/BANK51/", {"address": "人民南路3号"}, format="json").status_code
        == 403
    )
    assert may(cast["hq"], "accounts.change_customer", group["sichuan"])


def test_provincial_staff_keep_a_provincial_list_group(cast, territory, api):
    head = CustomerFactory(code="PROV00", region=territory["wuhou"], list_level="provincial")
    CustomerFactory(code="PROV01", region=territory["fucheng"], parent=head)
    assert api(cast["paul"]).patch("/api/v1/customers/PROV01/", {"address": "新地址"}, format="json").status_code == 200
    assert api(cast["carol"]).get("/api/v1/customers/PROV01/").status_code == 404
    TeamRoleFactory(customer=Customer.objects.get(code="PROV01"), user=cast["carol"])
    # carol on the branch's own team: she manages it
    assert api(cast["carol"]).patch("/api/v1/customers/PROV01/", {"address": "再改"}, format="json").status_code == 200


def test_a_city_manager_cannot_add_a_branch_to_a_national_group(group, cast, api, customers):
    answer = api(cast["dora"]).patch("/api/v1/customers/CD0002/", {"parent": "BANK00"}, format="json")
    assert answer.status_code == 400 and "parent" in answer.json()
    assert Customer.objects.get(code="CD0002").parent_id is None


def test_a_city_manager_cannot_place_a_customer_on_a_higher_list(cast, api, customers):
    answer = api(cast["dora"]).patch("/api/v1/customers/CD0002/", {"list_level": "national"}, format="json")
    assert answer.status_code == 400 and "list_level" in answer.json()
    assert Customer.objects.get(code="CD0002").list_level == "city"


def _form_data(client, code: str) -> dict:
    """What the edit page's form holds for the customer, as it would post it back."""
    form = client.get(reverse("accounts:customer-edit", args=[code])).context["form"]
    data = {name: form[name].value() for name in form.fields}
    return {name: "" if value is None else value for name, value in data.items()}


def test_the_edit_page_takes_a_parent_by_code(group, login):
    client = login(group["hq_am"])
    page = client.get(reverse("accounts:customer-edit", args=["BANK5107"]))
    assert page.status_code == 200 and 'value="BANK51"' in page.content.decode()
    answer = client.post(
        reverse("accounts:customer-edit", args=["BANK5107"]), {**_form_data(client, "BANK5107"), "parent": "BANK00"}
    )
    assert answer.status_code == 302
    assert Customer.objects.get(code="BANK5107").parent.code == "BANK00"
    # the Sichuan branch under its own 绵阳 branch: a cycle, shown on the field
    Customer.objects.filter(code="BANK5107").update(parent=group["sichuan"])
    data = {**_form_data(client, "BANK51"), "parent": "BANK5107"}
    answer = client.post(reverse("accounts:customer-edit", args=["BANK51"]), data)
    assert answer.status_code == 200 and "parent" in answer.context["form"].errors
    assert Customer.objects.get(code="BANK51").parent.code == "BANK00"


# -- the team at headquarters --------------------------------------------------------------------------------------


def test_headquarters_staff_hold_roles_on_a_national_list_customer_only(group, territory, cast):
    hq_staff = UserFactory(username="hq_second", region=territory["root"])
    team_set(by=cast["hq"], customer=group["head"], roles={"second_manager": hq_staff})
    assert group["head"].team_roles.filter(user=hq_staff).exists()
    with pytest.raises(ValidationError):
        team_set(by=cast["hq"], customer=Customer.objects.get(code="CD0002"), roles={"second_manager": hq_staff})


# -- the group page's roll-up ------------------------------------------------------------------------------------------


def test_the_group_page_rolls_up_the_branches_across_regions(group, login):
    GroupMemberFactory(customer=group["guangzhou"], on_net=True)
    GroupMemberFactory(customer=group["mianyang"])
    Customer.objects.filter(code="BANK44").update(handset_count=1000, monthly_spend=Decimal("70000.00"), tier="A")
    Customer.objects.filter(code__in=["BANK00", "BANK51"]).update(tier="B")
    page = login(group["hq_am"]).get(reverse("accounts:customer-group", args=["BANK00"]))
    assert page.status_code == 200
    rollup = page.context["group"]
    assert rollup.customers == 4 and {b.code for b in rollup.branches} == BRANCHES
    assert rollup.handsets == 3 * 120 + 1000
    assert rollup.monthly_spend == Decimal("85000.00")
    assert rollup.members == {"total": 2, "on_net": 1, "verified": 0}
    assert {area.code: area.branches for area in rollup.areas} == {"510100": 1, "510700": 1, "440100": 1}
    assert rollup.tiers == {"A+": 0, "A": 1, "B": 2, "C": 0}
    assert {row.product.code for row in page.context["group_coverage"]}
    html = page.content.decode()
    assert 'data-branch="BANK44"' in html and 'data-testid="group-customers">4<' in html


def test_the_group_page_adds_up_only_what_the_reader_sees(group, cast, login):
    page = login(cast["dora"]).get(reverse("accounts:customer-group", args=["BANK00"]))
    assert page.status_code == 200
    assert {b.code for b in page.context["group"].branches} == {"BANK51"}
    assert "BANK44" not in page.content.decode()


def test_the_group_page_counts_the_members_of_the_branches_the_reader_sees_only(group, cast, login):
    """The members of a branch outside what the reader sees (§2) are in no count of the roll-up: the walk's ids drive
    the count, the visibility rule filters them."""
    GroupMemberFactory(customer=group["head"], on_net=True)
    GroupMemberFactory(customer=group["sichuan"])
    GroupMemberFactory(customer=group["guangzhou"], on_net=True, verified=True)
    GroupMemberFactory(customer=group["guangzhou"])
    dora = login(cast["dora"]).get(reverse("accounts:customer-group", args=["BANK00"]))
    assert dora.context["group"].members == {"total": 2, "on_net": 1, "verified": 0}
    whole = login(group["hq_am"]).get(reverse("accounts:customer-group", args=["BANK00"]))
    assert whole.context["group"].members == {"total": 4, "on_net": 2, "verified": 1}


def test_the_headquarters_page_shows_the_group_and_a_branch_links_up(group, cast, login):
    head = login(group["hq_am"]).get(reverse("accounts:customer-detail", args=["BANK00"])).content.decode()
    assert 'data-testid="group-rollup"' in head and reverse("accounts:customer-group", args=["BANK00"]) in head
    branch = login(group["hq_am"]).get(reverse("accounts:customer-detail", args=["BANK44"])).content.decode()
    assert reverse("accounts:customer-detail", args=["BANK00"]) in branch
    # gd_paul sees the 广州 branch but not its headquarters: no customer of his, neither named nor linked (§2)
    branch = login(cast["gd_paul"]).get(reverse("accounts:customer-detail", args=["BANK44"])).content.decode()
    assert "BANK00" not in branch and reverse("accounts:customer-detail", args=["BANK00"]) not in branch


def test_the_group_rollup_costs_a_few_queries(group, django_assert_max_num_queries):
    for n in range(20):
        CustomerFactory(code=f"BANKX{n:02d}", region=group["guangzhou"].region, parent=group["guangzhou"])
    with django_assert_max_num_queries(4):
        rollup = selectors.group_rollup(user=group["hq_am"], customer=group["head"])
    assert len(rollup.branches) == 23


def test_a_cycle_made_behind_the_services_back_does_not_loop(group):
    Customer.objects.filter(code="BANK00").update(parent=group["mianyang"])
    assert codes(group["hq_am"]) == {"BANK00", *BRANCHES}
    assert len(selectors.group_rollup(user=group["hq_am"], customer=group["head"]).branches) == 3


def test_the_service_checks_the_right_before_anything(group, cast):
    with pytest.raises(PermissionDenied):
        services.customer_update(user=cast["dora"], customer=group["sichuan"], data={"name": "x"})
