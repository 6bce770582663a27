"""Writes of customer data. Views, serializers, admin, commands and tasks call these."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, CharField, QuerySet, Value, When
from django.utils.translation import gettext as _

from crm.models import User
from crm.visibility import filing_regions

from . import hooks
from .models import Customer, GroupMember, KeyPerson
from .rules import VIP_THRESHOLDS, vip_level_for

CUSTOMER_WRITABLE_FIELDS = (
    "code",
    "name",
    "uscc",
    "industry",
    "region",
    "address",
    "list_level",
    "handset_count",
    "employee_count",
    "monthly_spend",
    "informatization_revenue",
    "is_tax_top500",
    "is_major_influence",
    "status",
)


def _check_region_visible(*, user: User, customer: Customer) -> None:
    if not filing_regions(user).filter(pk=customer.region_id).exists():
        raise ValidationError({"region": _("You cannot file a customer under a region outside your territory.")})


def _assign(customer: Customer, data: dict[str, Any]) -> None:
    unknown = set(data) - set(CUSTOMER_WRITABLE_FIELDS)
    if unknown:
        raise ValidationError({field: _("This field cannot be written.") for field in sorted(unknown)})
    for field, value in data.items():
        setattr(customer, field, value)
    if customer.uscc == "":
        customer.uscc = None


@transaction.atomic
def customer_create(*, user: User, data: dict[str, Any]) -> Customer:
    """Create a customer in the user's territory; what the floors above do with a new customer (an account manager
    who files it becomes its customer manager, its tier is computed) runs through `hooks` in this transaction."""
    customer = Customer()
    _assign(customer, data)
    customer.full_clean()
    _check_region_visible(user=user, customer=customer)
    customer.save()
    hooks.customer_filed(customer=customer, user=user)
    hooks.customer_saved(customer=customer)
    return customer


@transaction.atomic
def customer_update(*, user: User, customer: Customer, data: dict[str, Any]) -> Customer:
    # The stored region, not the instance's: a ModelForm (the page's, the admin's) has set the new one on the
    # instance before it calls this.
    previous_region = Customer.objects.filter(pk=customer.pk).values_list("region_id", flat=True).first()
    _assign(customer, data)
    customer.full_clean()
    if customer.region_id != previous_region:
        _check_region_visible(user=user, customer=customer)
    customer.save()
    hooks.customer_saved(customer=customer)
    return customer


@transaction.atomic
def key_person_create(*, customer: Customer, data: dict[str, Any]) -> KeyPerson:
    person = KeyPerson(customer=customer, **data)
    person.full_clean()
    person.save()
    return person


@transaction.atomic
def group_member_create(*, customer: Customer, data: dict[str, Any]) -> GroupMember:
    """Add a member to the customer; a member who had left (`left_on`, set by a replacing import) rejoins with
    the data given instead."""
    member = customer.members.select_for_update().filter(mobile=data.get("mobile")).first()
    if member is not None and member.left_on is None:
        raise ValidationError({"mobile": _("This customer already has a group member with this mobile number.")})
    if member is None:
        member = GroupMember(customer=customer, **data)
    else:
        for field, value in data.items():
            setattr(member, field, value)
        member.left_on = None
    member.vip_level = vip_level_for(member.arpu)
    member.full_clean()
    member.save()
    return member


def vip_levels_apply(members: QuerySet[GroupMember]) -> int:
    """Set-based recompute of the members' VIP levels (SPEC §4.3), run with the tier recompute: one UPDATE
    with the levels of `vip_level_for` as a CASE, touching only rows whose level differs; returns how many."""
    level = Case(
        *(When(arpu__gte=threshold, then=Value(name)) for name, threshold in VIP_THRESHOLDS),
        default=Value(None),
        output_field=CharField(),
    )
    return members.filter(vip_level__distinct_from=level).update(vip_level=level)
