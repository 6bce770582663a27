"""Reads of teams, standards and visits. Everything about customers starts from `visible_customers`."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import (
    Case,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact, GreaterThanOrEqual
from django.utils import timezone

from accounts.models import Customer
from crm.models import Role, User
from crm.visibility import territory_path, visible_customers

from .models import SINGLE_ROLES, ServiceStandard, TeamRole, TeamRoleKind, Visit, VisitKind, held_on
from .rules import (
    CUSTOMER_MANAGER,
    MANAGER_CAPACITY,
    QUARTER,
    SECOND_MANAGER,
    SecondManagerDuties,
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

RECENT_VISITS = 10


def standards() -> dict[str, Standard]:
    """The service standards in force, by tier."""
    return {
        row.tier: Standard(
            required_roles=tuple(row.required_roles),
            period=row.period,
            visits_required=row.visits_required,
            visits_role=row.visits_role,
            visits_role_required=row.visits_role_required,
        )
        for row in ServiceStandard.objects.all()
    }


# -- the team of one customer --------------------------------------------------------------------------------------


def roles_held(*, user: User, customer: Customer, on: datetime.date | None = None) -> list[str]:
    """The roles the user holds on the customer's team, the most senior first (the order of `TeamRoleKind`)."""
    held = set(
        TeamRole.objects.active(on).filter(customer=customer, user=user).order_by().values_list("role", flat=True)
    )
    return [kind.value for kind in TeamRoleKind if kind in held]


def team_member_ids(customer: Customer) -> list[int]:
    return list(TeamRole.objects.active().filter(customer=customer).values_list("user_id", flat=True))


@dataclass
class TeamStatus:
    holders: dict[str, User | None]  # every single role, None when vacant
    assistants: list[User]
    required: list[str]
    missing: list[str]

    @property
    def complete(self) -> bool:
        return not self.missing

    def missing_labels(self) -> list[str]:
        return [TeamRoleKind(role).label for role in self.missing]

    def rows(self) -> list[tuple[str, str, User | None, bool]]:
        """(role, label, holder, required) for every single role, for the team card."""
        return [(role, TeamRoleKind(role).label, self.holders[role], role in self.required) for role in self.holders]


def team_status(customer: Customer, standard_by_tier: dict[str, Standard] | None = None) -> TeamStatus:
    roles = TeamRole.objects.active().filter(customer=customer).select_related("user").order_by("role", "starts_on")
    holders: dict[str, User | None] = {role.value: None for role in SINGLE_ROLES}
    assistants = []
    for role in roles:
        if role.role == TeamRoleKind.ASSISTANT:
            assistants.append(role.user)
        else:
            holders[role.role] = role.user
    standard = (standard_by_tier or standards()).get(customer.tier or "")
    required = list(standard.required_roles) if standard else [CUSTOMER_MANAGER]
    held = [role for role, user in holders.items() if user is not None]
    return TeamStatus(holders, assistants, required, team_missing(required, held))


# -- visits and what is due ----------------------------------------------------------------------------------------


def visits_visible(user: User) -> QuerySet[Visit]:
    return Visit.objects.filter(customer__in=visible_customers(user))


