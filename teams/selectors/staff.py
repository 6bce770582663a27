"""Reads of a department head's staff: the pool, the account managers' loads, the reassignment plan."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Customer
from crm.models import StaffQuerySet, User
from crm.visibility import territory_path

from ..models import TeamRole
from ..rules import CUSTOMER_MANAGER, MANAGER_CAPACITY, assign_round_robin


def staff_pool(user: User) -> StaffQuerySet:
    """The staff a department head (or provincial staff) works with: their department's members, or for provincial
    staff and above everyone of their territory."""
    staff = User.objects.filter(is_active=True).below_headquarters()
    if user.heads_a_department:
        return staff.filter(department_id=user.department_id) if user.department_id else staff.none()
    path = territory_path(user)
    if path is None:
        return staff.none()
    return staff.filter(region__path__startswith=path) if path else staff


def manager_load(user: User) -> QuerySet[User]:
    """Account managers of the user's pool with how many customers each manages as customer manager, busiest first."""
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
    return (
        staff_pool(user)
        .account_managers()
        .annotate(customer_count=Coalesce(Subquery(managed), 0))
        .order_by("-customer_count", "username")
    )


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


@dataclass
class ReassignPlan:
    leaving: User
    customers: dict[int, User]  # customer id → the target taking it over
    loads_before: dict[int, int]
    loads_after: dict[int, int]
    targets: list[User]
    overloaded: list[tuple[User, int]] = field(default_factory=list)

    def rows(self) -> list[tuple[User, int, int, int]]:
        """(target, customers managed now, taken over as customer manager, afterwards) per target."""
        return [
            (t, self.loads_before[t.pk], self.loads_after[t.pk] - self.loads_before[t.pk], self.loads_after[t.pk])
            for t in self.targets
        ]


def reassign_plan(*, by: User, leaving: User, targets: list[User], on: datetime.date | None = None) -> ReassignPlan:
    """Which target takes which customer of the leaving manager: the customers they manage go to whoever has
    the fewest customers then; the loads count customers as customer manager (SPEC §5.2)."""
    on = on or timezone.localdate()
    held = (
        TeamRole.objects.active(on)
        .filter(user=leaving, customer__in=Customer.objects.visible_to(by))
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
    )
