"""Bulk reassignment of part of a leaving manager's customers (issue 18, "staff by name"): chosen customers, a grid or a
tier, previewed and applied from the one definition of the scope (`selectors.reassign_roles`)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation

from accounts.models import Customer
from crm.models import AuditEntry
from teams import selectors, services
from teams.models import TeamRole
from teams.selectors import ReassignScope
from tests.factories import CustomerFactory, TeamRoleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def portfolio(cast, territory, customers):
    """alice's customers by code: CD0001 (春熙路网格, B), CD0101 and CD0102 (锦江区, A), CD0103 (武侯区, C) as
    customer manager, and bob's CD0002 (武侯区, C) as service manager."""
    Customer.objects.filter(pk=customers["alice"].pk).update(tier="B")
    Customer.objects.filter(pk=customers["wuhou"].pk).update(tier="C")
    for code, region, tier in (("CD0101", "jinjiang", "A"), ("CD0102", "jinjiang", "A"), ("CD0103", "wuhou", "C")):
        TeamRoleFactory(customer=CustomerFactory(code=code, region=territory[region], tier=tier), user=cast["alice"])
    TeamRoleFactory(customer=customers["wuhou"], user=cast["alice"], role="service_manager")
    return cast["alice"]


def planned(plan) -> list[str]:
    return sorted(Customer.objects.filter(pk__in=plan.customers).values_list("code", flat=True))


def still_held(user) -> list[str]:
    return sorted(TeamRole.objects.active().filter(user=user).values_list("customer__code", flat=True))


def preview(cast, scope: ReassignScope) -> list[str]:
    services.team_reassign_check(by=cast["dora"], leaving=cast["alice"], targets=[cast["bob"]], scope=scope)
    return planned(selectors.reassign_plan(by=cast["dora"], leaving=cast["alice"], targets=[cast["bob"]], scope=scope))


def apply(cast, scope: ReassignScope):
    return services.team_reassign(by=cast["dora"], leaving=cast["alice"], targets=[cast["bob"]], scope=scope)


def test_the_whole_portfolio_without_a_scope(cast, portfolio):
    assert preview(cast, ReassignScope()) == ["CD0001", "CD0002", "CD0101", "CD0102", "CD0103"]


def test_chosen_customers_are_previewed_then_handed_over_and_nothing_else(cast, portfolio):
    scope = ReassignScope(codes=("CD0101", "CD0103"))
    assert preview(cast, scope) == ["CD0101", "CD0103"]
    result = apply(cast, scope)
    assert (result.customers, result.roles) == (2, 2)
    assert still_held(cast["alice"]) == ["CD0001", "CD0002", "CD0102"]
    assert sorted(
        TeamRole.objects.active()
        .filter(user=cast["bob"], role="customer_manager")
        .values_list("customer__code", flat=True)
    ) == ["CD0002", "CD0101", "CD0103"]
    # audited as a whole reassignment is: one entry per customer handed over
    entries = AuditEntry.objects.filter(object_type="teams.team", detail__reassigned_from="alice")
    assert entries.count() == 2


def test_codes_outside_the_leaving_managers_customers_are_refused_by_name(cast, portfolio):
    # MY0001 is carol's (and outside dora's territory), GZ0001 in Guangdong, NOPE nobody's
    scope = ReassignScope(codes=("CD0101", "MY0001", "GZ0001", "NOPE"))
    for attempt in (preview, apply):
        with pytest.raises(ValidationError) as error:
            attempt(cast, scope)
        assert error.value.message_dict["customers"] == ["Not customers of alice: MY0001、GZ0001、NOPE."]
    assert still_held(cast["alice"]) == ["CD0001", "CD0002", "CD0101", "CD0102", "CD0103"]


def test_a_grid_hands_over_only_its_customers(cast, territory, portfolio):
    scope = ReassignScope(region=territory["grid"])
    assert preview(cast, scope) == ["CD0001"]
    assert apply(cast, scope).customers == 1
    assert still_held(cast["alice"]) == ["CD0002", "CD0101", "CD0102", "CD0103"]


