"""What the workbench (今日工作台) reads: the day of an account manager, and for a department head the team's.

The workbench stands on the top floor but one: it reads visits and teams, campaign plans and KPI snapshots through
their own selectors and models, each part one or two queries over the user's own rows (by owner, by team role),
never over the territory.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Case, Count, F, FilteredRelation, FloatField, OuterRef, Q, QuerySet, Subquery, When
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from accounts.models import Customer
from campaigns.models import CallEntry, CustomerPlan, Opportunity
from campaigns.selectors import call_backs_due, called_by, entries_seen, opportunities_idle, plans_idle
from crm.models import Notification, User
from kpis.models import KpiSnapshot, ScopeKind
from kpis.selectors.snapshots import latest_period
from teams.models import Visit
from teams.selectors import DueVisit, due_visits, my_customers

SHOWN = 10  # rows of each list on the workbench; the full lists are a link away
TEAM_SHOWN = 25  # the department's managers furthest behind, on a head's workbench
WEEK = 7


@dataclass
class PlannedVisit:
    """A customer whose last visit set the next one (next_visit_on) and who has not been visited since."""

    customer: Customer
    on: datetime.date
    days_late: int  # 0 when planned for today or later


def planned_visits(user: User, today: datetime.date, days: int = WEEK) -> list[PlannedVisit]:
    """The user's customers whose latest visit planned the next one up to `days` ahead (overdue ones included),
    soonest first: one query, the latest visit of each of the user's customers by the (customer, visited_at)
    index."""
    latest = Visit.objects.filter(customer=OuterRef("pk")).order_by("-visited_at", "-id").values("next_visit_on")[:1]
    rows = (
        my_customers(user)
        .annotate(planned_on=Subquery(latest))
        .filter(planned_on__isnull=False, planned_on__lt=today + datetime.timedelta(days=days))
        .only("code", "name", "tier")
        .order_by("planned_on", "code")
    )
    return [PlannedVisit(c, c.planned_on, max((today - c.planned_on).days, 0)) for c in rows]


@dataclass
class WeekDay:
    day: datetime.date
    visits: list[PlannedVisit] = field(default_factory=list)


def week_of(planned: list[PlannedVisit], today: datetime.date, days: int = WEEK) -> list[WeekDay]:
    """The next `days` days from today, each with the visits planned on it (the overdue ones stay off the week)."""
    week = [WeekDay(today + datetime.timedelta(days=offset)) for offset in range(days)]
    by_day = {item.day: item for item in week}
    for visit in planned:
        if visit.on in by_day:
            by_day[visit.on].visits.append(visit)
    return week


def idle_plans(user: User, today: datetime.date) -> QuerySet[CustomerPlan]:
    """The user's campaign plans still in play, in a running campaign, whose stage has not moved for PLAN_IDLE_DAYS
    days; the longest idle first."""
    return (
        plans_idle(today)
        .filter(owner=user, customer__in=Customer.objects.visible_to(user))
        .select_related("customer", "campaign")
        .only("stage", "stage_changed_at", "customer__code", "customer__name", "customer__tier", "campaign__name")
        .order_by("stage_changed_at", "id")
    )


def my_call_backs_due(user: User, today: datetime.date) -> QuerySet[CallEntry]:
    """The numbers the user calls on open call lists (their lists', or given to them from a pool) whose last outcome
    asked to call back on or before today, the earliest first."""
    return (
        call_backs_due(today)
        .filter(called_by(user), entries_seen(user))
        .select_related("customer", "call_list__campaign")
        .only(
            "name",
            "call_back_on",
            "call_back_at",
            "call_list_id",
            "call_list__campaign__name",
            "customer__code",
            "customer__name",
        )
        .order_by("call_back_on", "call_back_at", "id")
    )


def idle_opportunities(user: User) -> QuerySet[Opportunity]:
    """The user's open opportunities (商机) whose stage has rested PLAN_IDLE_DAYS days; the longest idle first."""
    return (
        opportunities_idle()
        .filter(owner=user, customer__in=Customer.objects.visible_to(user))
        .select_related("customer")
        .only("title", "stage", "stage_changed_at", "expected_close_on", "customer__code", "customer__name")
        .order_by("stage_changed_at", "id")
    )


NOTIFICATIONS_SHOWN = 5


def unread_notifications(user: User) -> list[Notification]:
    """The user's newest unread notifications (the unread count is every page's, from the top bar's bell)."""
    return list(
        Notification.objects.filter(recipient=user, read_at__isnull=True).order_by("-created_at", "-id")[
            :NOTIFICATIONS_SHOWN
        ]
    )


def _first_and_count(rows: QuerySet) -> tuple[list, int]:
    """The first SHOWN rows, and how many there are (counted only when there are more)."""
    shown = list(rows[: SHOWN + 1])
    return shown[:SHOWN], len(shown) if len(shown) <= SHOWN else rows.count()


@dataclass
class Day:
    """An account manager's day: what to visit (by urgency), what was planned, the plans that stalled."""

    today: datetime.date
    due: list[DueVisit]
    planned: list[PlannedVisit]
    week: list[WeekDay]
    idle_plans: list[CustomerPlan]
    idle_plan_count: int
    call_backs: list[CallEntry]
    call_back_count: int
    idle_opportunities: list[Opportunity]
    idle_opportunity_count: int
    notifications: list[Notification]

    @property
    def overdue_planned(self) -> list[PlannedVisit]:
        return [visit for visit in self.planned if visit.on < self.today]

    @property
    def today_planned(self) -> list[PlannedVisit]:
        return [visit for visit in self.planned if visit.on == self.today]

    @property
    def due_shown(self) -> list[DueVisit]:
        return self.due[:SHOWN]


def day_of(user: User, today: datetime.date | None = None) -> Day:
    today = today or timezone.localdate()
    due = due_visits(user, today)
    for item in due:
        item.days_left = (item.status.period_end - today).days  # type: ignore[attr-defined]
    planned = planned_visits(user, today)
    return Day(
        today,
        due,
        planned,
        week_of(planned, today),
        *_first_and_count(idle_plans(user, today)),
        *_first_and_count(my_call_backs_due(user, today)),
        *_first_and_count(idle_opportunities(user)),
        unread_notifications(user),
    )


@dataclass
class ManagerRow:
    """One account manager of the department as the head sees the team: how far behind on visits and plans."""

    manager: User
    customers: int | None = None  # as customer manager, from the last KPI run
    visit_base: int | None = None
    visit_met: int | None = None
    visit_overdue: int | None = None
    idle_plans: int = 0
    idle_opportunities: int = 0

    @property
    def compliance(self) -> float | None:
        if not self.visit_base:
            return None
        return 100 * (self.visit_met or 0) / self.visit_base

    @property
    def behind(self) -> int:
        """Customers still owed a visit this period (from the last KPI run)."""
        return (self.visit_base or 0) - (self.visit_met or 0)


@dataclass
class Team:
    """The department's managers furthest behind (at most `TEAM_SHOWN`), how many managers it has, and the day of
    the KPI run its visit figures come from (None: no run yet)."""

    rows: list[ManagerRow]
    count: int
    as_of: datetime.date | None


def _snapshots_of(period: datetime.date, metric: str) -> QuerySet[KpiSnapshot]:
    return KpiSnapshot.objects.filter(
        period=period, kind=ScopeKind.MANAGER, manager=OuterRef("pk"), metric=metric
    ).order_by()


def _joined_snapshot(period: datetime.date, metric: str) -> FilteredRelation:
    """The manager's one snapshot of `metric` in the month, joined (`_snapshots_of` is the same row as a subquery)."""
    return FilteredRelation(
        "kpi_snapshots",
        condition=Q(kpi_snapshots__period=period, kpi_snapshots__kind=ScopeKind.MANAGER, kpi_snapshots__metric=metric),
    )


def _count_of(rows: QuerySet) -> Coalesce:
    per_owner = rows.filter(owner=OuterRef("pk")).order_by().values("owner").annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(per_owner), 0)


