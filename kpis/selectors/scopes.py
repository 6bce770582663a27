"""Reads of KPI scopes: the one asked for or the user's own, as far as they see it, and those one level down."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Count, F, OrderBy, Q, QuerySet, Window
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from crm.models import Department, Region, User
from crm.periods import Period
from crm.visibility import territory_path, territory_region

from ..metrics import METRIC_BY_CODE
from ..models import KpiSnapshot, ScopeKind


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

    # A scope names the one object of its kind, and only that one (`scope_for`, `own_scope`, `_scope_of`, and
    # KpiSnapshot's check constraint): a region scope its region, a department scope its department, a manager
    # scope its manager. These read it, for a scope already known to be of that kind.
    @property
    def scoped_region(self) -> Region:
        assert self.region is not None, "a region scope names its region"
        return self.region

    @property
    def scoped_department(self) -> Department:
        assert self.department is not None, "a department scope names its department"
        return self.department

    @property
    def scoped_manager(self) -> User:
        assert self.manager is not None, "a manager scope names its manager"
        return self.manager

    @property
    def label(self) -> str:
        if self.kind == ScopeKind.REGION:
            return self.scoped_region.name
        if self.kind == ScopeKind.DEPARTMENT:
            return self.scoped_department.name
        return self.scoped_manager.display_name

    @property
    def snapshot_filter(self) -> dict:
        scoped = {self.kind: getattr(self, self.kind)}
        return scoped | {"extent__path__startswith": self.within} if self.within else scoped

    @property
    def customer_filter(self) -> dict[str, str]:
        """The customer list's filter for the customers of the scope."""
        if self.kind == ScopeKind.MANAGER:
            return {"manager": self.scoped_manager.username}
        region = self.scoped_region if self.kind == ScopeKind.REGION else self.scoped_department.region
        return {"region": region.code}

    @property
    def query(self) -> dict[str, str]:
        """The scope as the API and the pages take it."""
        if self.kind == ScopeKind.REGION:
            return {"region": self.scoped_region.code}
        if self.kind == ScopeKind.DEPARTMENT:
            return {"department": str(self.scoped_department.pk)}
        return {"manager": self.scoped_manager.username}


def _sees_region(user: User, region: Region) -> bool:
    if user.sees_own_customers_only:
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
    if user.sees_own_customers_only:
        return Scope(ScopeKind.MANAGER, manager=user, extent=_manager_extent(user))
    if user.heads_a_department:
        if user.department_id is None:
            raise Http404
        department = Department.objects.select_related("region").get(pk=user.department_id)
        return Scope(ScopeKind.DEPARTMENT, department=department, extent=department.region)
    region = territory_region(user)
    if region is None:
        raise Http404
    return Scope(ScopeKind.REGION, region=region, extent=region)


def _scope_of(row: KpiSnapshot) -> Scope:
    if row.kind == ScopeKind.MANAGER:
        return Scope(ScopeKind.MANAGER, manager=row.manager, extent=row.extent)
    if row.kind == ScopeKind.DEPARTMENT:
        department = row.department
        assert department is not None, "a department's snapshot names its department (KpiSnapshot's constraint)"
        return Scope(ScopeKind.DEPARTMENT, department=department, extent=department.region)
    return Scope(ScopeKind.REGION, region=row.region, extent=row.region)


def department_managers(department: Department, period: Period) -> QuerySet[KpiSnapshot]:
    """The snapshots (every metric) of a department's customer managers in the period: its members who served
    customers then, all of them within its region — the managers its head sees whole.

    The one definition of which managers a department counts: its manager table, its load chart and summary read
    these rows, and its overload figure counts the same people (`kpis.totals.roll_up`)."""
    return KpiSnapshot.objects.filter(
        period=period.start,
        kind=ScopeKind.MANAGER,
        manager__department=department,
        extent__path__startswith=department.region.path,
    )


def _children(scope: Scope, period: Period) -> QuerySet[KpiSnapshot]:
    """The snapshots of the scopes one level down, every metric: a region's child regions and the departments of
    the region itself; a department's customer managers (`department_managers`).
    Whoever sees a scope sees these whole: they lie within its extent."""
    if scope.kind == ScopeKind.DEPARTMENT:
        return department_managers(scope.scoped_department, period)
    snapshots = KpiSnapshot.objects.filter(period=period.start)
    if scope.kind == ScopeKind.REGION:
        return snapshots.filter(
            Q(kind=ScopeKind.REGION, region__parent=scope.region)
            | Q(kind=ScopeKind.DEPARTMENT, department__region=scope.region)
        )
    return snapshots.none()


def child_scopes(
    scope: Scope,
    period: Period,
    *,
    sort: str = "",
    descending: bool = False,
    offset: int = 0,
    limit: int = 50,
    total: int | None = None,
) -> tuple[list[Scope], int]:
    """One page of the scopes one level down, sorted by a metric's value (empty ones last) or by name, and how
    many there are: a department of a big city has thousands of managers, so the database sorts and cuts.

    `total`, when the caller knows how many there are (a department's manager count, from its own snapshot), spares
    the count: a page by name then reads its own rows only (成都's 6 562 managers: 30 → 4 ms)."""
    rows = _children(scope, period).filter(metric=sort if sort in METRIC_BY_CODE else "customer_count")
    if scope.kind == ScopeKind.DEPARTMENT:
        by_name, related = ["manager__username"], ["manager", "extent"]
    else:
        by_name, related = ["-kind", "region_id", "department__name"], ["region", "department__region"]
    ordering: Sequence[str | OrderBy] = by_name
    if sort in METRIC_BY_CODE:
        ordering = [F("value").desc(nulls_last=True) if descending else F("value").asc(nulls_last=True), *by_name]
    if total is not None:
        known = rows.select_related(*related).order_by(*ordering)[offset : offset + limit]
        return [_scope_of(row) for row in known], total
    # How many there are rides on the page's rows (a window count): one query, unless the page is past the end.
    page = list(
        rows.annotate(total=Window(Count("pk"))).select_related(*related).order_by(*ordering)[offset : offset + limit]
    )
    counted = page[0].total if page else (rows.count() if offset else 0)
    return [_scope_of(row) for row in page], counted


def worst_coverage_gaps(scope: Scope, period: Period, limit: int = 5) -> list[tuple[Scope, KpiSnapshot]]:
    """The scopes one level down with the most handsets of active customers not on our network."""
    gap = F("denominator") - F("numerator")
    worst = _children(scope, period).filter(metric="member_coverage_rate", denominator__gt=0).order_by(gap.desc(), "pk")
    # The worst picked first, their scopes joined after: joined before, every manager of a big department was.
    rows = (
        KpiSnapshot.objects.filter(pk__in=worst.values("pk")[:limit])
        .annotate(gap=gap)
        .select_related("region", "department__region", "manager", "extent")
        .order_by("-gap", "pk")
    )
    return [(_scope_of(row), row) for row in rows]
