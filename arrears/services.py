"""Writes of arrears collection (issue 21): what each customer owes as its latest bill says, the collection cases
opened and closed over it set-based (after a billing import, for the customers it named, and every night for all),
the outcomes of the chase, and the thresholds.

Who is told: a case's billing manager and second manager when it opens (its customer manager when the team has
neither), one notification per person however many cases opened at once.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import BillingPeriod, Customer
from crm import audit
from crm.models import AuditAction, NotificationKind, Region, TeamRoleKind, User
from crm.notifications import Message, notify_each, phrase
from crm.permissions import require
from crm.services import scoped_setting_keep
from teams.models import TeamRole

from . import rules
from .models import ArrearsCase, ArrearsOutcome, ArrearsThreshold, CaseStatus, CustomerArrears, OutcomeKind
from .selectors import thresholds_by_province

BATCH = 2_000
CENT = Decimal("0.01")
CASE_FIELDS = ("status", "amount", "due_on", "closed_on")
COLLECTOR_ROLES = (TeamRoleKind.BILLING_MANAGER, TeamRoleKind.SECOND_MANAGER, TeamRoleKind.CUSTOMER_MANAGER)


def _ids_sql(customers: QuerySet[Customer] | None) -> tuple[str, list[Any]]:
    """`AND <column> IN (…)` for the customers named (a queryset), or nothing for every customer."""
    if customers is None:
        return "", []
    sql, params = customers.order_by().values("pk").query.sql_with_params()
    return f" IN ({sql})", list(params)


def arrears_refresh(*, customers: QuerySet[Customer] | None = None, moment: datetime.datetime | None = None) -> None:
    """Make `CustomerArrears` say what the latest bill of each customer named (every customer: None) says it owes:
    a row while it owes something, none once it owes nothing. Two statements, whatever the number of customers."""
    ids, params = _ids_sql(customers)
    balances = CustomerArrears._meta.db_table
    bills = BillingPeriod._meta.db_table
    latest = f"b.period = (SELECT MAX(l.period) FROM {bills} l WHERE l.customer_id = b.customer_id)"
    in_set = f"AND a.customer_id{ids}" if ids else ""
    owing = f"SELECT 1 FROM {bills} b WHERE b.customer_id = a.customer_id AND b.arrears_amount > 0 AND {latest}"
    differs = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    stamp = moment or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {balances} WHERE customer_id IN (SELECT a.customer_id FROM {balances} a "
            f"WHERE NOT EXISTS ({owing}) {in_set})",
            params,
        )
        cursor.execute(
            f"INSERT INTO {balances} (customer_id, amount, since, period, updated_at) "
            f"SELECT b.customer_id, b.arrears_amount, b.arrears_since, b.period, %s FROM {bills} b "
            f"WHERE b.arrears_amount > 0 AND {latest}{f' AND b.customer_id{ids}' if ids else ''} "
            f"ON CONFLICT (customer_id) DO UPDATE SET amount = excluded.amount, since = excluded.since, "
            f"period = excluded.period, updated_at = excluded.updated_at "
            f"WHERE {balances}.amount <> excluded.amount OR {balances}.since {differs} excluded.since "
            f"OR {balances}.period <> excluded.period",
            [stamp, *params],
        )


@dataclass
class SyncOutcome:
    opened: int = 0
    closed: int = 0
    updated: int = 0
    opened_ids: list[int] = field(default_factory=list)


@transaction.atomic
def arrears_cases_sync(
    *, customers: QuerySet[Customer] | None = None, today: datetime.date | None = None, user: User | None = None
) -> SyncOutcome:
    """Follow the arrears of the customers named (every customer: None) with their collection cases: a case whose
    arrears are paid closes; an open case takes the amount now owed; a customer whose arrears reach the threshold of
    its tier (its province's, else the national one) and has no open case gets one, due by the age of the arrears,
    assigned to its billing and second managers, who are told. Run after each billing import for the customers it
    named, and every night for all (a threshold or a tier may have changed)."""
    today = today or timezone.localdate()
    outcome = SyncOutcome()
    open_cases = ArrearsCase.objects.filter(closed_on__isnull=True)
    if customers is not None:
        open_cases = open_cases.filter(customer__in=customers.order_by().values("pk"))
    balance = CustomerArrears.objects.filter(customer=OuterRef("customer"))
    # Paid: the latest bill says nothing is owed.
    now = timezone.now()  # `bulk_update` leaves `auto_now` alone
    paid = list(open_cases.filter(~Exists(balance)).select_related("customer__region").order_by("pk"))
    if paid:
        entries = []
        for case in paid:
            before = audit.snapshot(case, CASE_FIELDS)
            case.status, case.amount, case.closed_on = CaseStatus.CLOSED, Decimal("0.00"), today
            case.updated_at = now
            entries.append(
                audit.entry(
                    user=user,
                    action=AuditAction.UPDATE,
                    obj=case,
                    customer=case.customer,
                    changes=audit.diff(before, audit.snapshot(case, CASE_FIELDS)),
                    detail={"closed": "paid"},
                )
            )
        ArrearsCase.objects.bulk_update(paid, ["status", "amount", "closed_on", "updated_at"], batch_size=BATCH)
        audit.record_many(entries)
        outcome.closed = len(paid)
    # Still owing: the amount as last billed, audited as the cases opened and paid are.
    owed = Subquery(balance.values("amount")[:1])
    changed = list(
        open_cases.filter(Exists(balance))
        .annotate(owed_now=owed, since_now=Subquery(balance.values("since")[:1]))
        .exclude(amount=F("owed_now"))
        .select_related("customer__region")
        .order_by("pk")
    )
    if changed:
        entries = []
        for case in changed:
            before = audit.snapshot(case, (*CASE_FIELDS, "since"))
            case.amount, case.since, case.updated_at = case.owed_now.quantize(CENT), case.since_now, now
            entries.append(
                audit.entry(
                    user=user,
                    action=AuditAction.UPDATE,
                    obj=case,
                    customer=case.customer,
                    changes=audit.diff(before, audit.snapshot(case, (*CASE_FIELDS, "since"))),
                    detail={"owed": "billed"},
                )
            )
        ArrearsCase.objects.bulk_update(changed, ["amount", "since", "updated_at"], batch_size=BATCH)
        audit.record_many(entries)
    outcome.updated = len(changed)
    opened = _open(customers, today, user)
    outcome.opened, outcome.opened_ids = len(opened), [item.case.pk for item in opened]
    if opened:
        cases_opened_notified(opened)
    return outcome


def _open(customers: QuerySet[Customer] | None, today: datetime.date, user: User | None) -> list[Opened]:
    """Open a case for each customer named whose arrears reach its threshold and who has no open case."""
    candidates = CustomerArrears.objects.filter(
        ~Exists(ArrearsCase.objects.filter(customer=OuterRef("customer"), closed_on__isnull=True))
    )
    if customers is not None:
        candidates = candidates.filter(customer__in=customers.order_by().values("pk"))
    scopes = thresholds_by_province()
    smallest = min(amount for tiers in scopes.values() for amount in tiers.values())
    rows = list(
        candidates.filter(amount__gte=smallest)
        .values_list("customer_id", "amount", "since", "customer__tier", "customer__region__path")
        .order_by("customer_id")
    )
    provinces = sorted((path for path in scopes if path is not None), key=len, reverse=True)
    large = []
    for customer_id, amount, since, tier, path in rows:
        province = next((p for p in provinces if path.startswith(p)), None)
        tiers = scopes[province]
        if rules.is_large(amount, tier, tiers):
            large.append((customer_id, amount, since, rules.threshold_for(tier, tiers)))
    if not large:
        return []
    holders: dict[int, dict[str, int]] = defaultdict(dict)
    for start in range(0, len(large), BATCH):
        ids = [row[0] for row in large[start : start + BATCH]]
        for customer_id, role, user_id in (
            TeamRole.objects.active(today)
            .filter(customer_id__in=ids, role__in=COLLECTOR_ROLES)
            .values_list("customer_id", "role", "user_id")
        ):
            holders[customer_id][role] = user_id
    cases = [
        ArrearsCase(
            customer_id=customer_id,
            status=CaseStatus.OPEN,
            opened_on=today,
            opened_amount=amount,
            amount=amount,
            since=since,
            threshold=threshold,
            due_on=rules.due_on(since, today),
            billing_manager_id=holders[customer_id].get(TeamRoleKind.BILLING_MANAGER),
            second_manager_id=holders[customer_id].get(TeamRoleKind.SECOND_MANAGER),
        )
        for customer_id, amount, since, threshold in large
    ]
    created = ArrearsCase.objects.bulk_create(cases, batch_size=BATCH)  # ids returned: PostgreSQL and SQLite
    facts = {
        row["pk"]: row
        for start in range(0, len(created), BATCH)
        for row in Customer.objects.filter(pk__in=[case.customer_id for case in created[start : start + BATCH]]).values(
            "pk", "code", "name", "region__path"
        )
    }
    entries, opened = [], []
    for case in created:
        customer = facts[case.customer_id]
        manager = holders[case.customer_id].get(TeamRoleKind.CUSTOMER_MANAGER)
        opened.append(Opened(case, customer["code"], customer["name"], manager))
        entries.append(
            audit.entry(
                user=user,
                action=AuditAction.CREATE,
                obj=case,
                customer=_Facts(case.customer_id, customer["code"], _Region(customer["region__path"])),
                changes=audit.diff({}, audit.snapshot(case, ("status", "opened_amount", "due_on", "threshold"))),
                object_repr=f"{customer['code']} {case.opened_on}",
            )
        )
    audit.record_many(entries)
    return opened


@dataclass(frozen=True)
class Opened:
    """A case just opened, with what telling its collectors needs: its customer's code and name, and its customer
    manager (told when the team has neither collector)."""

    case: ArrearsCase
    customer_code: str
    customer_name: str
    manager_id: int | None


@dataclass(frozen=True)
class _Region:
    path: str


@dataclass(frozen=True)
class _Facts:
    """A customer as the audit trail reads it (`pk`, `code`, `region.path`), read in bulk as values."""

    pk: int
    code: str
    region: _Region


def cases_opened_notified(opened: Sequence[Opened]) -> None:
    """Each collector of the cases just opened hears of them: of the one case, or of how many are theirs."""
    by_user: dict[int, list[Opened]] = defaultdict(list)
    for item in opened:
        case = item.case
        collectors = {pk for pk in (case.billing_manager_id, case.second_manager_id) if pk is not None}
        if not collectors and item.manager_id is not None:
            collectors = {item.manager_id}
        for user_id in collectors:
            by_user[user_id].append(item)
    messages = []
    for user_id, theirs in by_user.items():
        if len(theirs) == 1:
            [item] = theirs
            case = item.case
            messages.append(
                Message(
                    recipients=[user_id],
                    kind=NotificationKind.ARREARS_CASE,
                    title=phrase(
                        _("Collect the arrears of %(customer)s: %(amount)s CNY"),
                        {"customer": item.customer_name, "amount": f"{case.amount:,.2f}"},
                    ),
                    body=phrase(_("A collection case is yours, due on %(day)s."), {"day": case.due_on.isoformat()}),
                    url=reverse("accounts:customer-detail", args=[item.customer_code]) + "#arrears",
                    dedupe_key=f"arrears-case:{case.pk}",
                )
            )
            continue
        first = min((item.case for item in theirs), key=lambda case: case.due_on)
        messages.append(
            Message(
                recipients=[user_id],
                kind=NotificationKind.ARREARS_CASE,
                title=phrase(_("%(count)d arrears collection cases are yours"), {"count": len(theirs)}),
                body=phrase(_("The first is due on %(day)s."), {"day": first.due_on.isoformat()}),
                url=reverse("arrears:cases"),
                dedupe_key=f"arrears-cases:{min(item.case.pk for item in theirs)}:{len(theirs)}",
            )
        )
    notify_each(messages)  # thousands of collectors on a province's first billing file: told in a few statements


# -- outcomes ----------------------------------------------------------------------------------------------------

STATUS_OF_OUTCOME = {
    OutcomeKind.PROMISED: CaseStatus.PROMISED,
    OutcomeKind.PAID: CaseStatus.PAID,
    OutcomeKind.PARTLY_PAID: CaseStatus.PARTLY_PAID,
    OutcomeKind.DISPUTED: CaseStatus.DISPUTED,
    OutcomeKind.ESCALATED: CaseStatus.ESCALATED,
}


@transaction.atomic
def arrears_outcome_record(
    *,
    user: User,
    case: ArrearsCase,
    kind: str,
    promised_on: datetime.date | None = None,
    amount: Decimal | None = None,
    note: str = "",
) -> ArrearsOutcome:
    """Record what chasing the case gave: its status becomes the outcome's; a promise makes its date the case's due
    date. A closed case takes no outcome. Nothing is written when the outcome is refused."""
    require(user, "arrears.record_outcome", case)
    locked = ArrearsCase.objects.select_for_update().select_related("customer__region").get(pk=case.pk)
    if not locked.is_open:
        raise ValidationError({"case": _("This collection case is closed: the arrears were paid.")})
    if kind not in OutcomeKind.values:
        raise ValidationError({"kind": _("One of %(values)s is expected.") % {"values": ", ".join(OutcomeKind.values)}})
    outcome = ArrearsOutcome(
        case=locked, kind=kind, promised_on=promised_on, amount=amount, note=note, recorded_by=user
    )
    outcome.full_clean()
    outcome.save()
    before = audit.snapshot(locked, CASE_FIELDS)
    locked.status = STATUS_OF_OUTCOME[OutcomeKind(kind)]
    if kind == OutcomeKind.PROMISED and promised_on is not None:
        locked.due_on = promised_on
    locked.save(update_fields=["status", "due_on", "updated_at"])
    audit.record(
        user=user,
        action=AuditAction.UPDATE,
        obj=locked,
        customer=locked.customer,
        changes=audit.diff(before, audit.snapshot(locked, CASE_FIELDS)),
        detail={"outcome": kind, "promised_on": audit.plain(promised_on), "amount": audit.plain(amount)},
    )
    return outcome


# -- thresholds --------------------------------------------------------------------------------------------------


@transaction.atomic
def arrears_thresholds_set(*, user: User, region: Region, amounts: dict[str, Decimal | None]) -> None:
    """Set (None: clear, falling back on the national one) a scope's thresholds by tier: headquarters the national
    ones, provincial staff their province's. Cases follow at the next billing import and each night."""
    require(user, "arrears.set_thresholds", region)
    for tier, amount in amounts.items():
        scoped_setting_keep(
            user=user,
            region=region,
            model=ArrearsThreshold,
            keys={"region": region, "tier": tier},
            fields=("amount",),
            values=None if amount is None else {"amount": amount},
            detail={"tier": tier},
        )
