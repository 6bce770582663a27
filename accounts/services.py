"""Writes of customer data. Views, serializers, admin, commands and tasks call these."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, CharField, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import audit, versions
from crm.models import AuditAction, User
from crm.permissions import may, require
from crm.visibility import filing_regions

from . import hooks, selectors
from .models import Customer, GroupMember, KeyPerson, ListLevel, LocationSource
from .rules import VIP_THRESHOLDS, vip_level_for

CUSTOMER_WRITABLE_FIELDS = (
    "code",
    "name",
    "uscc",
    "industry",
    "region",
    "address",
    "list_level",
    "parent",
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


def _check_group(*, user: User | None, customer: Customer, parent_changed: bool, level_changed: bool) -> None:
    """A parent given is one the user sees (§2: an outsider's customer is no customer; the model refuses a cycle),
    and the user still manages the customer once it has it (issue 21): only a national- or provincial-list group's
    account team adds branches to it or lists a customer at that level. None is the system (an import, a
    command), which has been checked before it writes."""
    if user is None:
        return
    parent = customer.parent if customer.parent_id is not None else None
    if parent_changed and parent is not None:
        if selectors.customer_visible_by_code(user=user, code=parent.code) is None:
            raise ValidationError({"parent": selectors.parent_unknown(parent.code)})
    if (parent_changed or level_changed) and not may(user, "accounts.keep_listed_customer", customer):
        if parent_changed and parent is not None:
            message = _(
                "Parent group: %(code)s heads a national- or provincial-list group; only its account team and the "
                "group-customer department at that level add branches to it."
            ) % {"code": parent.code}
            raise ValidationError({"parent": message})
        raise ValidationError(
            {
                "list_level": _(
                    "List level: only the account team and the group-customer department of a national or "
                    "provincial list place a customer on it."
                )
            }
        )


def _check_still_seen(*, user: User, customer: Customer) -> None:
    """Moved out of a group, a branch may leave what its group's account team sees (issue 21): refused (the
    transaction rolls back), as a move to a region outside the user's territory is."""
    if not Customer.objects.visible_to(user).filter(pk=customer.pk).exists():
        raise ValidationError(
            {
                "parent": _(
                    "Parent group: out of this group the customer would be outside what you see; its department "
                    "head or provincial staff can take it out."
                )
            }
        )


def _assign(customer: Customer, data: dict[str, Any]) -> None:
    unknown = set(data) - set(CUSTOMER_WRITABLE_FIELDS)
    if unknown:
        raise ValidationError({field: _("This field cannot be written.") for field in sorted(unknown)})
    for field, value in data.items():
        setattr(customer, field, value)
    if customer.uscc == "":
        customer.uscc = None


@transaction.atomic
def customer_create(
    *,
    user: User,
    data: dict[str, Any],
    location: tuple[float, float] | None = None,
    location_source: str = LocationSource.IMPORT,
) -> Customer:
    """Create a customer in the user's territory; what the floors above do with a new customer (an account manager
    who files it becomes its customer manager, its tier is computed) runs through `hooks` in this transaction.
    `location` (latitude, longitude) comes with where it came from (`LocationSource`): the data of a form or the API
    carry none, a converted prospect its filing's."""
    customer = Customer()
    _assign(customer, data)
    fields: tuple[str, ...] = CUSTOMER_WRITABLE_FIELDS
    if location is not None:
        customer.latitude, customer.longitude = location
        customer.location_source = location_source
        fields = (*fields, "latitude", "longitude", "location_source")
    customer.full_clean()
    _check_region_visible(user=user, customer=customer)
    _check_group(
        user=user,
        customer=customer,
        parent_changed=customer.parent_id is not None,
        level_changed=customer.list_level != ListLevel.CITY,
    )
    customer.save()
    audit.record_created(user=user, obj=customer, fields=fields, customer=customer)
    hooks.customer_filed(customer=customer, user=user)
    hooks.customer_saved(customer=customer, user=user, former_parent_id=None)
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
    if user is not None:
        # A national- or provincial-list customer (or a branch of such a group) is its account team's (issue 21).
        require(user, "accounts.keep_listed_customer", stored)
        require(user, "accounts.change_customer", stored)
    versions.check(stored, version, fields=list(data), customer_id=stored.pk)
    before = audit.snapshot(stored, CUSTOMER_WRITABLE_FIELDS)
    previous_region, previous_parent, previous_level = stored.region_id, stored.parent_id, stored.list_level
    _assign(stored, data)
    stored.full_clean()
    if stored.region_id != previous_region:
        _check_region_visible(user=user, customer=stored)
    _check_group(
        user=user,
        customer=stored,
        parent_changed=stored.parent_id != previous_parent,
        level_changed=stored.list_level != previous_level,
    )
    stored.save()
    if user is not None and stored.parent_id != previous_parent:
        _check_still_seen(user=user, customer=stored)
    audit.record_changed(user=user, obj=stored, before=before, fields=CUSTOMER_WRITABLE_FIELDS, customer=stored)
    left = previous_parent if previous_parent is not None and stored.parent_id != previous_parent else None
    hooks.customer_saved(customer=stored, user=user, former_parent_id=left)
    versions.copy_stored(stored, customer)  # the caller's copy shows what was written
    return stored


