"""Due visits follow the province's choice (外勤签到, issue 17 point 4): where visit compliance counts only verified
on-site visits (kpis' `VisitCompliancePolicy`), an unverified visit no more clears a customer from the due list, the
badge, the workbench, the customer page or the second manager's duties than it counts for the KPI; elsewhere every
visit to the customer still counts. And the strict provinces are asked at most once per page, and only when a visit
this period is not verified: the pages cost no query more while every visit is."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Customer
from kpis.models import VisitCompliancePolicy
from kpis.selectors import verified_only_provinces
from teams import hooks
from teams.digest import visits_due
from teams.models import Visit
from teams.selectors import (
    VerifiedOnly,
    customer_visits,
    due_visit_count,
    due_visits,
    second_manager_rows,
    standards,
    visit_statuses,
    visits_met,
)
from tests.factories import CustomerFactory, TeamRoleFactory

pytestmark = pytest.mark.django_db


def _visit(customer, visitor, *, verified=False, kind="onsite", role="customer_manager") -> Visit:
    return Visit.objects.create(
        customer=customer,
        visitor=visitor,
        visitor_role=role,
        kind=kind,
        verified=verified,
        visited_at=timezone.now(),
        summary="拜访",
        unverified_reason="" if verified or kind != "onsite" else "too_far",
    )


def _strict(region) -> VisitCompliancePolicy:
    return VisitCompliancePolicy.objects.create(region=region, verified_only=True)


def _due_codes(user) -> list[str]:
    return [item.customer.code for item in due_visits(user)]


# -- a province counting only verified on-site visits ----------------------------------------------------------------


def test_an_unverified_visit_leaves_the_customer_due_in_a_verified_only_province(login, cast, territory, tiered):
    _strict(territory["sichuan"])
    _visit(tiered["alice"], cast["alice"])  # on site, too far
    _visit(tiered["alice"], cast["alice"], kind="phone")
    alice = cast["alice"]
    assert _due_codes(alice) == ["CD0001"]
    assert due_visit_count(alice) == 1
    client = login(alice)
    assert client.get("/customers/").context["due_count"] == 1
    assert [item.customer.code for item in client.get("/visits/due/").context["due"]] == ["CD0001"]
    assert [item.customer.code for item in client.get("/today/").context["day"].due] == ["CD0001"]
    status = client.get("/customers/CD0001/").context["visit_status"]
    assert (status.done, status.met) == (0, False)


def test_a_verified_visit_clears_the_customer_in_a_verified_only_province(login, cast, territory, tiered):
    _strict(territory["sichuan"])
    _visit(tiered["alice"], cast["alice"])
    _visit(tiered["alice"], cast["alice"], verified=True)
    alice = cast["alice"]
    assert _due_codes(alice) == [] and due_visit_count(alice) == 0
    client = login(alice)
    assert client.get("/customers/").context["due_count"] == 0
    assert client.get("/today/").context["day"].due == []
    status = client.get("/customers/CD0001/").context["visit_status"]
    assert (status.done, status.met) == (1, True)


@pytest.mark.parametrize(
    "policy", [None, ("sichuan", False), ("guangdong", True)], ids=["no policy", "every visit", "another province"]
)
def test_an_unverified_visit_still_counts_in_a_province_counting_every_visit(login, cast, territory, tiered, policy):
    if policy is not None:
        VisitCompliancePolicy.objects.create(region=territory[policy[0]], verified_only=policy[1])
    _visit(tiered["alice"], cast["alice"])
    alice = cast["alice"]
    assert _due_codes(alice) == [] and due_visit_count(alice) == 0
    client = login(alice)
    assert client.get("/customers/").context["due_count"] == 0
    assert client.get("/customers/CD0001/").context["visit_status"].met is True


def test_a_phone_call_counts_only_where_every_visit_does(cast, territory, tiered):
    _visit(tiered["alice"], cast["alice"], kind="phone")
    assert due_visit_count(cast["alice"]) == 0
    _strict(territory["sichuan"])
    assert due_visit_count(cast["alice"]) == 1


def test_the_second_managers_visit_must_be_verified_in_a_verified_only_province(cast, territory, tiered):
    customer, bob = tiered["alice"], cast["bob"]
    TeamRoleFactory(customer=customer, user=bob, role="second_manager")
    _visit(customer, bob, role="second_manager")
    assert [row.duties.visited for row in second_manager_rows(bob)] == [True]
    _strict(territory["sichuan"])
    assert [row.duties.visited for row in second_manager_rows(bob)] == [False]
    assert customer_visits(user=bob, customer=customer).second_manager.visited is False
    _visit(customer, bob, role="second_manager", verified=True)
    assert [row.duties.visited for row in second_manager_rows(bob)] == [True]
    assert customer_visits(user=bob, customer=customer).second_manager.visited is True


def test_the_morning_digest_names_the_customer_still_due(cast, territory, tiered):
    _strict(territory["sichuan"])
    _visit(tiered["alice"], cast["alice"])
    items = visits_due(users=[cast["alice"]], today=timezone.localdate())
    assert cast["alice"].pk in items


def test_the_statuses_agree_with_the_kpis_condition_in_both_provinces(cast, territory, tiered, customers):
    """The due lists' statuses and the SQL the visit filter and the KPI count with, on the same customers."""
    Customer.objects.filter(pk=customers["guangzhou"].pk).update(tier="B")
    _strict(territory["sichuan"])
    for customer in Customer.objects.filter(tier__isnull=False):
        _visit(customer, cast["alice"])
    today, by_tier = timezone.localdate(), standards()
    tiered_customers = list(Customer.objects.filter(tier__isnull=False))
    statuses = visit_statuses([(c.pk, c.tier) for c in tiered_customers], today, by_tier)
    met = set(
        Customer.objects.filter(Q(visits_met(by_tier, today, verified_only_provinces()))).values_list("pk", flat=True)
    )
    assert {pk for pk, status in statuses.items() if status.met} == met == {customers["guangzhou"].pk}


