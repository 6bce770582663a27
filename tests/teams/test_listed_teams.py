"""Team roles on a national- or provincial-list customer, and on each branch of such a group (issue 21): assigned
and ended as the customer is kept, by the staff at that level; city staff who see such a branch in their territory
are refused (403) on the API, the team page and in the service, outsiders get 404, a city-list customer's team is
theirs as before (the `group` fixture: a national bank, its Sichuan branch on the provincial list in 武侯, a city
branch of it in 涪城, a branch in 广州)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from crm.permissions import may
from teams.models import TeamRole
from teams.services import team_set
from tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db

ROLES = ["customer_manager", "service_manager", "product_manager", "network_manager", "billing_manager"]


def _body(**holders):
    return {role: None for role in [*ROLES, "second_manager"]} | {"assistants": []} | holders


def _put(client, code: str, **holders):
    return client.put(f"/api/v1/customers/{code}/team/", _body(**holders), format="json")


def _holders(customer) -> set[tuple[str, str]]:
    return set(TeamRole.objects.active().filter(customer=customer).values_list("role", "user__username"))


@pytest.fixture
def mianyang_head(territory, cast):
    department = DepartmentFactory(name="绵阳政企客户部", region=territory["mianyang"])
    return UserFactory(username="mia", role="department_head", region=territory["mianyang"], department=department)


@pytest.mark.parametrize("code", ["BANK00", "BANK51"])
def test_a_city_department_head_who_sees_a_listed_customer_cannot_assign_its_team(group, cast, api, login, code):
    dora, customer = cast["dora"], {"BANK00": group["head"], "BANK51": group["sichuan"]}[code]
    before = _holders(customer)
    answer = _put(api(dora), code, customer_manager="alice")
    assert answer.status_code == 403
    assert "national or provincial list" in answer.json()["detail"] or "清单" in answer.json()["detail"]
    assert api(dora).get(f"/api/v1/customers/{code}/team/").status_code == 200  # she still sees it
    page = reverse("teams:team-edit", args=[code])
    assert login(dora).get(page).status_code == 403
    assert login(dora).post(page, {"customer_manager": "alice", "assistants": ""}).status_code == 403
    with pytest.raises(PermissionDenied):
        team_set(by=dora, customer=customer, roles={"customer_manager": None})  # nor end one
    assert _holders(customer) == before
    assert not may(dora, "teams.manage_customer_team", customer)


def test_a_city_list_branch_under_a_listed_group_is_governed_by_the_group(group, api, login, mianyang_head):
    # 涪城's branch is on the city list, but the Sichuan branch above it (and the headquarters) are not
    assert _put(api(mianyang_head), "BANK5107", customer_manager="carol").status_code == 403
    assert login(mianyang_head).get(reverse("teams:team-edit", args=["BANK5107"])).status_code == 403
    assert _holders(group["mianyang"]) == set()


def test_outsiders_get_404_and_anonymous_callers_nothing(group, cast, api, login, client):
    for code in ("BANK51", "BANK5107"):
        assert _put(api(cast["gd_paul"]), code, customer_manager="bob").status_code == 404
        assert login(cast["gd_paul"]).get(reverse("teams:team-edit", args=[code])).status_code == 404
        assert (
            client.put(f"/api/v1/customers/{code}/team/", _body(), content_type="application/json").status_code == 401
        )
        page = client.get(reverse("teams:team-edit", args=[code]))
        assert page.status_code == 302 and "/login" in page["Location"]


def test_staff_at_the_groups_level_assign_and_end_its_branches_roles(group, cast, api, login):
    hq = cast["hq"]
    answer = _put(api(hq), "BANK51", customer_manager="bob", second_manager="hq_am")
    assert answer.status_code == 200, answer.json()
    assert _holders(group["sichuan"]) == {("customer_manager", "bob"), ("second_manager", "hq_am")}
    assert _put(api(hq), "BANK51", customer_manager="bob").status_code == 200  # the second manager's role ends
    assert _holders(group["sichuan"]) == {("customer_manager", "bob")}
    assert login(hq).get(reverse("teams:team-edit", args=["BANK51"])).status_code == 200


def test_the_province_keeps_a_provincial_groups_team_not_a_national_ones(group, cast, api, territory, customers):
    from tests.factories import CustomerFactory

    CustomerFactory(code="PROV01", name="四川省示范集团", region=territory["wuhou"], list_level="provincial")
    assert _put(api(cast["paul"]), "PROV01", customer_manager="bob").status_code == 200
    assert _put(api(cast["paul"]), "BANK51", customer_manager="bob").status_code == 403
    assert _put(api(cast["dora"]), "PROV01", customer_manager="bob").status_code == 403


def test_a_city_list_customers_team_stays_the_department_heads(cast, api, customers):
    assert _put(api(cast["dora"]), "CD0002", customer_manager="bob").status_code == 200


def test_the_customer_page_offers_the_team_link_only_to_who_may_use_it(group, cast, login, customers):
    link = reverse("teams:team-edit", args=["BANK51"])
    assert (
        f'href="{link}"'
        not in login(cast["dora"]).get(reverse("accounts:customer-detail", args=["BANK51"])).content.decode()
    )
    assert (
        f'href="{link}"' in login(cast["hq"]).get(reverse("accounts:customer-detail", args=["BANK51"])).content.decode()
    )
    own = reverse("teams:team-edit", args=["CD0002"])
    assert (
        f'href="{own}"'
        in login(cast["dora"]).get(reverse("accounts:customer-detail", args=["CD0002"])).content.decode()
    )


def test_a_reassignment_by_city_staff_leaves_a_listed_groups_branch_alone(group, cast):
    from django.core.exceptions import ValidationError
    from django.utils import translation

    from teams.services import team_reassign

    bob, alice = cast["bob"], cast["alice"]
    before = _holders(group["sichuan"])
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        team_reassign(by=cast["dora"], leaving=bob, targets=[alice])
    assert "BANK51" in refused.value.messages[0] and "national or provincial list" in refused.value.messages[0]
    assert _holders(group["sichuan"]) == before
    assert TeamRole.objects.active().filter(user=bob).exists()  # all or nothing
    # headquarters hands the branch over with the rest
    assert team_reassign(by=cast["hq"], leaving=bob, targets=[alice]).customers >= 1
    assert ("customer_manager", "alice") in _holders(group["sichuan"])
