"""Reads of KPI figures: snapshots of a scope, their trend, managers' loads, live figures of a few customers."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Case, Count, IntegerField, Max, Q, QuerySet, Sum, Value, When, Window
from django.utils import timezone

from crm.models import Department, User
from crm.periods import Period
from teams.rules import MANAGER_CAPACITY, Standard
from teams.selectors import standards

from ..metrics import METRIC_BY_CODE, SNAPSHOT_METRICS, Metric, add_totals, zero_totals
from ..models import KpiSnapshot
from ..totals import count_rows
from .scopes import Scope, department_managers
from .targets import province_code, targets_for, verified_only_provinces


def latest_period() -> Period | None:
    """The latest month with snapshots."""
    latest = KpiSnapshot.objects.aggregate(latest=Max("period"))["latest"]
    return Period(latest) if latest else None


@dataclass
class Figure:
    metric: Metric
    numerator: Decimal
    denominator: Decimal | None
    value: Decimal | None
    target: Decimal | None

    @property
    def on_target(self) -> bool | None:
        return self.metric.on_target(self.value, self.target)


@dataclass
class Figures:
    """Every metric of one scope in one period; empty when there are no snapshots for it."""

    scope: Scope
    period: Period
    by_metric: dict[str, Figure] = field(default_factory=dict)
    as_of: datetime.date | None = None
    computed_at: datetime.datetime | None = None  # when the computation that wrote them ended (`figures_and_trend`)

    def __iter__(self):
        return iter(self.by_metric.values())

    def __getitem__(self, code: str) -> Figure:
        return self.by_metric[code]


def figures(scope: Scope, period: Period, targets: dict[str, Decimal | None] | None = None) -> Figures:
    """Every metric of one scope in one period, against `targets` (by default those in force where it lies)."""
    targets = targets if targets is not None else targets_for(province_code(scope.extent))
    return figures_of_many([scope], period, targets)[0]


def trend(scope: Scope, periods: list[Period]) -> dict[str, list[Decimal | None]]:
    """Each metric's value in each of `periods` (None where there is no snapshot)."""
    index = {period.start: i for i, period in enumerate(periods)}
    values: dict[str, list[Decimal | None]] = {metric.code: [None] * len(periods) for metric in SNAPSHOT_METRICS}
    rows = KpiSnapshot.objects.filter(
        period__gte=periods[0].start, period__lte=periods[-1].start, **scope.snapshot_filter
    ).values_list("metric", "period", "value")
    for metric, period, value in rows:
        values[metric][index[period]] = value
    return values


def figures_and_trend(
    scope: Scope, periods: list[Period], targets: dict[str, Decimal | None]
) -> tuple[Figures, dict[str, list[Decimal | None]]]:
    """The figures of the last of `periods` (with the computation that wrote them) and each metric's value in
    each of `periods`, as `figures` and `trend` give them, in one query."""
    period = periods[-1]
    found = Figures(scope, period)
    index = {p.start: i for i, p in enumerate(periods)}
    values: dict[str, list[Decimal | None]] = {metric.code: [None] * len(periods) for metric in SNAPSHOT_METRICS}
    # Tuples, not instances: a year of some 40 metrics is 480 rows.
    rows = KpiSnapshot.objects.filter(
        period__gte=periods[0].start, period__lte=period.start, **scope.snapshot_filter
    ).values_list("metric", "period", "numerator", "denominator", "value", "as_of", "run__finished_at")
    for code, start, numerator, denominator, value, as_of, computed_at in rows:
        values[code][index[start]] = value
        if start == period.start:
            found.by_metric[code] = Figure(METRIC_BY_CODE[code], numerator, denominator, value, targets[code])
            found.as_of, found.computed_at = as_of, computed_at
    found.by_metric = {m.code: found.by_metric[m.code] for m in SNAPSHOT_METRICS if m.code in found.by_metric}
    return found, values


# The load chart draws this many managers at most, the busiest: a department of a big city has thousands, which no
# chart shows readably; the chart then says how many it leaves out, and the manager load page lists them all.
LOAD_DRAWN = 60


@dataclass
class ManagerLoad:
    busiest: list[tuple[User, int]]
    managers: int  # the department's customer managers (`department_managers`)
    overloaded: int  # … with more than MANAGER_CAPACITY customers

    @property
    def left_out(self) -> int:
        """The managers counted but not drawn (beyond the busiest `LOAD_DRAWN`)."""
        return self.managers - len(self.busiest)


