"""Reads of visits and what is due: visit statuses, due visits, second managers' duties, standard met or overdue."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict, cast

from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery, Value, prefetch_related_objects
from django.db.models.functions import Coalesce, Concat, NullIf
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import timezone

from accounts.models import Customer
from crm.models import User
from tiering.selectors import TIER_RANK

from .. import hooks
from ..models import UNVERIFIED_ON_SITE, TeamRole, Visit, VisitKind, VisitPhoto
from ..rules import (
    CUSTOMER_MANAGER,
    QUARTER,
    SECOND_MANAGER,
    SecondManagerDuties,
    Standard,
    VisitFact,
    VisitStatus,
    period_bounds,
    second_manager_duties,
    urgency,
    verification_matters,
    visit_status,
)
from .service_standards import standards

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

RECENT_VISITS = 10


def visits_visible(user: User) -> QuerySet[Visit]:
    return Visit.objects.filter(customer__in=Customer.objects.visible_to(user))


class VerifiedOnly:
    """Which customers' visit standard counts only verified on-site visits (外勤签到): those of the provinces that
    choose so (`hooks.verified_only_provinces`, which kpis fills; none while it is empty), as the visit compliance
    KPI counts them.

    The provinces cost a query, so they are asked at most once per instance (one per request: `verified_only_of`),
    and only for a customer whose visits the choice changes (`rules.verification_matters`): while this period's
    visits are all verified on site, or internal, the due lists read nothing more.
    """

    def __init__(self) -> None:
        self._paths: tuple[str, ...] | None = None

    @property
    def paths(self) -> tuple[str, ...]:
        """The strict provinces' region paths."""
        if self._paths is None:
            provider = hooks.verified_only_provinces.provider
            self._paths = tuple(provider()) if provider is not None else ()
        return self._paths

    def applies(self, region_path: str, visits: Iterable[VisitFact]) -> bool:
        """Whether only verified on-site visits are to count among these visits of a customer of this region; no
        matter (False) when that would change nothing. A region under a province's path is in it (`_in_any`)."""
        return verification_matters(visits) and any(region_path.startswith(path) for path in self.paths)


def verified_only_of(request) -> VerifiedOnly:
    """The strict provinces, asked at most once per request: the parts of one page share them."""
    if not hasattr(request, "_verified_only"):
        request._verified_only = VerifiedOnly()
    return request._verified_only


