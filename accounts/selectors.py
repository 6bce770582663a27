"""Reads of customer data. Every selector starts from `crm.visibility.visible_customers`."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from crm.models import User
from crm.visibility import visible_customers
from teams.models import TeamRole, TeamRoleKind

from .models import Customer, KeyPerson
from .validators import CUSTOMER_CODE_RE


def with_profile_facts(customers: QuerySet[Customer]) -> QuerySet[Customer]:
    """Annotate what profile completeness needs from other tables, so a page of customers costs one query."""
    return customers.select_related("region", "industry").annotate(
        has_key_person_mobile=Exists(KeyPerson.objects.filter(customer=OuterRef("pk")).exclude(mobile="")),
        has_customer_manager=Exists(
            TeamRole.objects.active().filter(customer=OuterRef("pk"), role=TeamRoleKind.CUSTOMER_MANAGER)
        ),
    )


def customer_list(*, user: User) -> QuerySet[Customer]:
    return with_profile_facts(visible_customers(user))


def customer_get(*, user: User, code: str) -> Customer:
    """The customer with this code if the user may see it; Http404 otherwise, whether it exists or not."""
    if not CUSTOMER_CODE_RE.match(code):  # e.g. a NUL byte, which PostgreSQL refuses outright
        raise Http404
    return get_object_or_404(customer_list(user=user), code=code)