def _facts(customer_ids: Iterable[int], since: datetime.date, today: datetime.date) -> dict[int, list[VisitFact]]:
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(since, datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(today + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    facts: dict[int, list[VisitFact]] = defaultdict(list)
    rows = Visit.objects.filter(customer_id__in=list(customer_ids), visited_at__gte=start, visited_at__lt=end)
    for customer_id, visited_at, kind, role in rows.values_list("customer_id", "visited_at", "kind", "visitor_role"):
        facts[customer_id].append(VisitFact(timezone.localdate(visited_at, tz), kind, role))
    return facts


def visit_statuses(
    customers: Iterable[tuple[int, str | None]],
    today: datetime.date | None = None,
    by_tier: dict[str, Standard] | None = None,
) -> dict[int, VisitStatus]:
    """The visit status of each (customer id, tier) this period; customers without a tier or standard are left out.

    One query for the visits of all of them since the start of the quarter (the longest period).
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
    facts = _facts([pk for pk, _ in tiered], since, today)
    return {pk: visit_status(standard, facts.get(pk, []), today) for pk, standard in tiered}


def my_customers(user: User) -> QuerySet[Customer]:
    """The customers on whose team the user holds a role today."""
    return visible_customers(user).filter(pk__in=TeamRole.objects.active().filter(user=user).values("customer_id"))


@dataclass
class DueVisit:
    customer: Customer
    status: VisitStatus
    last_visit: datetime.datetime | None = None


def _my_statuses(
    user: User, today: datetime.date, by_tier: dict[str, Standard] | None = None
) -> tuple[dict[int, Customer], dict[int, VisitStatus]]:
    customers = {c.pk: c for c in my_customers(user).filter(tier__isnull=False).select_related("region")}
    return customers, visit_statuses(((pk, c.tier) for pk, c in customers.items()), today, by_tier)


def due_visit_count(user: User, today: datetime.date | None = None, by_tier: dict[str, Standard] | None = None) -> int:
    """How many of the user's customers still need a visit this period (the badge on *my customers*)."""
    _, statuses = _my_statuses(user, today or timezone.localdate(), by_tier)
    return sum(not status.met for status in statuses.values())


def due_visits(user: User, today: datetime.date | None = None) -> list[DueVisit]:
    """The user's customers whose standard is not met yet this period, most urgent first (SPEC §5.3)."""
    today = today or timezone.localdate()
    customers, statuses = _my_statuses(user, today)
    due = [DueVisit(customers[pk], status) for pk, status in statuses.items() if not status.met]
    last = dict(
        Visit.objects.filter(customer_id__in=[item.customer.pk for item in due])
        .exclude(kind=VisitKind.INTERNAL)
        .values("customer_id")
        .annotate(last=Max("visited_at"))
        .values_list("customer_id", "last")
    )
    for item in due:
        item.last_visit = last.get(item.customer.pk)
    due.sort(key=lambda item: (urgency(item.status, today), item.customer.code))
    return due


def _duty_facts(ids: list[int], today: datetime.date) -> dict[int, list[VisitFact]]:
    """This month's visits of the customers, each with the roles (customer or second manager) of the staff present."""
    roles_on = defaultdict(dict)  # customer → user → role, to name who else was at an internal sync
    for customer_id, user_id, role in (
        TeamRole.objects.active(today)
        .filter(customer_id__in=ids, role__in=[CUSTOMER_MANAGER, SECOND_MANAGER])
        .values_list("customer_id", "user_id", "role")
    ):
        roles_on[customer_id][user_id] = role
    month_start, _ = period_bounds("month", today)
    tz = timezone.get_current_timezone()
    visits = (
        Visit.objects.filter(
            customer_id__in=ids,
            visited_at__gte=datetime.datetime.combine(month_start, datetime.time.min, tzinfo=tz),
        )
        .prefetch_related("staff_present")
        .only("customer_id", "visited_at", "kind", "visitor_role")
    )
    facts: dict[int, list[VisitFact]] = defaultdict(list)
    for visit in visits:
        present = frozenset(
            roles_on[visit.customer_id][staff.pk]
            for staff in visit.staff_present.all()
            if staff.pk in roles_on[visit.customer_id]
        )
        facts[visit.customer_id].append(
            VisitFact(timezone.localdate(visit.visited_at, tz), visit.kind, visit.visitor_role, present)
        )
    return facts


@dataclass
class SecondManagerRow:
    customer: Customer
    customer_manager: User | None
    duties: SecondManagerDuties


def second_manager_rows(user: User, today: datetime.date | None = None) -> list[SecondManagerRow]:
    """The customers the user is second manager of, with this month's duties: a visit, and the sync with the
    customer manager (SPEC §5.1). Those with a duty still open come first."""
    today = today or timezone.localdate()
    ids = list(
        TeamRole.objects.active(today)
        .filter(user=user, role=SECOND_MANAGER, customer__in=visible_customers(user))
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
    facts = _duty_facts(ids, today)
    rows = [
        SecondManagerRow(customers[pk], managers.get(pk), second_manager_duties(facts.get(pk, []), today)) for pk in ids
    ]
    rows.sort(key=lambda row: (row.duties.visited and row.duties.synced, row.customer.code))
    return rows


@dataclass
class CustomerVisits:
    """What the customer page shows of visits: the latest ones, this period's status and the second manager's."""

    recent: list[Visit]
    status: VisitStatus | None
    second_manager: SecondManagerDuties | None


def customer_visits(*, user: User, customer: Customer, today: datetime.date | None = None) -> CustomerVisits:
    today = today or timezone.localdate()
    recent = list(customer.visits.select_related("visitor").order_by("-visited_at", "-id")[:RECENT_VISITS])
    for visit in recent:
        visit.editable = visit.editable_by(user)
    status = visit_statuses([(customer.pk, customer.tier)], today).get(customer.pk)
    has_second_manager = TeamRole.objects.active(today).filter(customer=customer, role=SECOND_MANAGER).exists()
    duties = (
        second_manager_duties(_duty_facts([customer.pk], today).get(customer.pk, []), today)
        if has_second_manager
        else None
    )
    return CustomerVisits(recent, status, duties)


# -- the department head's views -----------------------------------------------------------------------------------


ROLE_BITS = {role.value: 1 << index for index, role in enumerate(SINGLE_ROLES)}


def roles_of_mask(mask: int) -> list[str]:
    return [role for role, bit in ROLE_BITS.items() if mask & bit]


def _mask_of(roles: Iterable[str]) -> int:
    return sum(ROLE_BITS[role] for role in set(roles))


def _role_bits(prefix: str = "") -> Sum:
    """The sum of the distinct bits (ROLE_BITS) of the roles in `prefix`role: the set of single roles, as a mask.
    Through a relation (`prefix`) only the roles held today count; on TeamRole itself the caller filters them."""
    bit = Case(*(When(**{f"{prefix}role": role}, then=Value(value)) for role, value in ROLE_BITS.items()), default=0)
    return Sum(bit, distinct=True, filter=held_on(prefix=prefix) if prefix else None)


def _held_roles(on: datetime.date | None = None) -> Coalesce:
    """The single roles held on the customer's team on `on` (today), as a mask: one probe per customer into the
    index on (customer, role), which carries the dates; quick for a page of customers."""
    held = (
        TeamRole.objects.active(on)
        .filter(customer=OuterRef("pk"))
        .order_by()
        .values("customer")
        .annotate(mask=_role_bits())
        .values("mask")
    )
    return Coalesce(Subquery(held), 0)


def _required_roles(by_tier: dict[str, Standard]) -> Case:
    """The single roles the customer's tier requires (SPEC §5.2), a bit per role; none for a tier without a standard."""
    return Case(
        *(When(tier=tier, then=Value(_mask_of(standard.required_roles))) for tier, standard in by_tier.items()),
        default=Value(0),
    )


def incomplete_teams(
    user: User, missing_role: str | None = None, by_tier: dict[str, Standard] | None = None
) -> QuerySet[Customer]:
    """Visible tiered customers whose team lacks a role their tier's standard requires (SPEC §5.2), optionally only
    those lacking `missing_role`. Annotated `held_roles` and `required_roles` (masks; see `team_missing_of`).
    `by_tier`: the standards, when the caller has them already."""
    customers = (
        visible_customers(user)
        .filter(tier__isnull=False)
        .annotate(held_roles=_held_roles(), required_roles=_required_roles(by_tier or standards()))
    )
    required = F("required_roles")
    needed = required if missing_role is None else required.bitand(ROLE_BITS[missing_role])
    # The roles needed but not held: those needed, less those of them held.
    return customers.annotate(
        lacking=ExpressionWrapper(needed - F("held_roles").bitand(needed), IntegerField())
    ).filter(lacking__gt=0)


def team_missing_of(customer: Customer, by_tier: dict[str, Standard]) -> list[str]:
    """The roles missing on the team of a customer from `incomplete_teams`, in its standard's order."""
    standard = by_tier.get(customer.tier)
    return team_missing(standard.required_roles, roles_of_mask(customer.held_roles)) if standard else []


def team_complete(by_tier: dict[str, Standard], on: datetime.date | None = None) -> Exact:
    """The SQL twin of `rules.team_missing(...) == []` for a tiered customer: its team holds, on `on` (today), every
    single role its tier's standard requires (SPEC §5.2). A tier without a standard requires nobody."""
    required = _required_roles(by_tier)
    return Exact(ExpressionWrapper(_held_roles(on).bitand(required), IntegerField()), required)


def _visits_in(since: datetime.date, on: datetime.date, role: str = "") -> Coalesce:
    """How many visits to the customer (internal syncs do not count) from `since` to the end of `on`, optionally
    only those made in `role`."""
    tz = timezone.get_current_timezone()
    visits = Visit.objects.filter(
        customer=OuterRef("pk"),
        visited_at__gte=datetime.datetime.combine(since, datetime.time.min, tzinfo=tz),
        visited_at__lt=datetime.datetime.combine(on + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz),
    ).exclude(kind=VisitKind.INTERNAL)
    if role:
        visits = visits.filter(visitor_role=role)
    return Coalesce(Subquery(visits.order_by().values("customer").annotate(n=Count("*")).values("n")), 0)


def _met_on(tier: str, standard: Standard, on: datetime.date) -> Q:
    since, _ = period_bounds(standard.period, on)
    met = Q(tier=tier) & Q(GreaterThanOrEqual(_visits_in(since, on), standard.visits_required))
    if standard.visits_role and standard.visits_role_required:
        done_by_role = _visits_in(since, on, standard.visits_role)
        met &= Q(GreaterThanOrEqual(done_by_role, standard.visits_role_required))
    return met


def visits_met(by_tier: dict[str, Standard], on: datetime.date) -> Q:
    """The SQL twin of `rules.visit_status(...).met` on `on`: the customer's tier has a standard, and the visits of
    the standard's period up to `on` meet it, overall and by the standard's role (SPEC §5.2)."""
    met = Q(pk__in=[])
    for tier, standard in by_tier.items():
        met |= _met_on(tier, standard, on)
    return met


def visits_overdue(by_tier: dict[str, Standard], today: datetime.date) -> Q:
    """Customers whose standard's last finished period (the month or quarter before the one of `today`) ended
    without its visits (逾期)."""
    overdue = Q(pk__in=[])
    for tier, standard in by_tier.items():
        last_day = period_bounds(standard.period, today)[0] - datetime.timedelta(days=1)
        overdue |= Q(tier=tier) & ~_met_on(tier, standard, last_day)
    return overdue


def customer_manager_of(on: datetime.date | None = None) -> Subquery:
    """The id of the customer's customer manager on `on` (today), or NULL."""
    holder = (
        TeamRole.objects.active(on).filter(customer=OuterRef("pk"), role=CUSTOMER_MANAGER).order_by().values("user_id")
    )
    return Subquery(holder[:1])


@dataclass
class TeamGaps:
    """How many visible tiered customers lack each single role their standard requires, and how many lack any."""

    by_role: dict[str, int]
    incomplete: int


def team_gaps(user: User, by_tier: dict[str, Standard] | None = None) -> TeamGaps:
    """The gaps of every visible tiered customer's team, exactly, from one query.

    The database reduces each customer to its tier and the roles held today, then counts customers per (tier,
    roles held): a few dozen rows, which the standards turn into counts here. Joined rather than probed per
    customer (`_held_roles`): about a third quicker over a whole province. `by_tier`: the standards, when the caller
    has them already.
    """
    per_customer = (
        visible_customers(user)
        .filter(tier__isnull=False)
        .order_by()
        .values("pk", "tier")
        .annotate(held=Coalesce(_role_bits(prefix="team_roles__"), 0))
    )
    sql, params = per_customer.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tier, held, COUNT(*) FROM ({sql}) AS customers GROUP BY tier, held", params)
        rows = cursor.fetchall()
    by_tier = by_tier or standards()
    by_role = dict.fromkeys(ROLE_BITS, 0)
    incomplete = 0
    for tier, held, count in rows:
        standard = by_tier.get(tier)
        if standard is None:  # a tier without a standard requires nobody
            continue
        missing = team_missing(standard.required_roles, roles_of_mask(held))
        incomplete += count if missing else 0
        for role in missing:
            by_role[role] += count
    return TeamGaps(by_role=by_role, incomplete=incomplete)


def staff_pool(user: User) -> QuerySet[User]:
    """The staff a department head (or provincial staff) works with: their department's members, or for provincial
    staff and above everyone of their territory."""
    staff = User.objects.filter(is_active=True).exclude(role=Role.HQ_ADMIN)
    if user.role == Role.DEPARTMENT_HEAD:
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
        .filter(role=Role.ACCOUNT_MANAGER)
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
        .filter(user=leaving, customer__in=visible_customers(by))
        .values_list("customer_id", "role")
        .order_by("customer_id")
    )
    managed, other = [], []
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
