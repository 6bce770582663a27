"""Reads of KPIs: scopes a user may see (SPEC §2), their snapshots, targets and the state of the nightly job.

Dashboards read snapshots only, never customers. A scope is visible when the user sees the whole of its extent
(the region holding all its customers); an account manager sees their own figures only.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F, Max, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import Department, JobStatus, Region, Role, User
from crm.periods import Period
from crm.visibility import NATIONAL_CODE, territory_path, territory_region
from teams.rules import MANAGER_CAPACITY, Standard
from teams.selectors import standards
from tiering.models import RuleSet, RuleSetStatus

from .metrics import METRIC_BY_CODE, SNAPSHOT_METRICS, TIER_SHARE_QUOTAS, Metric, add_totals, zero_totals
from .models import KpiJobRun, KpiSnapshot, KpiTarget, ScopeKind
from .totals import count_rows

# -- targets -------------------------------------------------------------------------------------------------------


def targets_for(province: str | None) -> dict[str, Decimal | None]:
    """The target of every metric in a province (by code; None: the nation): the province's own, else the national
    one, else the default of `metrics`; the tier shares' are the quotas of the rule set in force there (SPEC §4.1),
    the province's published one, else the national one. Two queries."""
    targets: dict[str, Decimal | None] = {metric.code: metric.default_target for metric in SNAPSHOT_METRICS}
    regions = [NATIONAL_CODE] + ([province] if province else [])
    rows = KpiTarget.objects.filter(region_id__in=regions).values_list("metric", "region_id", "value")
    for metric, _region, value in sorted(rows, key=lambda row: row[1] != NATIONAL_CODE):
        targets[metric] = value
    quotas = {
        row["scope_id"]: row
        for row in RuleSet.objects.filter(status=RuleSetStatus.PUBLISHED, scope_id__in=regions).values(
            "scope_id", *TIER_SHARE_QUOTAS.values()
        )
    }
    in_force = quotas.get(province) or quotas.get(NATIONAL_CODE)
    if in_force is not None:
        for code, field_name in TIER_SHARE_QUOTAS.items():
            targets[code] = in_force[field_name] / 100
    return targets


def own_targets(region: Region) -> dict[str, Decimal]:
    """The targets set for this very region (the national root or a province), by metric."""
    return dict(KpiTarget.objects.filter(region=region).values_list("metric", "value"))


def province_code(region: Region | None) -> str | None:
    """The code of the province a region lies in, read off its path; None for the national root."""
    if region is None or region.depth < 1:
        return None
    return region.ancestor_codes()[1]


# -- scopes --------------------------------------------------------------------------------------------------------


@dataclass
class Scope:
    kind: str
    region: Region | None = None
    department: Department | None = None
    manager: User | None = None
    extent: Region | None = None
    # For a manager seen by someone else: the path the snapshots' extents must lie under, so that a month when
    # the manager's customers reached beyond the viewer's territory is not shown.
    within: str = ""

    @property
    def label(self) -> str:
        if self.kind == ScopeKind.REGION:
            return self.region.name
        if self.kind == ScopeKind.DEPARTMENT:
            return self.department.name
        return self.manager.display_name

    @property
    def snapshot_filter(self) -> dict:
        scoped = {self.kind: getattr(self, self.kind)}
        return scoped | {"extent__path__startswith": self.within} if self.within else scoped

    @property
    def customer_filter(self) -> dict[str, str]:
        """The customer list's filter for the customers of the scope."""
        if self.kind == ScopeKind.MANAGER:
            return {"manager": self.manager.username}
        region = self.region if self.kind == ScopeKind.REGION else self.department.region
        return {"region": region.code}

    @property
    def query(self) -> dict[str, str]:
        """The scope as the API and the pages take it."""
        if self.kind == ScopeKind.REGION:
            return {"region": self.region.code}
        if self.kind == ScopeKind.DEPARTMENT:
            return {"department": str(self.department.pk)}
        return {"manager": self.manager.username}


def _sees_region(user: User, region: Region) -> bool:
    if user.role == Role.ACCOUNT_MANAGER and not user.sees_everything:
        return False
    path = territory_path(user)
    return path is not None and region.path.startswith(path)