def test_a_county_hands_over_its_whole_area_grids_included(cast, territory, portfolio):
    assert preview(cast, ReassignScope(region=territory["jinjiang"])) == ["CD0001", "CD0101", "CD0102"]


def test_a_region_outside_the_territory_is_refused(cast, territory, portfolio):
    with pytest.raises(ValidationError) as error:
        apply(cast, ReassignScope(region=territory["fucheng"]))
    assert "outside your territory" in error.value.message_dict["region"][0]
    assert len(still_held(cast["alice"])) == 5


def test_a_tier_hands_over_only_its_customers(cast, portfolio):
    scope = ReassignScope(tier="A")
    assert preview(cast, scope) == ["CD0101", "CD0102"]
    assert apply(cast, scope).customers == 2
    assert still_held(cast["alice"]) == ["CD0001", "CD0002", "CD0103"]


def test_every_part_of_a_scope_must_match(cast, territory, portfolio):
    assert preview(cast, ReassignScope(region=territory["wuhou"], tier="C")) == ["CD0002", "CD0103"]
    assert preview(cast, ReassignScope(codes=("CD0001", "CD0101"), tier="A")) == ["CD0101"]
    empty = ReassignScope(region=territory["grid"], tier="A")
    assert preview(cast, empty) == []
    with pytest.raises(ValidationError) as error:
        apply(cast, empty)
    assert error.value.code == "empty_scope" and "matches what you chose" in error.value.messages[0]
    assert len(still_held(cast["alice"])) == 5


# -- the page -----------------------------------------------------------------------------------------------------


@pytest.fixture
def page(login, cast):
    client = login(cast["dora"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def post(page, **fields):
    return page.post("/teams/reassign/", {"leaving": "alice", "targets": "bob", **fields})


@pytest.mark.parametrize(
    ("scope", "codes"),
    [
        ({"customers": "CD0101,CD0103"}, ["CD0101", "CD0103"]),
        ({"customers": "CD0101\nCD0103 "}, ["CD0101", "CD0103"]),
        ({"region": "510104-G01"}, ["CD0001"]),
        ({"region": "春熙路网格 (510104-G01)"}, ["CD0001"]),
        ({"tier": "A"}, ["CD0101", "CD0102"]),
    ],
)
def test_the_page_previews_a_scope_then_applies_it(page, cast, portfolio, scope, codes):
    response = post(page, preview="", **scope)
    assert response.status_code == 200
    assert planned(response.context["plan"]) == codes
    html = response.content.decode()
    assert f"{len(codes)} customer" in html and 'data-testid="reassign-scope-summary"' in html
    assert len(still_held(cast["alice"])) == 5  # a preview changes nothing
    response = post(page, apply="", **scope)
    assert response.status_code == 302
    assert not set(codes) & set(still_held(cast["alice"]))
    assert len(still_held(cast["alice"])) == 5 - len(codes)


def test_the_page_names_codes_outside_the_portfolio_and_applies_nothing(page, cast, portfolio):
    response = post(page, apply="", customers="CD0101 MY0001 NOPE")
    assert response.status_code == 400
    assert response.context["form"].errors["customers"] == ["Not customers of alice: MY0001、NOPE."]
    assert len(still_held(cast["alice"])) == 5


def test_the_page_refuses_a_grid_outside_the_territory_naming_the_field(page, cast, portfolio):
    response = post(page, preview="", region="510703")  # 涪城区, in 绵阳
    assert response.status_code == 400
    assert response.context["form"].errors["region"] == [
        "Only this grid: no region of your territory has the code 510703."
    ]


def test_the_page_says_when_nothing_matches(page, cast, portfolio):
    response = post(page, preview="", region="510104-G01", tier="C")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="reassign-empty"' in html and 'data-testid="apply"' not in html


def test_the_page_offers_the_grids_of_the_territory(page, portfolio):
    html = page.get("/teams/reassign/").content.decode()
    assert '<datalist id="grid-pool"><option value="510104-G01">春熙路网格</option></datalist>' in html