def _facts(
    customer_ids: Iterable[int], since: datetime.date, today: datetime.date
) -> tuple[dict[int, list[VisitFact]], dict[int, str]]:
    """The customers' visits from `since` to the end of `today`, and the region path of each customer visited (read
    with them, for `VerifiedOnly`)."""
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(since, datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(today + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    facts: dict[int, list[VisitFact]] = defaultdict(list)
    paths: dict[int, str] = {}
    rows = Visit.objects.filter(customer_id__in=list(customer_ids), visited_at__gte=start, visited_at__lt=end)
    for customer_id, visited_at, kind, role, verified, path in rows.values_list(
        "customer_id", "visited_at", "kind", "visitor_role", "verified", "customer__region__path"
    ):
        facts[customer_id].append(VisitFact(timezone.localdate(visited_at, tz), kind, role, verified=verified))
        paths[customer_id] = path
    return facts, paths


def visit_statuses(
    customers: Iterable[tuple[int, str | None]],
    today: datetime.date | None = None,
    by_tier: dict[str, Standard] | None = None,
    verified_only: VerifiedOnly | None = None,
) -> dict[int, VisitStatus]:
    """The visit status of each (customer id, tier) this period; customers without a tier or standard are left out.
    In a province that counts only verified on-site visits only those count, as for the KPI (`visits_met`).

    One query for the visits of all of them since the start of the quarter (the longest period); one more for the
    strict provinces when some visit is not verified on site (`VerifiedOnly`, shared by the parts of a page).
    """
    today = today or timezone.localdate()
    customers = [(pk, tier) for pk, tier in customers if tier]
    if not customers:
        return {}
    by_tier = by_tier if by_tier is not None else standards()
    tiered = [(pk, by_tier[tier]) for pk, tier in customers if tier in by_tier]
    if not tiered:
        return {}
    since, _ = period_bounds(QUARTER, today)
    facts, paths = _facts([pk for pk, _ in tiered], since, today)
    return _statuses(tiered, facts, paths, today, verified_only or VerifiedOnly())


def _statuses(
    tiered: list[tuple[int, Standard]],
    facts: Mapping[int, list[VisitFact]],
    paths: Mapping[int, str],
    today: datetime.date,
    verified_only: VerifiedOnly,
) -> dict[int, VisitStatus]:
    """Each customer's visit status from its visits since the start of the quarter (`_facts`, `_duty_facts`)."""
    statuses = {}
    for pk, standard in tiered:
        visits = facts.get(pk, [])
        start, _ = period_bounds(standard.period, today)
        this_period = [visit for visit in visits if visit.visited_on >= start]
        strict = bool(this_period) and verified_only.applies(paths[pk], this_period)
        statuses[pk] = visit_status(standard, visits, today, verified_only=strict)
    return statuses


def my_customers(user: User) -> QuerySet[Customer]:
    """The customers on whose team the user holds a role today."""
    return Customer.objects.visible_to(user).filter(
        pk__in=TeamRole.objects.active().filter(user=user).values("customer_id")
    )


@dataclass
class DueVisit:
    customer: Customer
    status: VisitStatus
    last_visit: datetime.datetime | None = None


def _my_statuses(
    user: User,
    today: datetime.date,
    by_tier: dict[str, Standard] | None = None,
    verified_only: VerifiedOnly | None = None,
) -> tuple[dict[int, Customer], dict[int, VisitStatus]]:
    customers = {c.pk: c for c in my_customers(user).filter(tier__isnull=False).select_related("region")}
    return customers, visit_statuses(((pk, c.tier) for pk, c in customers.items()), today, by_tier, verified_only)


def due_visit_count(
    user: User,
    today: datetime.date | None = None,
    by_tier: dict[str, Standard] | None = None,
    verified_only: VerifiedOnly | None = None,
) -> int:
    """How many of the user's customers still need a visit this period (the badge on *my customers*)."""
    _, statuses = _my_statuses(user, today or timezone.localdate(), by_tier, verified_only)
    return sum(not status.met for status in statuses.values())


def due_visits(
    user: User, today: datetime.date | None = None, verified_only: VerifiedOnly | None = None
) -> list[DueVisit]:
    """The user's customers whose standard is not met yet this period, most urgent first (SPEC §5.3). The last
    visit shown is the last contact, verified or not."""
    today = today or timezone.localdate()
    customers, statuses = _my_statuses(user, today, verified_only=verified_only)
    due = [DueVisit(customers[pk], status) for pk, status in statuses.items() if not status.met]
    last = dict(
        Visit.objects.filter(customer_id__in=[item.customer.pk for item in due])
        .exclude(kind=VisitKind.INTERNAL)
        .values("customer_id")
        .annotate(last=Max("visited_at"))
        .values_list("customer_id", "last")
    )
    tz = timezone.get_current_timezone()
    for item in due:
        item.last_visit = last.get(item.customer.pk)
    due.sort(
        key=lambda item: (
            urgency(
                item.status,
                today,
                TIER_RANK.get(item.customer.tier, 0),
                timezone.localdate(item.last_visit, tz) if item.last_visit else None,
            ),
            item.customer.code,
        )
    )
    return due


def _duty_facts(
    ids: list[int],
    today: datetime.date,
    roles: Mapping[int, Mapping[int, str]] | None = None,
    since: datetime.date | None = None,
) -> tuple[dict[int, list[VisitFact]], dict[int, str]]:
    """This month's visits of the customers (from `since`, when given), each with the roles (customer or second
    manager) of the staff present; and the region path of each customer visited (for `VerifiedOnly`). `roles`
    (customer → user → role), when the caller holds the teams already; else they are read. The visits come with
    their staff present in one query (a row per visit and person present)."""
    if roles is None:
        # customer → user → role, to name who else was at an internal sync
        read: defaultdict[int, dict[int, str]] = defaultdict(dict)
        for customer_id, user_id, role in (
            TeamRole.objects.active(today)
            .filter(customer_id__in=ids, role__in=[CUSTOMER_MANAGER, SECOND_MANAGER])
            .values_list("customer_id", "user_id", "role")
        ):
            read[customer_id][user_id] = role
        roles = read
    if since is None:
        since, _ = period_bounds("month", today)
    tz = timezone.get_current_timezone()
    rows = Visit.objects.filter(
        customer_id__in=ids,
        visited_at__gte=datetime.datetime.combine(since, datetime.time.min, tzinfo=tz),
        visited_at__lt=datetime.datetime.combine(today + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz),
    ).values_list(
        "pk", "customer_id", "visited_at", "kind", "visitor_role", "verified", "customer__region__path", "staff_present"
    )
    visits: dict[int, tuple] = {}
    present: defaultdict[int, set[str]] = defaultdict(set)
    for row in rows.order_by("visited_at", "pk"):
        pk, customer_id, staff_id = row[0], row[1], row[-1]
        visits.setdefault(pk, row[:-1])
        held = roles.get(customer_id, {}).get(staff_id) if staff_id is not None else None
        if held:
            present[pk].add(held)
    facts: dict[int, list[VisitFact]] = defaultdict(list)
    paths: dict[int, str] = {}
    for pk, customer_id, visited_at, kind, visitor_role, verified, path in visits.values():
        facts[customer_id].append(
            VisitFact(timezone.localdate(visited_at, tz), kind, visitor_role, frozenset(present[pk]), verified)
        )
        paths[customer_id] = path
    return facts, paths


def _duties(
    visits: list[VisitFact], region_path: str | None, today: datetime.date, verified_only: VerifiedOnly
) -> SecondManagerDuties:
    strict = bool(visits) and region_path is not None and verified_only.applies(region_path, visits)
    return second_manager_duties(visits, today, verified_only=strict)


@dataclass
class SecondManagerRow:
    customer: Customer
    customer_manager: User | None
    duties: SecondManagerDuties


def second_manager_rows(
    user: User, today: datetime.date | None = None, verified_only: VerifiedOnly | None = None
) -> list[SecondManagerRow]:
    """The customers the user is second manager of, with this month's duties: a visit (one that counts, as for the
    standard), and the sync with the customer manager (SPEC §5.1). Those with a duty still open come first."""
    today = today or timezone.localdate()
    ids = list(
        TeamRole.objects.active(today)
        .filter(user=user, role=SECOND_MANAGER, customer__in=Customer.objects.visible_to(user))
        .values_list("customer_id", flat=True)
    )
    if not ids:
        return []
    customers = Customer.objects.in_bulk(ids)
    managers = {
        role.customer_id: role.user
        for role in TeamRole.objects.active(today)
        .filter(customer_id__in=ids, role=CUSTOMER_MANAGER)
        .select_related("user")
    }
    facts, paths = _duty_facts(ids, today)
    verified_only = verified_only or VerifiedOnly()
    rows = [
        SecondManagerRow(
            customers[pk], managers.get(pk), _duties(facts.get(pk, []), paths.get(pk), today, verified_only)
        )
        for pk in ids
    ]
    rows.sort(key=lambda row: (row.duties.visited and row.duties.synced, row.customer.code))
    return rows


class Editable(TypedDict):
    """What `customer_visits` sets on each recent visit: whether the reader may edit it."""

    editable: bool


@dataclass
class CustomerVisits:
    """What the customer page shows of visits: the latest ones, this period's status and the second manager's."""

    recent: list[WithAnnotations[Visit, Editable]]
    status: VisitStatus | None
    second_manager: SecondManagerDuties | None


def customer_visits(
    *,
    user: User,
    customer: Customer,
    today: datetime.date | None = None,
    verified_only: VerifiedOnly | None = None,
    has_second_manager: bool | None = None,
    by_tier: dict[str, Standard] | None = None,
    holders: Mapping[str, User | None] | None = None,
) -> CustomerVisits:
    """The customer's recent visits, this period's status and the second manager's duties (`has_second_manager`:
    whether the customer has one today; `holders`: today's holder of each single role, from `team_status`, which
    says that and who they are; `by_tier`: the service standards — each when the caller read them already)."""
    today = today or timezone.localdate()
    photos = VisitPhoto.objects.filter(visit=OuterRef("pk")).order_by().values("visit").annotate(n=Count("*"))
    visits = list(
        customer.visits.select_related("visitor")
        .annotate(photo_count=Coalesce(Subquery(photos.values("n")), 0))
        .order_by("-visited_at", "-id")[:RECENT_VISITS]
    )
    # The photos only of the visits that have some: the page costs no query more while nobody takes photos.
    prefetch_related_objects([visit for visit in visits if visit.photo_count], "photos")
    # The same objects, typed with the flag the loop sets on them.
    recent = cast("list[WithAnnotations[Visit, Editable]]", visits)
    for visit in recent:
        visit.editable = visit.editable_by(user)
    verified_only = verified_only or VerifiedOnly()  # the status and the duties ask the provinces once at most
    roles = None
    if holders is not None:  # the team as the page read it: who holds the customer and second manager's roles
        has_second_manager = holders.get(SECOND_MANAGER) is not None
        roles = {
            customer.pk: {
                holder.pk: role for role in (CUSTOMER_MANAGER, SECOND_MANAGER) if (holder := holders.get(role))
            }
        }
    if has_second_manager is None:
        has_second_manager = TeamRole.objects.active(today).filter(customer=customer, role=SECOND_MANAGER).exists()
    if not has_second_manager:
        status = visit_statuses([(customer.pk, customer.tier)], today, by_tier, verified_only).get(customer.pk)
        return CustomerVisits(recent, status, None)
    # The status's visits (since the quarter began) and the duties' (this month, with who was present) in one read.
    by_tier = by_tier if by_tier is not None else standards()
    facts, paths = _duty_facts([customer.pk], today, roles, since=period_bounds(QUARTER, today)[0])
    standard = by_tier.get(customer.tier) if customer.tier else None
    status = (
        _statuses([(customer.pk, standard)], facts, paths, today, verified_only).get(customer.pk) if standard else None
    )
    month_start, _ = period_bounds("month", today)
    this_month = [visit for visit in facts.get(customer.pk, []) if visit.visited_on >= month_start]
    duties = _duties(this_month, paths.get(customer.pk), today, verified_only)
    return CustomerVisits(recent, status, duties)


def _visits_in(since: datetime.date, on: datetime.date, role: str = "", verified_only: bool = False) -> Coalesce:
    """How many visits that count (`rules.visit_counts`) to the customer from `since` to the end of `on`,
    optionally only those made in `role`."""
    tz = timezone.get_current_timezone()
    visits = Visit.objects.filter(
        customer=OuterRef("pk"),
        visited_at__gte=datetime.datetime.combine(since, datetime.time.min, tzinfo=tz),
        visited_at__lt=datetime.datetime.combine(on + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz),
    )
    visits = (
        visits.filter(kind=VisitKind.ONSITE, verified=True)
        if verified_only
        else visits.exclude(kind=VisitKind.INTERNAL)
    )
    if role:
        visits = visits.filter(visitor_role=role)
    return Coalesce(Subquery(visits.order_by().values("customer").annotate(n=Count("*")).values("n")), 0)


def _met_on(tier: str, standard: Standard, on: datetime.date, verified_only: bool = False) -> Q:
    since, _ = period_bounds(standard.period, on)
    met = Q(tier=tier) & Q(
        GreaterThanOrEqual(_visits_in(since, on, verified_only=verified_only), standard.visits_required)
    )
    if standard.visits_role and standard.visits_role_required:
        done_by_role = _visits_in(since, on, standard.visits_role, verified_only)
        met &= Q(GreaterThanOrEqual(done_by_role, standard.visits_role_required))
    return met


def _in_any(paths: Sequence[str]) -> Q:
    """Customers of the regions under any of `paths` (provinces' paths)."""
    inside = Q(pk__in=[])
    for path in paths:
        inside |= Q(region__path__startswith=path)
    return inside


def _met(tier: str, standard: Standard, on: datetime.date, verified_only_in: Sequence[str]) -> Q:
    """`_met_on`, counting only verified on-site visits for the customers of the provinces that choose so."""
    if not verified_only_in:
        return _met_on(tier, standard, on)
    strict = _in_any(verified_only_in)
    return (strict & _met_on(tier, standard, on, verified_only=True)) | (~strict & _met_on(tier, standard, on))


def visits_met(by_tier: dict[str, Standard], on: datetime.date, verified_only_in: Sequence[str] = ()) -> Q:
    """The SQL twin of `rules.visit_status(...).met` on `on`: the customer's tier has a standard, and the visits of
    the standard's period up to `on` meet it, overall and by the standard's role (SPEC §5.2). In the provinces
    whose paths are in `verified_only_in` only verified on-site visits count (`rules.visit_counts`)."""
    met = Q(pk__in=[])
    for tier, standard in by_tier.items():
        met |= _met(tier, standard, on, verified_only_in)
    return met


def visits_overdue(by_tier: dict[str, Standard], today: datetime.date, verified_only_in: Sequence[str] = ()) -> Q:
    """Customers whose standard's last finished period (the month or quarter before the one of `today`) ended
    without its visits (逾期); `verified_only_in` as for `visits_met`."""
    overdue = Q(pk__in=[])
    for tier, standard in by_tier.items():
        last_day = period_bounds(standard.period, today)[0] - datetime.timedelta(days=1)
        overdue |= Q(tier=tier) & ~_met(tier, standard, last_day, verified_only_in)
    return overdue


def unverified_visits(user: User) -> QuerySet[Visit]:
    """The on-site visits to the customers the user sees (§2) that their check-in did not verify (外勤签到), the
    newest first: what a department head reviews."""
    return (
        visits_visible(user)
        .filter(UNVERIFIED_ON_SITE)
        .select_related("customer", "visitor")
        .order_by("-visited_at", "-id")
    )


def managers_and_last_visits(customer_ids: Sequence[int]) -> dict[int, tuple[str, datetime.datetime | None]]:
    """For each customer, its customer manager's name today (blank when it has none) and the time of its last
    visit (internal meetings aside, as for the due visits), in one query whatever the number of customers: the
    manager and the last visit columns of the customer list a department head or provincial staff reads."""
    if not customer_ids:
        return {}
    name = Coalesce(NullIf(Concat("user__last_name", "user__first_name"), Value("")), "user__username")
    manager = (
        TeamRole.objects.active()
        .filter(customer=OuterRef("pk"), role=CUSTOMER_MANAGER)
        .order_by("-starts_on")
        .annotate(name=name)
        .values("name")
    )
    last_visit = (
        Visit.objects.filter(customer=OuterRef("pk"))
        .exclude(kind=VisitKind.INTERNAL)
        .order_by("-visited_at")
        .values("visited_at")
    )
    rows = (
        Customer.objects.filter(pk__in=list(customer_ids))
        .order_by()
        .annotate(manager_name=Subquery(manager[:1]), last_visit=Subquery(last_visit[:1]))
        .values_list("pk", "manager_name", "last_visit")
    )
    return {pk: (manager_name or "", visited_at) for pk, manager_name, visited_at in rows}