def _manager_extent(manager: User) -> Region | None:
    """The extent of the manager's latest snapshots: the region holding all the customers they manage."""
    latest = KpiSnapshot.objects.filter(manager=manager).order_by("-period").values_list("extent", flat=True).first()
    return Region.objects.filter(code=latest).first() if latest else None


def scope_for(
    user: User, *, region: str | None = None, department: str | None = None, manager: str | None = None
) -> Scope:
    """The scope asked for (at most one of region code, department id or name, manager username), or by default
    the user's own: the nation, their province, their department or themselves. Http404 when it does not exist or
    the user does not see all of it."""
    given = [name for name, value in (("region", region), ("department", department), ("manager", manager)) if value]
    if len(given) > 1:
        raise ValueError(_("Give one scope: region, department or manager."))
    if region:
        scope_region = Region.objects.filter(code=region).first()
        if scope_region is None or not _sees_region(user, scope_region):
            raise Http404
        return Scope(ScopeKind.REGION, region=scope_region, extent=scope_region)
    if department:
        lookup = Q(pk=int(department)) if department.isdigit() and len(department) < 10 else Q(name=department)
        found = Department.objects.select_related("region").filter(lookup).first()
        if found is None or not _sees_region(user, found.region):
            raise Http404
        return Scope(ScopeKind.DEPARTMENT, department=found, extent=found.region)
    if manager:
        person = User.objects.filter(username=manager).first()
        if person is None:
            raise Http404
        if person == user:
            return Scope(ScopeKind.MANAGER, manager=person, extent=_manager_extent(person))
        extent = _manager_extent(person)
        if extent is None or not _sees_region(user, extent):
            raise Http404
        return Scope(ScopeKind.MANAGER, manager=person, extent=extent, within=territory_path(user) or "")
    return own_scope(user)


def own_scope(user: User) -> Scope:
    if user.role == Role.ACCOUNT_MANAGER and not user.sees_everything:
        return Scope(ScopeKind.MANAGER, manager=user, extent=_manager_extent(user))
    if user.role == Role.DEPARTMENT_HEAD and not user.sees_everything:
        if user.department_id is None:
            raise Http404
        department = Department.objects.select_related("region").get(pk=user.department_id)
        return Scope(ScopeKind.DEPARTMENT, department=department, extent=department.region)
    region = territory_region(user)
    if region is None:
        raise Http404
    return Scope(ScopeKind.REGION, region=region, extent=region)


# -- snapshots -----------------------------------------------------------------------------------------------------


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


def _scope_of(row: KpiSnapshot) -> Scope:
    if row.kind == ScopeKind.MANAGER:
        return Scope(ScopeKind.MANAGER, manager=row.manager, extent=row.extent)
    if row.kind == ScopeKind.DEPARTMENT:
        return Scope(ScopeKind.DEPARTMENT, department=row.department, extent=row.department.region)
    return Scope(ScopeKind.REGION, region=row.region, extent=row.region)


def _children(scope: Scope, period: Period) -> QuerySet[KpiSnapshot]:
    """The snapshots of the scopes one level down, every metric: a region's child regions and the departments of
    the region itself; a department's customer managers (members of it whose customers all lie in its region).
    Whoever sees a scope sees these whole: they lie within its extent."""
    snapshots = KpiSnapshot.objects.filter(period=period.start)
    if scope.kind == ScopeKind.DEPARTMENT:
        return snapshots.filter(
            kind=ScopeKind.MANAGER,
            manager__department=scope.department,
            extent__path__startswith=scope.department.region.path,
        )
    if scope.kind == ScopeKind.REGION:
        return snapshots.filter(
            Q(kind=ScopeKind.REGION, region__parent=scope.region)
            | Q(kind=ScopeKind.DEPARTMENT, department__region=scope.region)
        )
    return snapshots.none()


