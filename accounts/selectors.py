"""Reads of customer data. Every selector starts from `Customer.objects.visible_to(user)`."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, JSONField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import JSONObject, Left
from django.db.models.lookups import In
from django.http import Http404
from django.shortcuts import get_object_or_404

from crm import audit
from crm.models import AuditAction, AuditEntry, TeamRoleKind, User
from crm.permissions import customer_managed, customer_seen, manages_the_customer

from . import hooks
from .models import Customer, CustomerStatus, GroupMember, KeyPerson, StatusPeriod, VipLevel, team_roles
from .rules import FINE_REGION_LEVELS
from .validators import CUSTOMER_CODE_RE


def has_key_person_mobile() -> Exists:
    return Exists(KeyPerson.objects.filter(customer=OuterRef("pk")).exclude(mobile=""))


def has_customer_manager(on: datetime.date | None = None) -> Exists:
    return Exists(team_roles().active(on).filter(customer=OuterRef("pk"), role=TeamRoleKind.CUSTOMER_MANAGER))


def with_profile_facts(customers: QuerySet[Customer]) -> QuerySet[Customer]:
    """Annotate what profile completeness needs from other tables, so a page of customers costs one query."""
    return customers.select_related("region", "industry").annotate(
        has_key_person_mobile=has_key_person_mobile(), has_customer_manager=has_customer_manager()
    )


# The whitespace of Python's str.isspace(), which `str.strip()` in `rules.profile_missing` removes, spelled out: the
# database's TRIM removes only the ASCII space, and its regular-expression classes (\s, [[:space:]]) follow the
# server's locale. tests/accounts/test_twins.py holds this list to Python's.
UNICODE_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# A value with any other character is not blank. It means the same to PostgreSQL (`~`) and SQLite (Python's `re`,
# which Django registers as REGEXP); on PostgreSQL cheaper than TRIM(address, UNICODE_WHITESPACE).
NOT_BLANK = f"[^{UNICODE_WHITESPACE}]"


def address_given() -> Q:
    """The SQL twin of `bool(address.strip())`. Nearly every address starts with a character that is not
    whitespace, which answers at once; only the others (starting with whitespace) pay for the regular expression,
    which PostgreSQL runs over the whole value: that kept a county's profile filter a third slower than the old
    ASCII-only TRIM on the million-customer benchmark."""
    starts_blank = In(Left("address", 1), list(UNICODE_WHITESPACE))
    return ~Q(address="") & (~Q(starts_blank) | Q(address__regex=NOT_BLANK))


def profile_complete(on: datetime.date | None = None) -> Q:
    """The SQL twin of `rules.profile_missing(...) == []` (建档完整), with the customer manager of `on` (today).

    A stored USCC is a valid one: every write validates it (`validate_uscc`), so the database need not.
    """
    return (
        Q(uscc__isnull=False)
        & ~Q(uscc="")
        & Q(industry__isnull=False)
        & Q(region__level__in=FINE_REGION_LEVELS)
        & address_given()
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


def member_current(on: datetime.date | None = None) -> Q:
    """Whether a group member was still one of the customer's at the end of `on` (now, when None). A replacing
    import marks the members the operator's BOSS no longer lists as left on that day (`left_on`) and keeps them for
    their history; whatever counts, lists or calls members counts only these."""
    if on is None:
        return Q(left_on__isnull=True)
    return Q(left_on__isnull=True) | Q(left_on__gt=on)


def customer_list(*, user: User) -> QuerySet[Customer]:
    return with_profile_facts(Customer.objects.visible_to(user))


def customer_get(*, user: User, code: str) -> Customer:
    """The customer with this code if the user may see it; Http404 otherwise, whether it exists or not."""
    return _visible_customer(user, code, customer_list(user=user).select_related("tier_rule_set"))


def _visible_customer(user: User, code: str, customers: QuerySet[Customer]) -> Any:
    """The customer of `customers` (the user's, as `customer_list` reads them) with this code, seen by the user
    (`crm.permissions.customer_seen`); Http404 otherwise, whether it exists or not."""
    if not CUSTOMER_CODE_RE.match(code):  # e.g. a NUL byte, which PostgreSQL refuses outright
        raise Http404
    customer = get_object_or_404(customers, code=code)
    customer_seen(user, customer)
    return customer


def customer_page_get(*, user: User, code: str) -> Customer:
    """`customer_get` with, in the same query, what the customer page shows of the customer besides: its group
    members counted as the KPIs count them (`member_counts`: `total`, `on_net`, `verified`, `left` — those who left
    are kept for history, and only counted — and one per VIP level), and whether the reader is its customer manager
    (told to `crm.permissions`, which would ask it apart)."""
    current = member_current()
    counts = (
        GroupMember.objects.filter(customer=OuterRef("pk"))
        .order_by()
        .values("customer")
        .annotate(
            counts=JSONObject(
                total=Count("id", filter=current),
                on_net=Count("id", filter=current & Q(on_net=True)),
                verified=Count("id", filter=current & Q(verified=True)),
                left=Count("id", filter=~current),
                **{level: Count("id", filter=current & Q(vip_level=level)) for level in VipLevel.values},
            )
        )
        .values("counts")
    )
    managed = team_roles().active().filter(customer=OuterRef("pk"), user=user, role=TeamRoleKind.CUSTOMER_MANAGER)
    extra = {
        name: value for annotations in hooks.customer_page_annotations(user=user) for name, value in annotations.items()
    }
    customer = _visible_customer(  # annotated, and given `member_counts` below
        user,
        code,
        customer_list(user=user)
        .select_related("tier_rule_set")
        .annotate(member_count_row=Subquery(counts, output_field=JSONField()), reader_manages=Exists(managed), **extra),
    )
    customer_managed(user, customer, customer.reader_manages)
    zero = dict.fromkeys(["total", "on_net", "verified", "left", *VipLevel.values], 0)
    customer.member_counts = {**zero, **(customer.member_count_row or {})}
    return customer


def customer_history(customer: Customer) -> QuerySet[AuditEntry]:
    """The audit trail's entries about the customer and what hangs under it, newest first. Only writes: who opened
    it, exported it or was refused is the audit page's."""
    return AuditEntry.objects.filter(
        customer_id=customer.pk, action__in=[AuditAction.CREATE, AuditAction.UPDATE, AuditAction.DELETE]
    ).order_by("-id")


def manages(user: User, customer: Customer) -> bool:
    """Whether `user` is the customer's customer manager today: the one who sees its numbers without the audit
    trail noting it (`crm.audit.mobiles_shown`)."""
    return manages_the_customer(user, customer)


def mobiles_shown(*, user: User, customer: Customer, where: str, mobiles: int) -> None:
    """Record whole numbers of the customer shown to someone who is not its customer manager."""
    if mobiles and not manages(user, customer):
        audit.mobiles_shown(user=user, where=where, count=mobiles, customer=customer)


# -- the top bar's search ------------------------------------------------------------------------------------------

SEARCH_SHOWN = 8
SEARCH_MIN_LENGTH = 2
SEARCH_MAX_LENGTH = 100
# From three characters a name matches anywhere (trigram indexes); shorter, at its start (prefix indexes).
SEARCH_ANYWHERE_LENGTH = 3


@dataclass
class SearchResults:
    """What the top bar finds among what the user sees, grouped: customers, then key persons."""

    query: str
    customers: list[Customer] = field(default_factory=list)
    more_customers: bool = False
    key_persons: list[KeyPerson] = field(default_factory=list)
    more_key_persons: bool = False

    @property
    def empty(self) -> bool:
        return not self.customers and not self.key_persons


def search(*, user: User, query: str, shown: int = SEARCH_SHOWN) -> SearchResults:
    """Customers by part of the name, the start of the code or the whole USCC; key persons by part of the name or
    the start of the mobile number; only among the customers the user sees (§2). A name matches anywhere from
    SEARCH_ANYWHERE_LENGTH characters on, at its start below (a surname, a city: what an index can find among a
    million). Each group is one query that stops at `shown` + 1 rows, in no order the database must sort: the exact
    code or USCC first, then the shortest names (the closest to what was typed)."""
    text = query.strip()[:SEARCH_MAX_LENGTH]
    results = SearchResults(text)
    if len(text) < SEARCH_MIN_LENGTH:
        return results
    anywhere = len(text) >= SEARCH_ANYWHERE_LENGTH
    name = Q(name__icontains=text) if anywhere else Q(name__startswith=text)
    # Codes are compared as typed and in capitals (the code's own index serves both), USCCs in capitals.
    code = Q(code__startswith=text) | Q(code__startswith=text.upper())
    visible = Customer.objects.visible_to(user)
    found = list(
        visible.filter(name | code | Q(uscc=text.upper()))
        .order_by()
        .select_related("region")
        .only("code", "name", "uscc", "tier", "region__name")[: shown + 1]
    )
    exact = text.upper()
    found.sort(key=lambda c: (c.code.upper() != exact and c.uscc != exact, len(c.name), c.code))
    results.customers, results.more_customers = found[:shown], len(found) > shown
    people = name
    if text.isdigit():
        people |= Q(mobile__startswith=text)
    persons = list(
        KeyPerson.objects.filter(people, customer__in=visible)
        .order_by()
        .select_related("customer")
        .only("name", "title", "mobile", "customer__code", "customer__name", "customer__tier")[: shown + 1]
    )
    persons.sort(key=lambda p: (len(p.name), p.name, p.customer.code))
    results.key_persons, results.more_key_persons = persons[:shown], len(persons) > shown
    return results


def member_search(customer: Customer, text: str = "") -> QuerySet[GroupMember]:
    """The customer's current group members, those whose mobile number starts with `text` (digits) or whose name
    holds it, in the order they were added."""
    members = customer.members.filter(member_current())
    if text:
        found = Q(name__icontains=text)
        if text.isdigit():
            found |= Q(mobile__startswith=text)
        members = members.filter(found)
    return members.order_by("id")
