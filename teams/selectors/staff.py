"""Reads of a department head's staff: the pool, the search of the staff pickers, the account managers' loads, the
reassignment plan and its scope."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import (
    Case,
    Count,
    FilteredRelation,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Concat
from django.utils import timezone

from accounts.models import Customer
from crm.models import Region, StaffQuerySet, User
from crm.visibility import territory_path

from ..models import ManagerLoad, TeamRole
from ..rules import CUSTOMER_MANAGER, MANAGER_CAPACITY, assign_round_robin, staff_username


def staff_pool(user: User) -> StaffQuerySet:
    """The staff a department head (or provincial staff) works with: their department's members, or for provincial
    staff and above everyone of their territory."""
    staff = User.objects.filter(is_active=True).below_headquarters()
    if user.heads_a_department:
        return staff.filter(department_id=user.department_id) if user.department_id else staff.none()
    path = territory_path(user)
    if path is None:
        return staff.none()
    # The territory's regions named, not joined by path: PostgreSQL then reads the territory's staff by the region
    # index instead of walking every user of the country in region order (issue 19: a province's pool among
    # 600 000 users, 2.9 s → see docs/PERFORMANCE.md). Named as a list, not a subquery: the planner estimates their
    # users from the region column's statistics (a province of three: 20 756 for 20 382) and reads them by its
    # index, where a subquery's estimate (36 393) had it read every user of the country (the load page's count,
    # 18 → 8 ms).
    return staff.filter(region_id__in=Region.objects.codes_under(path)) if path else staff


STAFF_QUERY_MAX = 100  # characters of a picker's query that are read


def staff_search(user: User, query: str) -> StaffQuerySet:
    """The staff of the user's pool (`staff_pool`: their territory, never anyone else's) whose display name or
    username contains `query`, best first: an exact username or name, then those starting with it, then the rest,
    each by name. A query typed as the pickers show a person, "张伟 (zhangwei)", looks for the username."""
    query = staff_username(query[:STAFF_QUERY_MAX])
    name = "".join(query.split())  # display names read family name first, without a space: 张伟
    staff = (
        staff_pool(user)
        .select_related("region")
        .annotate(full_name=Concat("last_name", "first_name"))
        .only("username", "first_name", "last_name", "role", "region__name")
    )
    if not query:
        return staff.order_by("last_name", "first_name", "username")
    return (
        staff.filter(Q(username__icontains=query) | Q(full_name__icontains=name))
        .annotate(
            rank=Case(
                When(Q(username__iexact=query) | Q(full_name__iexact=name), then=Value(0)),
                When(Q(username__istartswith=query) | Q(full_name__istartswith=name), then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .order_by("rank", "last_name", "first_name", "username")
    )


@dataclass
class ManagerLoads:
    managers: QuerySet[User]  # with `customer_count`, busiest first
    as_of: datetime.datetime | None  # when the counts were taken (`ManagerLoad`); None: counted now


def manager_load(user: User, *, live: bool = False) -> ManagerLoads:
    """Account managers of the user's pool with how many customers each manages as customer manager, busiest first.

    Sorted by the night's counts (`ManagerLoad`, recounted for the managers a reassignment touched), saying as of
    when, where there are some; otherwise, or with `live`, counted now (0.6 s over a province of a million, 0.1 s over
    成都's department of 6 562 managers)."""
    managers = staff_pool(user).account_managers()
    if not live:
        loads = ManagerLoad.objects.all()
        if user.heads_a_department:
            # A department's managers, each one's count by its key. Joined, PostgreSQL hashed every count of the
            # country for a department's few hundred managers (凉山's 773 among 54 494 counts at three provinces:
            # 539 buffers, 9 ms, where 1 M read 198).
            own = ManagerLoad.objects.filter(user=OuterRef("pk")).values("customers")[:1]
            counted = managers.annotate(customer_count=Coalesce(Subquery(own), 0))
        elif path := territory_path(user):
            # The territory's counts only, by their path's index, joined to its managers: what the page reads grows
            # with the territory, not with the country (issue 19). A manager counted elsewhere (moved since the night)
            # is counted again by a reassignment or the next night.
            loads = ManagerLoad.objects.filter(region_path__startswith=path)
            counted = managers.annotate(
                load=FilteredRelation("load_counted", condition=Q(load_counted__region_path__startswith=path))
            ).annotate(customer_count=Coalesce("load__customers", 0))
        else:  # the country's managers and counts
            counted = managers.annotate(customer_count=Coalesce("load_counted__customers", 0))
        as_of = loads.aggregate(at=Min("computed_at"))["at"]
        if as_of is not None:
            return ManagerLoads(counted.order_by("-customer_count", "username"), as_of)
    # Counted per manager from the index on (user, customer), which carries the role and its dates: no table rows
    # are read, where a join would aggregate every role of the territory.
    managed = (
        TeamRole.objects.active()
        .filter(user=OuterRef("pk"), role=CUSTOMER_MANAGER)
        .order_by()
        .values("user")
        .annotate(n=Count("*"))
        .values("n")
    )
    counted = managers.annotate(customer_count=Coalesce(Subquery(managed), 0))
    return ManagerLoads(counted.order_by("-customer_count", "username"), None)


def customer_manager_loads(user_ids: Iterable[int]) -> dict[int, int]:
    today = timezone.localdate()
    counts = dict.fromkeys(user_ids, 0)
    rows = (
        TeamRole.objects.active(today)
        .filter(user_id__in=list(counts), role=CUSTOMER_MANAGER)
        .values("user_id")
        .annotate(n=Count("id"))
        .values_list("user_id", "n")
    )
    counts.update(dict(rows))
    return counts


@dataclass(frozen=True)
class ReassignScope:
    """Which of a leaving manager's customers a reassignment hands over: all of them (the empty scope), or those
    matching every part given: chosen customers (by code), a grid (or any region: its whole subtree), a tier."""

    codes: tuple[str, ...] = ()
    region: Region | None = None
    tier: str = ""

    @property
    def whole(self) -> bool:
        return not (self.codes or self.region is not None or self.tier)


WHOLE_PORTFOLIO = ReassignScope()


def reassign_portfolio(*, by: User, leaving: User, on: datetime.date | None = None) -> QuerySet[TeamRole]:
    """The leaving manager's roles, active `on` (today), on the customers `by` sees: what a reassignment can hand."""
    on = on or timezone.localdate()
    return TeamRole.objects.active(on).filter(user=leaving, customer__in=Customer.objects.visible_to(by))


def reassign_roles(
    *, by: User, leaving: User, scope: ReassignScope = WHOLE_PORTFOLIO, on: datetime.date | None = None
) -> QuerySet[TeamRole]:
    """The roles a reassignment in `scope` hands over: the one definition of its scope, for the preview (the plan)
    and for applying it alike."""
    roles = reassign_portfolio(by=by, leaving=leaving, on=on)
    if scope.codes:
        roles = roles.filter(customer__code__in=scope.codes)
    if scope.region is not None:
        roles = roles.filter(customer__region__path__startswith=scope.region.path)
    if scope.tier:
        roles = roles.filter(customer__tier=scope.tier)
    return roles


def reassign_codes_outside(
    *, by: User, leaving: User, codes: Iterable[str], on: datetime.date | None = None
) -> list[str]:
    """Those of `codes` that are not customers of the leaving manager that `by` sees, in the order given."""
    codes = list(dict.fromkeys(codes))
    held = set(
        reassign_portfolio(by=by, leaving=leaving, on=on)
        .filter(customer__code__in=codes)
        .values_list("customer__code", flat=True)
    )
    return [code for code in codes if code not in held]


@dataclass
class ReassignPlan:
    leaving: User
    customers: dict[int, User]  # customer id → the target taking it over
    loads_before: dict[int, int]
    loads_after: dict[int, int]
    targets: list[User]
    overloaded: list[tuple[User, int]] = field(default_factory=list)
    scope: ReassignScope = WHOLE_PORTFOLIO

    def rows(self) -> list[tuple[User, int, int, int]]:
        """(target, customers managed now, taken over as customer manager, afterwards) per target."""
        return [
            (t, self.loads_before[t.pk], self.loads_after[t.pk] - self.loads_before[t.pk], self.loads_after[t.pk])
            for t in self.targets
        ]


def reassign_plan(
    *,
    by: User,
    leaving: User,
    targets: list[User],
    scope: ReassignScope = WHOLE_PORTFOLIO,
    on: datetime.date | None = None,
) -> ReassignPlan:
    """Which target takes which customer of the leaving manager (those in `scope`, by default all): the customers
    they manage go to whoever has the fewest customers then; the loads count customers as customer manager
    (SPEC §5.2)."""
    on = on or timezone.localdate()
    held = (
        reassign_roles(by=by, leaving=leaving, scope=scope, on=on)
        .values_list("customer_id", "role")
        .order_by("customer_id")
    )
    managed: list[int] = []
    other: list[int] = []
    for customer_id, role in held:
        (managed if role == CUSTOMER_MANAGER else other).append(customer_id)
    loads = customer_manager_loads([t.pk for t in targets])
    by_id = {t.pk: t for t in targets}
    plan = assign_round_robin(list(dict.fromkeys(managed)), loads)
    after = dict(loads)
    for target in plan.values():
        after[target] += 1
    # Customers where the leaving manager holds other roles only do not change anyone's load; spread them evenly.
    rest = [pk for pk in dict.fromkeys(other) if pk not in plan]
    plan.update(assign_round_robin(rest, dict.fromkeys(loads, 0)))
    overloaded = [(by_id[pk], n) for pk, n in after.items() if n > MANAGER_CAPACITY and n > loads[pk]]
    return ReassignPlan(
        leaving=leaving,
        customers={pk: by_id[target] for pk, target in plan.items()},
        loads_before=loads,
        loads_after=after,
        targets=targets,
        overloaded=overloaded,
        scope=scope,
    )
