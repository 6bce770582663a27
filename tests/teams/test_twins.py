"""Team completeness and the visit standard each have two twins: the pure rules of `teams.rules`, which the customer
page and the due lists read, and the SQL conditions of `teams.selectors`, which the list filters and the KPIs count
with. Over generated teams and visits on every edge of the rules they must say the same of each customer."""

from __future__ import annotations

import datetime
import random
from collections import Counter

import pytest
from django.db.models import Q
from django.utils import timezone

from accounts.models import Customer
from teams.models import SINGLE_ROLES, Visit
from teams.rules import Standard, VisitFact, period_bounds, team_missing, visit_status
from teams.selectors import (
    incomplete_teams,
    standards,
    team_complete,
    team_gaps,
    team_missing_of,
    team_status,
    visit_statuses,
    visits_met,
    visits_overdue,
)
from tests.factories import CustomerFactory, TeamRoleFactory, UserFactory
from tests.role_periods import Periods, held, role_periods

pytestmark = pytest.mark.django_db

D = datetime.date
TIERS = ["A+", "A", "B", "C", None]
ROLES = [role.value for role in SINGLE_ROLES]
TOP = ("customer_manager", "service_manager", "network_manager", "second_manager")
# Standards unlike the defaults: a quarterly one with two visits of a role, a month that needs no visit, a role's
# visits on a monthly tier, and no standard at all for A+ (which then requires nobody and is never due a visit).
OTHER_STANDARDS = {
    "A": Standard(TOP, "quarter", 3, "second_manager", 2),
    "B": Standard(("customer_manager", "billing_manager"), "month", 0),
    "C": Standard(("customer_manager", "service_manager"), "month", 2, "service_manager", 1),
}


def _ids(condition: Q) -> set[int]:
    return set(Customer.objects.filter(condition).values_list("pk", flat=True))


def _with_tiers(territory, tiers: list[str | None]) -> list[Customer]:
    """Customers of these tiers (None: untiered), set as a recompute sets them rather than computed on save."""
    customers = [CustomerFactory(region=territory["jinjiang"]) for _ in tiers]
    for customer, tier in zip(customers, tiers, strict=True):
        customer.tier = tier
    Customer.objects.bulk_update(customers, ["tier"])
    return customers


# -- team completeness ---------------------------------------------------------------------------------------------


@pytest.fixture
def teams(territory) -> dict[int, dict[str, Periods]]:
    """200 customers of every tier (and none), with the periods of each single role around today: half the teams
    start full so that a single vacancy decides, and assistants, who never fill a required role."""
    rng = random.Random(5201)
    today = timezone.localdate()
    staff = [UserFactory(region=territory["jinjiang"]) for _ in range(8)]
    customers = _with_tiers(territory, [rng.choice(TIERS) for _ in range(200)])
    made = {}
    for customer in customers:
        full = rng.random() < 0.5
        roles = {
            role: [(today - datetime.timedelta(days=400), None)]
            if full and rng.random() < 0.9
            else role_periods(rng, today)
            for role in ROLES
        }
        for role, periods in roles.items():
            for starts, ends in periods:
                TeamRoleFactory(customer=customer, user=rng.choice(staff), role=role, starts_on=starts, ends_on=ends)
        for user in rng.sample(staff, rng.choice([0, 0, 1, 2])):
            TeamRoleFactory(customer=customer, user=user, role="assistant", starts_on=today)
        made[customer.pk] = roles
    return made


def _missing(customer: Customer, roles: dict[str, Periods], by_tier, day: datetime.date) -> list[str] | None:
    """The pure rule: the required roles nobody holds on `day`; None for a tier without a standard."""
    standard = by_tier.get(customer.tier)
    if standard is None:
        return None
    return team_missing(standard.required_roles, [role for role, periods in roles.items() if held(periods, day)])


@pytest.mark.parametrize("by_tier", [None, OTHER_STANDARDS], ids=["default standards", "other standards"])
def test_team_complete_agrees_with_the_pure_rule_on_every_generated_team(teams, by_tier):
    by_tier = by_tier or standards()
    today = timezone.localdate()
    tiered = list(Customer.objects.filter(tier__isnull=False))
    for offset in (-1, 0, 1, 10):  # the KPIs count as of a past day
        day = today + datetime.timedelta(days=offset)
        complete = _ids(Q(tier__isnull=False) & Q(team_complete(by_tier, day)))
        incomplete = _ids(Q(tier__isnull=False) & ~Q(team_complete(by_tier, day)))
        for customer in tiered:
            missing = _missing(customer, teams[customer.pk], by_tier, day)
            expected = not missing  # a tier without a standard requires nobody
            context = (day, customer.tier, missing)
            assert (customer.pk in complete, customer.pk in incomplete) == (expected, not expected), context
    outcomes = Counter(bool(_missing(c, teams[c.pk], by_tier, today)) for c in tiered)
    assert outcomes[True] > 20 and outcomes[False] > 20  # the data can catch a twin out either way


