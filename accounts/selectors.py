"""Reads of customer data. Every selector starts from `crm.visibility.visible_customers`."""

from __future__ import annotations

import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Trim
from django.db.models.lookups import Exact
from django.http import Http404
from django.shortcuts import get_object_or_404

from crm.models import User
from crm.visibility import visible_customers
from teams.models import TeamRole, TeamRoleKind

from .models import Customer, CustomerStatus, KeyPerson, StatusPeriod
from .rules import FINE_REGION_LEVELS
from .validators import CUSTOMER_CODE_RE


def has_key_person_mobile() -> Exists:
    return Exists(KeyPerson.objects.filter(customer=OuterRef("pk")).exclude(mobile=""))


def has_customer_manager(on: datetime.date | None = None) -> Exists:
    return Exists(TeamRole.objects.active(on).filter(customer=OuterRef("pk"), role=TeamRoleKind.CUSTOMER_MANAGER))


def with_profile_facts(customers: QuerySet[Customer]) -> QuerySet[Customer]:
    """Annotate what profile completeness needs from other tables, so a page of customers costs one query."""
    return customers.select_related("region", "industry").annotate(
        has_key_person_mobile=has_key_person_mobile(), has_customer_manager=has_customer_manager()
    )


def profile_complete(on: datetime.date | None = None) -> Q:
    """The SQL twin of `rules.profile_missing(...) == []` (建档完整), with the customer manager of `on` (today).

    A stored USCC is a valid one: every write validates it (`validate_uscc`), so the database need not.
    """
    return (
        Q(uscc__isnull=False)
        & ~Q(uscc="")
        & Q(industry__isnull=False)
        & Q(region__level__in=FINE_REGION_LEVELS)
        & ~Exact(Trim("address"), Value(""))
        & Q(has_key_person_mobile())
        & Q(handset_count__gt=0)
        & Q(has_customer_manager(on))
    )


def active_on(day: datetime.date) -> Exists:
    """Whether the customer was active at the end of `day`, by its status history."""
    return Exists(
        StatusPeriod.objects.filter(
            Q(ends_on__isnull=True) | Q(ends_on__gt=day),
            customer=OuterRef("pk"),
            status=CustomerStatus.ACTIVE,
            starts_on__lte=day,
        )
    )


def customer_list(*, user: User) -> QuerySet[Customer]:
    return with_profile_facts(visible_customers(user))


def customer_get(*, user: User, code: str) -> Customer:
    """The customer with this code if the user may see it; Http404 otherwise, whether it exists or not."""
    if not CUSTOMER_CODE_RE.match(code):  # e.g. a NUL byte, which PostgreSQL refuses outright
        raise Http404
    return get_object_or_404(customer_list(user=user), code=code)