# -- what it costs ----------------------------------------------------------------------------------------------------


@pytest.fixture
def asked(monkeypatch):
    """How often the strict provinces are asked of the slot's provider."""
    calls = []
    provider = hooks.verified_only_provinces.provider

    def counting():
        calls.append(1)
        return provider()

    monkeypatch.setattr(hooks.verified_only_provinces, "provider", counting)
    return calls


def test_the_provinces_are_asked_once_per_page_when_a_visit_is_unverified(login, cast, territory, tiered, asked):
    _strict(territory["sichuan"])
    _visit(tiered["alice"], cast["alice"])
    client = login(cast["alice"])
    client.get("/customers/")  # the page's statuses and the badge
    assert len(asked) == 1
    client.get("/visits/due/")  # the due list and the second manager's duties
    assert len(asked) == 2


def test_the_provinces_are_not_asked_while_every_visit_is_verified(login, cast, territory, tiered, asked):
    _strict(territory["sichuan"])
    _visit(tiered["alice"], cast["alice"], verified=True)
    _visit(tiered["alice"], cast["alice"], kind="internal")
    client = login(cast["alice"])
    for page in ("/customers/", "/visits/due/", "/today/", "/customers/CD0001/"):
        client.get(page)
    assert asked == []


def test_without_a_provider_every_visit_counts(cast, tiered, monkeypatch):
    monkeypatch.setattr(hooks.verified_only_provinces, "provider", None)
    _visit(tiered["alice"], cast["alice"])
    assert VerifiedOnly().paths == ()
    assert due_visit_count(cast["alice"]) == 0


def _queries(function) -> int:
    with CaptureQueriesContext(connection) as context:
        function()
    return len(context.captured_queries)


def test_an_unverified_visit_costs_one_query_more_and_only_once(cast, territory, tiered):
    _strict(territory["sichuan"])
    alice = cast["alice"]
    _visit(tiered["alice"], alice, verified=True)
    verified_only = _queries(lambda: due_visit_count(alice))
    _visit(tiered["alice"], alice)
    shared = VerifiedOnly()
    assert _queries(lambda: due_visit_count(alice, verified_only=shared)) == verified_only + 1
    assert _queries(lambda: due_visit_count(alice, verified_only=shared)) == verified_only


def test_the_workbench_stays_within_its_budget_in_a_verified_only_province(
    login, cast, territory, customers, django_assert_max_num_queries
):
    _strict(territory["sichuan"])
    alice = cast["alice"]
    for number in range(30):
        customer = CustomerFactory(code=f"VO{number:04d}", region=territory["jinjiang"])
        Customer.objects.filter(pk=customer.pk).update(tier="B")
        TeamRoleFactory(customer=customer, user=alice)
        _visit(customer, alice, verified=number % 2 == 0)
    client = login(alice)
    client.get("/today/")
    with django_assert_max_num_queries(15):
        response = client.get("/today/")
    assert len(response.context["day"].due) == 15  # the unverified half