@pytest.mark.parametrize("by_tier", [None, OTHER_STANDARDS], ids=["default standards", "other standards"])
def test_the_team_card_the_incomplete_list_and_the_gap_counts_agree_with_the_pure_rule(teams, cast, by_tier):
    """Today, as the team card (`team_status`), the department head's list and the gap counts read it."""
    by_tier = by_tier or standards()
    today = timezone.localdate()
    expected = {}
    for customer in Customer.objects.filter(tier__isnull=False):
        missing = _missing(customer, teams[customer.pk], by_tier, today) or []
        assert team_status(customer, by_tier).missing == missing, customer.tier
        if missing:
            expected[customer.pk] = missing
    listed = {
        customer.pk: team_missing_of(customer, by_tier) for customer in incomplete_teams(cast["hq"], None, by_tier)
    }
    assert listed == expected
    gaps = team_gaps(cast["hq"], by_tier)
    assert gaps.incomplete == len(expected)
    assert gaps.by_role == {role: 0 for role in ROLES} | Counter(role for roles in expected.values() for role in roles)


# -- visit standard met and overdue --------------------------------------------------------------------------------


# Days the standard is judged on: ends and starts of months, quarters and years, a leap day, an ordinary day.
DAYS = [D(2026, 3, 31), D(2026, 4, 1), D(2026, 2, 28), D(2024, 2, 29), D(2026, 12, 31), D(2027, 1, 1), D(2026, 5, 17)]
TIMES = [datetime.time(0, 0), datetime.time(0, 0, 0, 1), datetime.time(12, 0), datetime.time(23, 59, 59, 999999)]
KINDS = ["onsite", "onsite", "phone", "online", "internal"]
VISITOR_ROLES = ["customer_manager", "second_manager", "second_manager", "service_manager", ""]


def _edges(home: datetime.date) -> list[datetime.date]:
    """The days around the month and the quarter of `home` and the period before each."""
    days = [home - datetime.timedelta(days=1), home, home + datetime.timedelta(days=1)]
    for period in ("month", "quarter"):
        start, end = period_bounds(period, home)
        before = period_bounds(period, start - datetime.timedelta(days=1))[0]
        days += [start - datetime.timedelta(days=1), start, end - datetime.timedelta(days=1), end]
        days += [before - datetime.timedelta(days=1), before, before + datetime.timedelta(days=17)]
    return days


@pytest.fixture
def visits(territory) -> dict[int, list[VisitFact]]:
    """250 customers of every tier (and none), each with up to eight visits on the edges of the periods of one of
    DAYS: first and last moments of a day, internal syncs, every visitor role. A visit stored in UTC is the same
    moment, and falls on its local day."""
    rng = random.Random(5302)
    tz = timezone.get_current_timezone()
    staff = UserFactory(region=territory["jinjiang"])
    customers = _with_tiers(territory, [rng.choice(TIERS) for _ in range(250)])
    facts: dict[int, list[VisitFact]] = {}
    rows = []
    for customer in customers:
        edges = _edges(rng.choice(DAYS))
        facts[customer.pk] = []
        for _ in range(rng.choice([0, 1, 2, 2, 3, 4, 6, 8])):
            day, kind, role = rng.choice(edges), rng.choice(KINDS), rng.choice(VISITOR_ROLES)
            moment = datetime.datetime.combine(day, rng.choice(TIMES), tzinfo=tz)
            if rng.random() < 0.5:
                moment = moment.astimezone(datetime.UTC)
            rows.append(Visit(customer=customer, visited_at=moment, visitor=staff, visitor_role=role, kind=kind))
            facts[customer.pk].append(VisitFact(day, kind, role))
    for row in rows:
        row.summary = "走访"
    Visit.objects.bulk_create(rows)
    return facts


@pytest.mark.parametrize("by_tier", [None, OTHER_STANDARDS], ids=["default standards", "other standards"])
def test_visits_met_and_overdue_agree_with_the_pure_rule_on_every_generated_customer(visits, by_tier):
    by_tier = by_tier or standards()
    customers = list(Customer.objects.all())
    judged = Counter()
    for day in DAYS:
        met = _ids(visits_met(by_tier, day))
        unmet = _ids(Q(tier__in=list(by_tier)) & ~visits_met(by_tier, day))  # as the list filter asks
        overdue = _ids(visits_overdue(by_tier, day))
        # What the customer page and the due lists read: the visits fetched in Python, then the pure rule.
        statuses = visit_statuses([(c.pk, c.tier) for c in customers], day, by_tier)
        for customer in customers:
            standard = by_tier.get(customer.tier)
            if standard is None:
                assert customer.pk not in met | unmet | overdue | set(statuses), (day, customer.tier)
                continue
            status = visit_status(standard, visits[customer.pk], day)
            # Overdue: the period before the one of `day` ended without its visits.
            last_day = period_bounds(standard.period, day)[0] - datetime.timedelta(days=1)
            was_met = visit_status(standard, visits[customer.pk], last_day).met
            context = (day, customer.tier, visits[customer.pk])
            assert (customer.pk in met, customer.pk in unmet) == (status.met, not status.met), context
            assert (customer.pk in overdue) == (not was_met), context
            assert statuses[customer.pk] == status, context
            judged[status.met, was_met] += 1
    assert min(judged[outcome] for outcome in [(True, True), (True, False), (False, True), (False, False)]) >= 10
