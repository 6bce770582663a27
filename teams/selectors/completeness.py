"""Reads of team completeness across customers: roles held as bit masks, incomplete teams and their gaps."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

from django.db import connection
from django.db.models import (
    Case,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact

from accounts.models import Customer
from crm.models import User
from crm.snapshots import counted_for

from ..models import SINGLE_ROLES, TeamGapCount, TeamRole, held_on
from ..rules import Standard, team_missing
from .service_standards import standards

if TYPE_CHECKING:
    from django.db.models.expressions import Combinable
    from django_stubs_ext import WithAnnotations

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


class TeamMasks(TypedDict):
    """What `incomplete_teams` annotates on each customer: the single roles held and required, as masks."""

    held_roles: int
    required_roles: int


def incomplete_teams(
    user: User, missing_role: str | None = None, by_tier: dict[str, Standard] | None = None
) -> QuerySet[WithAnnotations[Customer, TeamMasks]]:
    """Visible tiered customers whose team lacks a role their tier's standard requires (SPEC §5.2), optionally only
    those lacking `missing_role`. Annotated `held_roles` and `required_roles` (masks; see `team_missing_of`).
    `by_tier`: the standards, when the caller has them already."""
    customers = (
        Customer.objects.visible_to(user)
        .filter(tier__isnull=False)
        .annotate(held_roles=_held_roles(), required_roles=_required_roles(by_tier or standards()))
    )
    required = F("required_roles")
    needed: Combinable = required if missing_role is None else required.bitand(ROLE_BITS[missing_role])
    # The roles needed but not held: those needed, less those of them held. (`bitand` combines any expression;
    # the stubs accept only an int.)
    held_needed = F("held_roles").bitand(needed)  # type: ignore[arg-type]
    return customers.annotate(lacking=ExpressionWrapper(needed - held_needed, IntegerField())).filter(lacking__gt=0)


def team_missing_of(customer: WithAnnotations[Customer, TeamMasks], by_tier: dict[str, Standard]) -> list[str]:
    """The roles missing on the team of a customer from `incomplete_teams`, in its standard's order."""
    standard = by_tier.get(customer.tier or "")
    return team_missing(standard.required_roles, roles_of_mask(customer.held_roles)) if standard else []


def team_complete(by_tier: dict[str, Standard], on: datetime.date | None = None) -> Exact:
    """The SQL twin of `rules.team_missing(...) == []` for a tiered customer: its team holds, on `on` (today), every
    single role its tier's standard requires (SPEC §5.2). A tier without a standard requires nobody."""
    required = _required_roles(by_tier)
    # `bitand` combines any expression; the stubs accept only an int.
    held_required = _held_roles(on).bitand(required)  # type: ignore[arg-type]
    return Exact(ExpressionWrapper(held_required, IntegerField()), required)


@dataclass
class TeamGaps:
    """How many visible tiered customers lack each single role their standard requires, and how many lack any; as
    of when, if they come from the night's counts (`TeamGapCount`), None when counted now."""

    by_role: dict[str, int]
    incomplete: int
    as_of: datetime.datetime | None = None


def per_customer_roles(customers: QuerySet[Customer]) -> QuerySet:
    """Each tiered customer of `customers` reduced to its region, its tier and the single roles held today (a mask):
    the rows `team_gaps` and the night's counts (`services.team_gaps_snapshot`) group."""
    return (
        customers.filter(tier__isnull=False)
        .order_by()
        .values("pk", "region_id", "tier")
        .annotate(held=Coalesce(_role_bits(prefix="team_roles__"), 0))
    )


def team_gaps(user: User, by_tier: dict[str, Standard] | None = None, *, live: bool = False) -> TeamGaps:
    """The gaps of every visible tiered customer's team.

    A territory's (department heads, provincial staff, headquarters) are added up from the night's counts per
    region (`TeamGapCount`) when there are some, and say as of when: counting them live reads every customer and
    team role of the territory (about 2 s over a province of a million customers). Otherwise, or with `live`, they
    are counted now, exactly, from one query: the database reduces each customer to its tier and the roles held
    today, then counts customers per (tier, roles held) — a few dozen rows, which the standards turn into counts
    here. Joined rather than probed per customer (`_held_roles`): about a third quicker over a whole province.
    `by_tier`: the standards, when the caller has them already.
    """
    by_tier = by_tier or standards()
    if not live and not user.sees_own_customers_only:
        counted = _counted_last_night(user)
        if counted is not None:
            rows, as_of = counted
            return _gaps(rows, by_tier, as_of)
    sql, params = per_customer_roles(Customer.objects.visible_to(user)).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tier, held, COUNT(*) FROM ({sql}) AS customers GROUP BY tier, held", params)
        return _gaps(cursor.fetchall(), by_tier, None)


def _counted_last_night(user: User) -> tuple[list[tuple[str, int, int]], datetime.datetime] | None:
    """The night's counts of the user's territory, per (tier, roles held), and when they were computed; None when
    the night has counted nothing yet."""
    return counted_for(user, TeamGapCount, ["tier", "held"])


def _gaps(
    rows: Iterable[tuple[str, int, int]], by_tier: dict[str, Standard], as_of: datetime.datetime | None
) -> TeamGaps:
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
    return TeamGaps(by_role=by_role, incomplete=incomplete, as_of=as_of)
