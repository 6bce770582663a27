"""Reads of arrears (issue 21): every read of a customer's arrears starts from what the user sees (SPEC §2)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import Customer
from crm.models import Region, User
from crm.visibility import NATIONAL_CODE

from .models import ArrearsCase, ArrearsOutcome, ArrearsThreshold
from .rules import AGE_BUCKETS, DEFAULT_THRESHOLDS


def thresholds_by_province() -> dict[str | None, dict[str, Decimal]]:
    """Every scope's thresholds by tier: None → the national ones (the defaults with the national rows over them),
    a province's path → the national ones with the province's own rows over them."""
    national = dict(DEFAULT_THRESHOLDS)
    own: dict[str, dict[str, Decimal]] = {}
    for path, code, tier, amount in ArrearsThreshold.objects.values_list(
        "region__path", "region__code", "tier", "amount"
    ):
        if code == NATIONAL_CODE:
            national[tier] = amount
        else:
            own.setdefault(path, {})[tier] = amount
    scopes: dict[str | None, dict[str, Decimal]] = {None: national}
    for path, tiers in own.items():
        scopes[path] = {**national, **tiers}
    return scopes


def thresholds_for(region: Region) -> dict[str, Decimal]:
    """The thresholds by tier in force for customers of `region` (its province's, else the national ones)."""
    scopes = thresholds_by_province()
    for path, tiers in scopes.items():
        if path is not None and region.path.startswith(path):
            return tiers
    return scopes[None]


def own_thresholds(region: Region) -> dict[str, ArrearsThreshold]:
    """A scope's own rows (the national root's, or a province's), by tier."""
    return {row.tier: row for row in ArrearsThreshold.objects.filter(region=region).select_related("updated_by")}


@dataclass
class CustomerArrearsView:
    """What the customer page and `GET /api/v1/customers/{code}/arrears/` show: the amount and since when, as the
    latest bill says, and the customer's open case (else its last one), with its outcomes."""

    customer: Customer
    amount: Decimal
    since: datetime.date | None
    period: datetime.date | None
    case: ArrearsCase | None

    @property
    def shown(self) -> bool:
        return bool(self.amount) or self.case is not None


def arrears_annotations() -> dict:
    """What `customer_arrears` reads of a customer, as annotations of a customer query: its latest case's id and
    what it owes (a LEFT JOIN of its one `CustomerArrears` row)."""
    return {
        "arrears_last_case": ArrearsCase.objects.filter(customer=OuterRef("pk"))
        .order_by("-opened_on", "-id")
        .values("pk")[:1],
        "arrears_owed": F("arrears__amount"),
        "arrears_since": F("arrears__since"),
        "arrears_period": F("arrears__period"),
    }


def customer_arrears(customer: Customer) -> CustomerArrearsView:
    """The customer's arrears and its latest case (the open one, else the last closed), read after the customer
    was read through what the user sees: one query when the customer never had a case, three when it has; one
    fewer for a customer read with `arrears_annotations` (the customer page)."""
    if hasattr(customer, "arrears_last_case"):
        row = {name: getattr(customer, name) for name in arrears_annotations()}
    else:
        row = (
            Customer.objects.filter(pk=customer.pk)
            .annotate(**arrears_annotations())
            .values(*arrears_annotations())
            .first()
            or {}
        )
    case = None
    if row.get("arrears_last_case"):
        case = (
            ArrearsCase.objects.filter(pk=row["arrears_last_case"])
            .select_related("billing_manager", "second_manager")
            .prefetch_related(Prefetch("outcomes", ArrearsOutcome.objects.select_related("recorded_by")))
            .first()
        )
        if case is not None:
            case.customer = customer  # read already, through what the user sees
    return CustomerArrearsView(
        customer=customer,
        amount=row.get("arrears_owed") or Decimal("0.00"),
        since=row.get("arrears_since"),
        period=row.get("arrears_period"),
        case=case,
    )


def cases_for(user: User) -> QuerySet[ArrearsCase]:
    """The collection cases of the customers the user sees (`Customer.objects.restrict`: for a territory, each case's
    customer is checked by key against the territory's regions, not gathered as every customer of the territory)."""
    return Customer.objects.restrict(ArrearsCase.objects.all(), user).select_related(
        "customer", "billing_manager", "second_manager"
    )


def cases_of_collector(user: User) -> QuerySet[ArrearsCase]:
    """The open cases assigned to the user (as billing or second manager)."""
    return cases_for(user).filter(Q(billing_manager=user) | Q(second_manager=user), closed_on__isnull=True)


# -- the customer list's filter (where the KPI figures link) ----------------------------------------------------


def arrears_condition(value: str, today: datetime.date | None = None) -> Q:
    """Customers in arrears (`any`), with an open collection case (`case`), or whose arrears are of an age bucket
    (`30`, `60`, `90`, `over_90`, as the KPIs count them on `today`)."""
    today = today or timezone.localdate()
    if value == "case":
        return Q(Exists(ArrearsCase.objects.filter(customer=OuterRef("pk"), closed_on__isnull=True)))
    if value == "any":
        return Q(arrears__isnull=False)
    for code, first, last in AGE_BUCKETS:
        if value == code:
            return age_condition(first, last, today, prefix="arrears__")
    raise ValueError(value)


def age_condition(first: int, last: int | None, today: datetime.date, prefix: str = "") -> Q:
    """Arrears (a `CustomerArrears` row, through `prefix`) that have run from `first` to `last` days (None: no end)
    on `today`; arrears without a `since` count as 0 days old."""
    condition = Q(**{f"{prefix}amount__isnull": False})
    if first > 0:
        condition &= Q(**{f"{prefix}since__lte": today - datetime.timedelta(days=first)})
    if last is not None:
        condition &= Q(**{f"{prefix}since__isnull": True}) | Q(
            **{f"{prefix}since__gte": today - datetime.timedelta(days=last)}
        )
    return condition