def child_scopes(
    scope: Scope, period: Period, *, sort: str = "", descending: bool = False, offset: int = 0, limit: int = 50
) -> tuple[list[Scope], int]:
    """One page of the scopes one level down, sorted by a metric's value (empty ones last) or by name, and how
    many there are: a department of a big city has thousands of managers, so the database sorts and cuts."""
    rows = _children(scope, period).filter(metric=sort if sort in METRIC_BY_CODE else "customer_count")
    if scope.kind == ScopeKind.DEPARTMENT:
        by_name, related = ["manager__username"], ["manager", "extent"]
    else:
        by_name, related = ["-kind", "region_id", "department__name"], ["region", "department__region"]
    ordering = by_name
    if sort in METRIC_BY_CODE:
        ordering = [F("value").desc(nulls_last=True) if descending else F("value").asc(nulls_last=True), *by_name]
    total = rows.count()
    page = rows.select_related(*related).order_by(*ordering)[offset : offset + limit]
    return [_scope_of(row) for row in page], total


def worst_coverage_gaps(scope: Scope, period: Period, limit: int = 5) -> list[tuple[Scope, KpiSnapshot]]:
    """The scopes one level down with the most handsets of active customers not on our network."""
    rows = (
        _children(scope, period)
        .filter(metric="member_coverage_rate", denominator__gt=0)
        .annotate(gap=F("denominator") - F("numerator"))
        .select_related("region", "department__region", "manager", "extent")
        .order_by("-gap")[:limit]
    )
    return [(_scope_of(row), row) for row in rows]


@dataclass
class ManagerLoad:
    busiest: list[tuple[User, int]]
    managers: int  # account managers of the department
    overloaded: int


def department_load(department: Department, period: Period, limit: int = 25) -> ManagerLoad:
    """The department's account managers by the customers they manage, from the snapshots: the busiest, and how
    many are above the line (SPEC §5.2)."""
    rows = KpiSnapshot.objects.filter(
        period=period.start, kind=ScopeKind.MANAGER, metric="customer_count", manager__department=department
    )
    busiest = [
        (row.manager, int(row.numerator))
        for row in rows.select_related("manager").order_by("-numerator", "manager__username")[:limit]
    ]
    overloaded = rows.filter(numerator__gt=MANAGER_CAPACITY).count()
    members = User.objects.filter(department=department, role=Role.ACCOUNT_MANAGER, is_active=True).count()
    return ManagerLoad(busiest, members, overloaded)


def figures_of_many(scopes: list[Scope], period: Period, targets: dict[str, Decimal | None]) -> list[Figures]:
    """The figures of several scopes of one province in one query, in the order of `scopes`."""
    if not scopes:
        return []
    condition = Q(pk__in=[])
    for scope in scopes:
        condition |= Q(**scope.snapshot_filter)
    keyed = {(scope.kind, getattr(scope, scope.kind).pk): Figures(scope, period) for scope in scopes}
    rows = KpiSnapshot.objects.filter(condition, period=period.start)
    for row in rows:
        key = (row.kind, getattr(row, f"{row.kind}_id"))
        metric = METRIC_BY_CODE[row.metric]
        keyed[key].by_metric[row.metric] = Figure(
            metric, row.numerator, row.denominator, row.value, targets[row.metric]
        )
        keyed[key].as_of = row.as_of
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
    for row in count_rows(customers, Period.of(today), today, by_tier, fields):
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


@dataclass
class JobState:
    """What a dashboard says about the freshness of its data."""

    last_success: KpiJobRun | None
    last_failure: KpiJobRun | None  # a failed run newer than the last success

    @property
    def failed(self) -> bool:
        return self.last_failure is not None


def job_state() -> JobState:
    runs = KpiJobRun.objects.exclude(status=JobStatus.RUNNING).order_by("-finished_at")
    success = runs.filter(status=JobStatus.SUCCEEDED).first()
    failure = runs.filter(status=JobStatus.FAILED)
    if success is not None:
        failure = failure.filter(finished_at__gt=success.finished_at)
    return JobState(success, failure.first())


def runs_for(user: User) -> QuerySet[KpiJobRun]:
    """The computations are nation-wide: provincial staff and above see them."""
    if not user.is_provincial_or_above:
        return KpiJobRun.objects.none()
    return KpiJobRun.objects.select_related("triggered_by").order_by("-started_at")
