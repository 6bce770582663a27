"""Reads of personal-VIP staffing (SPEC §4.3: one personal-VIP manager per 400 personal VIPs): who has how many VIPs
in their care, the VIPs not yet in anyone's, and the plan of dealing them among chosen managers."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Exists, FilteredRelation, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from accounts.models import Customer, GroupMember
from crm.models import Region, StaffQuerySet, User
from crm.visibility import territory_path

from ..models import VipAssignment, VipLoad
from ..rules import VIP_MANAGER_CAPACITY, deal_quotas
from .staff import staff_pool

# A personal VIP is a group member with a VIP level (SPEC §4.3) who is still the customer's; the same condition
# read from an assignment, through its member.
VIP_MEMBER = Q(left_on__isnull=True, vip_level__isnull=False)
VIP_OF_ASSIGNMENT = Q(member__left_on__isnull=True, member__vip_level__isnull=False)


def vip_counts(user_ids: Iterable[int], on: datetime.date | None = None) -> dict[int, int]:
    """How many personal VIPs each of these managers has in their care `on` (today), counted now; 0 for none."""
    counts = dict.fromkeys(user_ids, 0)
    rows = (
        VipAssignment.objects.active(on)
        .filter(VIP_OF_ASSIGNMENT, manager_id__in=list(counts))
        .order_by()
        .values("manager_id")
        .annotate(n=Count("pk"))
        .values_list("manager_id", "n")
    )
    counts.update(dict(rows))
    return counts


def vip_manager_candidates(user: User) -> StaffQuerySet:
    """The staff `user` may give personal VIPs to: the account managers of their pool (their department's, or their
    territory's for provincial staff)."""
    return staff_pool(user).account_managers()


@dataclass
class VipLoads:
    managers: QuerySet[User]  # with `vip_count`, busiest first: those with at least one personal VIP in their care
    as_of: datetime.datetime | None  # when the counts were taken (`VipLoad`); None: counted now


def vip_manager_load(user: User, *, live: bool = False) -> VipLoads:
    """The personal-VIP managers of the user's pool with how many personal VIPs each has in their care, busiest
    first: from the counts the nightly KPI computation keeps (`VipLoad`, recounted for the managers an assignment
    touched), saying as of when; otherwise, or with `live`, counted now from the assignments' manager index."""
    managers = staff_pool(user)
    if not live:
        path = None if user.heads_a_department else territory_path(user)
        if path:
            # The territory's counts only, by their path's index, as the customer managers' load is read.
            counted = VipLoad.objects.filter(region_path__startswith=path)
            managers = managers.annotate(
                load=FilteredRelation("vip_load_counted", condition=Q(vip_load_counted__region_path__startswith=path))
            )
            count = "load__vips"
        else:
            counted, count = VipLoad.objects.all(), "vip_load_counted__vips"
        as_of = counted.aggregate(at=Min("computed_at"))["at"]
        if as_of is not None:
            # Picked by the count itself, not by its COALESCE: a condition on the joined row makes the outer join an
            # inner one, which PostgreSQL starts from the few counts (a province's staff at three provinces: 26 →
            # under 1 ms, where every user of the country was read first).
            loads = managers.filter(**{f"{count}__gt": 0}).annotate(vip_count=Coalesce(count, 0))
            return VipLoads(loads.order_by("-vip_count", "username"), as_of)
    mine = VipAssignment.objects.active().filter(VIP_OF_ASSIGNMENT, manager=OuterRef("pk")).order_by()
    cared = mine.values("manager").annotate(n=Count("*")).values("n")
    # Those with a VIP in their care picked by EXISTS, which PostgreSQL plans as a semi-join after the pool's
    # region filter; a filter on the count itself was evaluated for every user of the country first (issue 19: 3.5 s
    # for a province's staff among 600 000 users).
    loads = managers.filter(Exists(mine)).annotate(vip_count=Coalesce(Subquery(cared), 0))
    return VipLoads(loads.order_by("-vip_count", "username"), None)


@dataclass
class VipLoadSummary:
    managers: int
    overloaded: int
    vips: int

    @property
    def managers_needed(self) -> int:
        """Managers the VIPs in care call for at the staffing line (one per 400, rounded up)."""
        return -(-self.vips // VIP_MANAGER_CAPACITY)


def vip_load_summary(loads: VipLoads) -> VipLoadSummary:
    """How many personal-VIP managers the load lists, how many are above the line, and the VIPs in their care."""
    managers = overloaded = vips = 0
    for manager in loads.managers.order_by().only("pk"):
        count: int = getattr(manager, "vip_count")  # noqa: B009 - an annotation the type checker cannot see
        managers += 1
        overloaded += count > VIP_MANAGER_CAPACITY
        vips += count
    return VipLoadSummary(managers, overloaded, vips)


def vip_members_of(manager: User, on: datetime.date | None = None) -> QuerySet[GroupMember]:
    """The personal VIPs in `manager`'s care `on` (today), by customer: what their load counts."""
    cared = VipAssignment.objects.active(on).filter(manager=manager).values("member_id")
    return GroupMember.objects.filter(VIP_MEMBER, pk__in=cared).order_by("customer_id", "pk")


def vips_unassigned(*, by: User, region: Region, on: datetime.date | None = None) -> QuerySet[GroupMember]:
    """The personal VIPs of the customers of `region` that `by` sees who are in nobody's care `on` (today), in the
    order a deal hands them out: customer by customer, so that a customer's VIPs go to one manager as far as can be."""
    customers = Customer.objects.visible_to(by).filter(region__path__startswith=region.path)
    cared = VipAssignment.objects.active(on).filter(member=OuterRef("pk"))
    return (
        GroupMember.objects.filter(VIP_MEMBER, customer__in=customers)
        .filter(~Exists(cared))
        .order_by("customer_id", "pk")
    )


@dataclass
class VipDealPlan:
    region: Region
    managers: list[User]
    unassigned: int  # the personal VIPs of the region in nobody's care
    before: dict[int, int]  # manager id → VIPs in their care now
    taken: dict[int, int]  # manager id → VIPs they take
    overloaded: list[tuple[User, int]] = field(default_factory=list)  # those the deal puts above the line

    def rows(self) -> list[tuple[User, int, int, int]]:
        """(manager, VIPs now, taken, afterwards) per manager, in the order named."""
        return [(m, self.before[m.pk], self.taken[m.pk], self.before[m.pk] + self.taken[m.pk]) for m in self.managers]


def vip_deal_plan(*, by: User, region: Region, managers: list[User], on: datetime.date | None = None) -> VipDealPlan:
    """How the personal VIPs of `region` in nobody's care would be dealt among `managers`: one at a time to whoever
    then has the fewest (`rules.deal_quotas`), each taking a run of them in customer order. The preview and the
    deal read the same (`vips_unassigned`)."""
    unassigned = vips_unassigned(by=by, region=region, on=on).count()
    before = vip_counts([m.pk for m in managers], on)
    taken = deal_quotas(unassigned, before)
    overloaded = [
        (m, before[m.pk] + taken[m.pk])
        for m in managers
        if taken[m.pk] and before[m.pk] + taken[m.pk] > VIP_MANAGER_CAPACITY
    ]
    return VipDealPlan(region, managers, unassigned, before, taken, overloaded)


def vip_open_assignments(members: Iterable[int], on: datetime.date | None = None) -> QuerySet[VipAssignment]:
    return VipAssignment.objects.active(on).filter(member_id__in=list(members), ends_on__isnull=True)


def vip_manager_of(on: datetime.date | None = None) -> Subquery:
    """The id of the manager in whose care the outer member is `on` (today), for an annotation."""
    cared = VipAssignment.objects.active(on).filter(member=OuterRef("pk")).values("manager_id")[:1]
    return Subquery(cared)
