"""Writes of customer data. Views, serializers, admin, commands and tasks call these."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, CharField, QuerySet, Value, When
from django.utils.translation import gettext as _

from crm import audit, versions
from crm.models import AuditAction, User
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
    audit.record_created(user=user, obj=customer, fields=CUSTOMER_WRITABLE_FIELDS, customer=customer)
    hooks.customer_filed(customer=customer, user=user)
    hooks.customer_saved(customer=customer, user=user)
    return customer


@transaction.atomic
def customer_update(
    *, user: User, customer: Customer, data: dict[str, Any], version: str | list[str] | None = None
) -> Customer:
    """Write `data` over the customer as it is now, not over the copy the caller read: the row is locked, so that
    edits of different fields made at once all persist and what the floors above append (the tier's history)
    follows in the order of the writes. With the `version` the caller read (`crm.versions`), a stale edit is
    refused (StaleVersion). Returns the customer as written."""
    # The stored customer, not the instance: a ModelForm (the page's, the admin's) has set its values on it.
    stored = customer_lock(customer)
    versions.check(stored, version, fields=list(data), customer_id=stored.pk)
    before = audit.snapshot(stored, CUSTOMER_WRITABLE_FIELDS)
    previous_region = stored.region_id
    _assign(stored, data)
    stored.full_clean()
    if stored.region_id != previous_region:
        _check_region_visible(user=user, customer=stored)
    stored.save()
    audit.record_changed(user=user, obj=stored, before=before, fields=CUSTOMER_WRITABLE_FIELDS, customer=stored)
    hooks.customer_saved(customer=stored, user=user)
    versions.copy_stored(stored, customer)  # the caller's copy shows what was written
    return stored


def customer_lock(customer: Customer) -> Customer:
    """Lock the customer's row until the end of the transaction and return it as stored: the writes that append
    to a customer's history (its tier, team, plans' stages) take this first, so that they follow one another and
    the history agrees with the current value."""
    return Customer.objects.select_for_update(of=("self",)).select_related("region").get(pk=customer.pk)


KEY_PERSON_FIELDS = ("name", "title", "mobile", "is_decision_maker", "notes")
MEMBER_FIELDS = ("name", "mobile", "on_net", "verified", "arpu", "vip_level", "left_on")


@transaction.atomic
def key_person_create(*, customer: Customer, data: dict[str, Any], user: User | None = None) -> KeyPerson:
    person = KeyPerson(customer=customer, **data)
    person.full_clean()
    person.save()
    audit.record_created(user=user, obj=person, fields=KEY_PERSON_FIELDS, customer=customer)
    return person


@transaction.atomic
def group_member_create(*, customer: Customer, data: dict[str, Any], user: User | None = None) -> GroupMember:
    """Add a member to the customer; a member who had left (`left_on`, set by a replacing import) rejoins with
    the data given instead."""
    member = customer.members.select_for_update().filter(mobile=data.get("mobile")).first()
    if member is not None and member.left_on is None:
        raise ValidationError({"mobile": _("This customer already has a group member with this mobile number.")})
    before = audit.snapshot(member, MEMBER_FIELDS) if member is not None else {}
    if member is None:
        member = GroupMember(customer=customer, **data)
    else:
        for field, value in data.items():
            setattr(member, field, value)
        member.left_on = None
    member.vip_level = vip_level_for(member.arpu)
    member.full_clean()
    member.save()
    action = AuditAction.UPDATE if before else AuditAction.CREATE
    changes = audit.diff(before, audit.snapshot(member, MEMBER_FIELDS))
    audit.record(user=user, action=action, obj=member, customer=customer, changes=changes)
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