def department_load(department: Department, period: Period, limit: int = LOAD_DRAWN) -> ManagerLoad:
    """The department's customer managers by the customers they manage, from the snapshots: the `limit` busiest,
    and how many there are and are above the line (SPEC §5.2) — the same managers its overload figure counts. One
    query: the counts are window aggregates over every manager, read off the rows of the busiest."""
    over = Case(When(numerator__gt=MANAGER_CAPACITY, then=Value(1)), default=Value(0), output_field=IntegerField())
    rows = (
        department_managers(department, period)
        .filter(metric="customer_count")
        .annotate(managers=Window(Count("pk")), overloaded=Window(Sum(over)))
        .select_related("manager")
        .order_by("-numerator", "manager__username")[:limit]
    )
    busiest: list[tuple[User, int]] = []
    managers = overloaded = 0
    for row in rows:
        assert row.manager is not None, "a manager's snapshot names its manager (KpiSnapshot's constraint)"
        busiest.append((row.manager, int(row.numerator)))
        managers, overloaded = row.managers, int(row.overloaded or 0)
    return ManagerLoad(busiest, managers, overloaded)


def figures_of_many(scopes: list[Scope], period: Period, targets: dict[str, Decimal | None]) -> list[Figures]:
    """The figures of several scopes of one province in one query, in the order of `scopes`."""
    if not scopes:
        return []
    condition = Q(pk__in=[])
    for scope in scopes:
        condition |= Q(**scope.snapshot_filter)
    keyed = {(scope.kind, getattr(scope, scope.kind).pk): Figures(scope, period) for scope in scopes}
    # Read as tuples: a department's page of 50 managers is some 2 000 rows, whose model instances cost more than
    # the query (成都's head: 14 ms of the page's 150).
    rows = KpiSnapshot.objects.filter(condition, period=period.start).values_list(
        "kind", "region_id", "department_id", "manager_id", "metric", "numerator", "denominator", "value", "as_of"
    )
    for kind, region_id, department_id, manager_id, code, numerator, denominator, value, as_of in rows:
        scoped = {"region": region_id, "department": department_id, "manager": manager_id}[kind]
        found = keyed[(kind, scoped)]
        found.by_metric[code] = Figure(METRIC_BY_CODE[code], numerator, denominator, value, targets[code])
        found.as_of = as_of
    for result in keyed.values():
        result.by_metric = {m.code: result.by_metric[m.code] for m in SNAPSHOT_METRICS if m.code in result.by_metric}
    return list(keyed.values())


@dataclass
class LiveFigures:
    """Today's figures of a small set of customers, counted live (SPEC §7), with the targets in force."""

    totals: dict  # the fields not counted stay zero
    by_metric: dict[str, Figure]

    @property
    def team_gaps(self) -> int:
        return self.totals["tiered"] - self.totals["team_complete"]

    @property
    def coverage(self) -> str:
        figure = self.by_metric["member_coverage_rate"]
        return figure.metric.display(figure.value)

    @property
    def coverage_target(self) -> str | None:
        figure = self.by_metric["member_coverage_rate"]
        return figure.metric.display(figure.target) if figure.target is not None else None


LIVE_FIELDS = (
    "customers",
    "active",
    "handsets",
    "members_on_net",
    "tiered",
    "tier_a",
    "tier_b",
    "tier_c",
    "team_complete",
)


def live_figures(
    customers: QuerySet,
    targets: dict[str, Decimal | None],
    by_tier: dict[str, Standard] | None = None,
    fields: tuple[str, ...] = LIVE_FIELDS,
) -> LiveFigures:
    """Figures of a few customers (an account manager's own) as of today, counted as the snapshots are: only
    `fields` (by default what *my customers* shows: customers, tiers, team gaps, member coverage)."""
    today = timezone.localdate()
    totals = zero_totals()
    by_tier = by_tier if by_tier is not None else standards()
    verified_only_in = verified_only_provinces() if {"visit_met", "visit_overdue"} & set(fields) else ()
    for row in count_rows(customers, Period.of(today), today, by_tier, fields, verified_only_in):
        add_totals(totals, row.totals)
    by_metric = {  # only the metrics whose totals were counted
        metric.code: Figure(
            metric,
            Decimal(totals[metric.numerator]),
            Decimal(totals[metric.denominator]) if metric.denominator else None,
            metric.value(totals),
            targets.get(metric.code),
        )
        for metric in SNAPSHOT_METRICS
        if metric.numerator in fields and (metric.denominator is None or metric.denominator in fields)
    }
    return LiveFigures(totals, by_metric)