def team_rows(head: User, today: datetime.date | None = None) -> Team:
    """The head's department's account managers, the furthest behind first: the lowest visit compliance (none
    measured last), then the most overdue, then the most idle plans and opportunities. Visits come from the last
    nightly KPI run, idle plans and opportunities are counted now. Ranked in the database, so that a department of
    6 562 managers (成都 at a million customers) reads the rows shown only; two queries whatever its size."""
    today = today or timezone.localdate()
    if head.department_id is None:
        return Team([], 0, None)
    team = User.objects.filter(department_id=head.department_id, is_active=True).account_managers()
    idle = F("idle_plans") + F("idle_opportunities")
    ranked = team.only("username", "first_name", "last_name").annotate(
        idle_plans=_count_of(plans_idle(today)), idle_opportunities=_count_of(opportunities_idle())
    )
    period = latest_period()
    if period is None:
        ranked = ranked.order_by(idle.desc(), "username")
    else:
        # The two figures it is ranked by joined, each the manager's one snapshot of the month: one pass over the
        # month's rows of each metric (成都's 6 562 managers: 35 ms, where a subquery per manager took 60–110).
        ranked = ranked.annotate(
            rate=_joined_snapshot(period.start, "visit_compliance_rate"),
            overdue=_joined_snapshot(period.start, "visits_overdue"),
        )
        percent = Cast("rate__numerator", FloatField()) * 100 / Cast("rate__denominator", FloatField())
        ranked = ranked.annotate(
            compliance=Coalesce(Case(When(rate__denominator__gt=0, then=percent)), 101.0),
            visit_overdue=F("overdue__numerator"),
            visit_met=F("rate__numerator"),
            visit_base=F("rate__denominator"),
            visits_as_of=F("rate__as_of"),
            # read for the rows shown only
            customers=Subquery(_snapshots_of(period.start, "customer_count").values("numerator")[:1]),
        ).order_by("compliance", Coalesce("visit_overdue", 0).desc(), idle.desc(), "username")
    rows, as_of = [], None
    for manager in ranked[:TEAM_SHOWN]:
        row = ManagerRow(manager, idle_plans=manager.idle_plans, idle_opportunities=manager.idle_opportunities)
        if period is not None:
            row.customers = _whole(manager.customers)
            row.visit_overdue = _whole(manager.visit_overdue)
            row.visit_met, row.visit_base = _whole(manager.visit_met), _whole(manager.visit_base)
            if manager.visits_as_of is not None:
                as_of = max(as_of or manager.visits_as_of, manager.visits_as_of)
        rows.append(row)
    return Team(rows, team.count(), as_of)


def _whole(value) -> int | None:
    """A count of a snapshot (a decimal), as a whole number."""
    return None if value is None else int(Decimal(str(value)))
