"""The pure rules of teams and visits: no database."""

from __future__ import annotations

import datetime

import pytest

from teams.rules import (
    Standard,
    VisitFact,
    VisitStatus,
    assign_round_robin,
    period_bounds,
    second_manager_duties,
    team_missing,
    urgency,
    visit_status,
)

D = datetime.date
TOP = Standard(
    required_roles=("customer_manager", "service_manager", "second_manager"),
    period="month",
    visits_required=2,
    visits_role="second_manager",
    visits_role_required=1,
)
C_TIER = Standard(required_roles=("customer_manager",), period="quarter", visits_required=1)


@pytest.mark.parametrize(
    ("period", "on", "bounds"),
    [
        ("month", D(2026, 11, 24), (D(2026, 11, 1), D(2026, 12, 1))),
        ("month", D(2026, 12, 31), (D(2026, 12, 1), D(2027, 1, 1))),
        ("quarter", D(2026, 11, 24), (D(2026, 10, 1), D(2027, 1, 1))),
        ("quarter", D(2026, 2, 28), (D(2026, 1, 1), D(2026, 4, 1))),
        ("quarter", D(2026, 6, 30), (D(2026, 4, 1), D(2026, 7, 1))),
    ],
)
def test_period_bounds_are_the_calendar_month_or_quarter(period, on, bounds):
    assert period_bounds(period, on) == bounds


def test_team_missing_lists_required_roles_nobody_holds_in_the_standards_order():
    assert team_missing(TOP.required_roles, ["service_manager", "assistant"]) == ["customer_manager", "second_manager"]
    assert team_missing(C_TIER.required_roles, ["customer_manager"]) == []


def test_two_visits_by_the_customer_manager_leave_an_a_customer_one_short_of_its_second_manager():
    today = D(2026, 11, 24)
    visits = [
        VisitFact(D(2026, 11, 3), "onsite", "customer_manager"),
        VisitFact(D(2026, 11, 20), "phone", "customer_manager"),
    ]
    status = visit_status(TOP, visits, today)
    assert (status.done, status.needed, status.role_needed, status.met) == (2, 1, 1, False)
    status = visit_status(TOP, [*visits, VisitFact(D(2026, 11, 21), "onsite", "second_manager")], today)
    assert (status.done, status.needed, status.met) == (3, 0, True)


def test_internal_syncs_visits_of_last_period_and_future_visits_do_not_count():
    today = D(2026, 11, 24)
    visits = [
        VisitFact(D(2026, 11, 10), "internal", "second_manager"),
        VisitFact(D(2026, 10, 31), "onsite", "second_manager"),
        VisitFact(D(2026, 11, 25), "onsite", "customer_manager"),
    ]
    status = visit_status(TOP, visits, today)
    assert (status.done, status.needed, status.role_needed) == (0, 2, 1)


def test_a_quarterly_standard_counts_every_visit_of_the_quarter():
    status = visit_status(C_TIER, [VisitFact(D(2026, 10, 2), "online", "")], D(2026, 12, 30))
    assert status.met and status.period_start == D(2026, 10, 1) and status.period_end == D(2027, 1, 1)
    assert not visit_status(C_TIER, [], D(2026, 12, 30)).met


def test_urgency_puts_few_days_per_missing_visit_first():
    today = D(2026, 11, 24)
    month_two_short = visit_status(TOP, [], today)  # 7 days left for 2 visits
    quarter_one_short = visit_status(C_TIER, [], today)  # 38 days left for 1 visit
    met = visit_status(C_TIER, [VisitFact(today, "onsite", "customer_manager")], today)
    ordered = sorted([met, quarter_one_short, month_two_short], key=lambda s: urgency(s, today))
    assert ordered == [month_two_short, quarter_one_short, met]


def test_urgency_breaks_ties_by_tier_then_the_second_managers_duty_then_the_oldest_last_visit():
    today = D(2026, 11, 24)
    plain = VisitStatus(D(2026, 11, 1), D(2026, 12, 1), 0, 1, 0)
    owed_by_second = VisitStatus(D(2026, 11, 1), D(2026, 12, 1), 0, 1, 1)
    rows = [
        ("B, seen last week", plain, 2, D(2026, 11, 17)),
        ("A, seen in March", plain, 3, D(2026, 3, 2)),
        ("A, seen last week", plain, 3, D(2026, 11, 17)),
        ("A, never seen", plain, 3, None),
        ("A, second manager owes a visit", owed_by_second, 3, D(2026, 11, 20)),
        ("A+, seen yesterday", plain, 4, D(2026, 11, 23)),
    ]
    ordered = [name for name, *_ in sorted(rows, key=lambda row: urgency(row[1], today, row[2], row[3]))]
    assert ordered == [
        "A+, seen yesterday",
        "A, second manager owes a visit",
        "A, never seen",
        "A, seen in March",
        "A, seen last week",
        "B, seen last week",
    ]


def test_second_manager_duties_need_their_own_visit_and_an_internal_sync_with_the_customer_manager():
    today = D(2026, 11, 24)
    assert (second_manager_duties([], today).visited, second_manager_duties([], today).synced) == (False, False)
    visits = [
        VisitFact(D(2026, 11, 2), "onsite", "customer_manager"),
        # an internal visit without the customer manager present is no sync
        VisitFact(D(2026, 11, 3), "internal", "second_manager", frozenset({"service_manager"})),
    ]
    duties = second_manager_duties(visits, today)
    assert (duties.visited, duties.synced) == (False, False)
    visits += [
        VisitFact(D(2026, 11, 4), "internal", "customer_manager", frozenset({"second_manager"})),
        VisitFact(D(2026, 11, 5), "phone", "second_manager"),
    ]
    duties = second_manager_duties(visits, today)
    assert (duties.visited, duties.synced) == (True, True)
    # last month's do not count this month
    assert second_manager_duties(visits, D(2026, 12, 1)).synced is False


def test_round_robin_gives_each_customer_to_the_least_loaded_target():
    plan = assign_round_robin([1, 2, 3, 4, 5], {10: 3, 20: 0, 30: 1})
    # loads 3/0/1 → 3/1/1 → 3/2/1 (tie: the first named) → 3/2/2 → 3/3/2 → 3/3/3
    assert plan == {1: 20, 2: 20, 3: 30, 4: 20, 5: 30}