def customer_lock(customer: Customer) -> Customer:
    """Lock the customer's row until the end of the transaction and return it as stored: the writes that append
    to a customer's history (its tier, team, plans' stages) take this first, so that they follow one another and
    the history agrees with the current value."""
    return Customer.objects.select_for_update(of=("self",)).select_related("region").get(pk=customer.pk)


LOCATION_FIELDS = ("latitude", "longitude", "location_source", "location_confirmed_by", "location_confirmed_at")


@transaction.atomic
def customer_location_set(
    *, user: User, customer: Customer, latitude: float, longitude: float, source: str = LocationSource.VISIT
) -> Customer:
    """Set the position field visits are checked against, confirmed by `user` (a department head or above who
    sees the customer: `accounts.confirm_location`). Visits logged before keep the distance they were checked at."""
    require(user, "accounts.confirm_location", customer)
    stored = customer_lock(customer)
    before = audit.snapshot(stored, LOCATION_FIELDS)
    stored.latitude, stored.longitude, stored.location_source = latitude, longitude, source
    stored.location_confirmed_by, stored.location_confirmed_at = user, timezone.now()
    stored.full_clean(
        exclude=[field.name for field in Customer._meta.fields if field.name not in ("latitude", "longitude")],
        validate_unique=False,
    )
    stored.save(update_fields=[*LOCATION_FIELDS, "updated_at"])
    audit.record_changed(user=user, obj=stored, before=before, fields=LOCATION_FIELDS, customer=stored)
    versions.copy_stored(stored, customer)
    return stored


KEY_PERSON_FIELDS = ("name", "title", "mobile", "is_decision_maker", "notes")
MEMBER_FIELDS = ("name", "mobile", "on_net", "verified", "arpu", "vip_level", "left_on")


def _require_people_right(user: User | None, customer: Customer) -> None:
    """A person's write is refused unless they keep the customer's records; None is the system (an import, a
    command), which has been checked before it writes."""
    if user is not None:
        require(user, "accounts.change_people", customer)


def _check_key_person_mobile_free(person: KeyPerson) -> None:
    """One key person per mobile number and customer (the database's constraint), said of the mobile field: the
    constraint's own message names neither the field nor the number's owner."""
    if not person.mobile:
        return
    taken = KeyPerson.objects.filter(customer_id=person.customer_id, mobile=person.mobile).exclude(pk=person.pk)
    if taken.exists():
        raise ValidationError({"mobile": _("This customer already has a key person with this mobile number.")})


@transaction.atomic
def key_person_create(*, customer: Customer, data: dict[str, Any], user: User | None = None) -> KeyPerson:
    _require_people_right(user, customer)
    person = KeyPerson(customer=customer, **data)
    _check_key_person_mobile_free(person)
    person.full_clean()
    person.save()
    audit.record_created(user=user, obj=person, fields=KEY_PERSON_FIELDS, customer=customer)
    return person


@transaction.atomic
def group_member_create(*, customer: Customer, data: dict[str, Any], user: User | None = None) -> GroupMember:
    """Add a member to the customer; a member who had left (`left_on`, set by a replacing import) rejoins with
    the data given instead."""
    _require_people_right(user, customer)
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


