"""Reads of the team of one customer: the roles held, its status against the standard, its customer manager."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import OuterRef, Subquery

from accounts.models import Customer
from crm import permissions
from crm.models import User

from ..models import SINGLE_ROLES, TeamRole, TeamRoleKind
from ..rules import CUSTOMER_MANAGER, Standard, team_missing
from .service_standards import standards

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def roles_held(*, user: User, customer: Customer, on: datetime.date | None = None) -> list[str]:
    """The roles the user holds on the customer's team, the most senior first (the order of `TeamRoleKind`)."""
    known = permissions.roles_known(user, customer) if on is None else None
    if known is not None:
        held = set(known)
    else:
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

    def missing_labels(self) -> list[StrOrPromise]:
        return [TeamRoleKind(role).label for role in self.missing]

    def rows(self) -> list[tuple[str, StrOrPromise, User | None, bool]]:
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
    if standard:
        required = list(standard.required_roles)
    else:
        # A tier without a standard requires nobody, as the list filter, the gap counts and the KPIs say
        # (`team_complete`); an untiered customer is outside those, and its card still asks for a customer manager.
        required = [] if customer.tier else [CUSTOMER_MANAGER]
    held = [role for role, user in holders.items() if user is not None]
    return TeamStatus(holders, assistants, required, team_missing(required, held))


def customer_manager_of(on: datetime.date | None = None) -> Subquery:
    """The id of the customer's customer manager on `on` (today), or NULL."""
    holder = (
        TeamRole.objects.active(on).filter(customer=OuterRef("pk"), role=CUSTOMER_MANAGER).order_by().values("user_id")
    )
    return Subquery(holder[:1])