@transaction.atomic
def key_person_update(
    *, user: User, person: KeyPerson, data: dict[str, Any], version: str | list[str] | None = None
) -> KeyPerson:
    """Write `data` over the key person as stored (the row locked); with the `version` the caller read, an edit
    made on a key person changed meanwhile is refused (StaleVersion)."""
    _require_people_right(user, person.customer)
    stored = KeyPerson.objects.select_for_update().get(pk=person.pk)
    versions.check(stored, version, fields=list(data), customer_id=stored.customer_id)
    before = audit.snapshot(stored, KEY_PERSON_FIELDS)
    unknown = set(data) - set(KEY_PERSON_FIELDS)
    if unknown:
        raise ValidationError({field: _("This field cannot be written.") for field in sorted(unknown)})
    for field, value in data.items():
        setattr(stored, field, value)
    _check_key_person_mobile_free(stored)
    stored.full_clean()
    stored.save()
    audit.record_changed(user=user, obj=stored, before=before, fields=KEY_PERSON_FIELDS, customer=person.customer)
    versions.copy_stored(stored, person)
    return stored


@transaction.atomic
def key_person_delete(*, user: User, person: KeyPerson, version: str | list[str] | None = None) -> None:
    """Remove a key person; the audit trail keeps what they were. Visits that met them keep the visit."""
    _require_people_right(user, person.customer)
    stored = KeyPerson.objects.select_for_update().get(pk=person.pk)
    versions.check(stored, version, customer_id=stored.customer_id)
    audit.record_deleted(user=user, obj=stored, fields=KEY_PERSON_FIELDS, customer=person.customer)
    stored.delete()


MEMBER_WRITABLE_FIELDS = ("name", "mobile", "on_net", "verified", "arpu")


@transaction.atomic
def group_member_update(
    *, user: User, member: GroupMember, data: dict[str, Any], version: str | list[str] | None = None
) -> GroupMember:
    """Write `data` over the member as stored (the row locked); the VIP level follows a new ARPU at once (SPEC
    §4.3). With the `version` the caller read, an edit made on a member changed meanwhile is refused
    (StaleVersion)."""
    _require_people_right(user, member.customer)
    stored = GroupMember.objects.select_for_update().get(pk=member.pk)
    versions.check(stored, version, fields=list(data), customer_id=stored.customer_id)
    unknown = set(data) - set(MEMBER_WRITABLE_FIELDS)
    if unknown:
        raise ValidationError({field: _("This field cannot be written.") for field in sorted(unknown)})
    mobile = data.get("mobile", stored.mobile)
    if mobile != stored.mobile and GroupMember.objects.filter(customer_id=stored.customer_id, mobile=mobile).exists():
        raise ValidationError({"mobile": _("This customer already has a group member with this mobile number.")})
    before = audit.snapshot(stored, MEMBER_FIELDS)
    for field, value in data.items():
        setattr(stored, field, value)
    stored.vip_level = vip_level_for(stored.arpu)
    stored.full_clean()
    stored.save()
    audit.record_changed(user=user, obj=stored, before=before, fields=MEMBER_FIELDS, customer=member.customer)
    versions.copy_stored(stored, member)
    return stored


@transaction.atomic
def group_member_remove(
    *, user: User, member: GroupMember, version: str | list[str] | None = None, on: datetime.date | None = None
) -> GroupMember:
    """The member is no longer one of the customer's: marked as left (`left_on`, today), as a replacing import
    marks them, and kept for their history; adding the number again brings them back (`group_member_create`)."""
    _require_people_right(user, member.customer)
    stored = GroupMember.objects.select_for_update().get(pk=member.pk)
    versions.check(stored, version, customer_id=stored.customer_id)
    if stored.left_on is not None:
        return stored
    before = audit.snapshot(stored, MEMBER_FIELDS)
    stored.left_on = on or timezone.localdate()
    stored.save(update_fields=["left_on"])
    audit.record_changed(user=user, obj=stored, before=before, fields=MEMBER_FIELDS, customer=member.customer)
    versions.copy_stored(stored, member)
    return stored


def vip_levels_apply(members: QuerySet[GroupMember]) -> int:
    """Set-based recompute of the members' VIP levels (SPEC §4.3), run with the tier recompute: one UPDATE
    with the levels of `vip_level_for` as a CASE, touching only rows whose level differs; returns how many."""
    level = Case(
        *(When(arpu__gte=threshold, then=Value(name)) for name, threshold in VIP_THRESHOLDS),
        default=Value(None),
        output_field=CharField(),
    )
    return members.filter(vip_level__distinct_from=level).update(vip_level=level)
