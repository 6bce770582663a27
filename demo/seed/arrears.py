"""The demo's arrears (大额欠费, issue 21): last month's bill of a few customers of Sichuan says they owe — the Chengdu
branches of the national bank among them, one owing ¥86 000 with a billing and a second manager on its team — and the
collection cases follow as after a billing import: opened for the large ones, told to their collectors, a couple
already chased (a promise, a dispute). Upserted: a seeded database gets it once; a few dozen rows, at once."""

from __future__ import annotations

import datetime
from decimal import Decimal

from accounts.models import BillingPeriod, Customer
from arrears.models import ArrearsCase
from arrears.services import arrears_cases_sync, arrears_outcome_record, arrears_refresh
from crm import audit
from crm.models import AuditSource, TeamRoleKind, User
from crm.periods import Period
from teams.models import TeamRole
from teams.services import team_set

from .groups import GROUP_CODE

BRANCH_ARREARS = Decimal("86000.00")
# Others' arrears (CNY) and their age (days), the large ones above tier thresholds, the small ones below.
OTHERS = (
    (Decimal("156000.00"), 120),
    (Decimal("64000.00"), 75),
    (Decimal("28000.00"), 45),
    (Decimal("52000.00"), 20),
    (Decimal("12500.00"), 95),
    (Decimal("4800.00"), 33),
    (Decimal("2600.00"), 10),
    (Decimal("900.00"), 5),
)


def seed_arrears(today: datetime.date) -> int:
    """Bills with arrears and the cases they open; how many cases opened (none when the demo has them already)."""
    if ArrearsCase.objects.exists():
        return 0
    admin = User.objects.filter(username="admin").first()
    branch = Customer.objects.filter(code__startswith=f"{GROUP_CODE}-5101").order_by("code").first()
    collectors = _chengdu_collectors(today)
    if admin is None:
        return 0
    month = Period.of(today).previous().start
    owing: list[tuple[Customer, Decimal, datetime.date]] = []
    if branch is not None and collectors:
        team_set(by=admin, customer=branch, roles=collectors)
        owing.append((branch, BRANCH_ARREARS, today - datetime.timedelta(days=40)))
    # Customers of 成都 whose teams have a billing manager, a few of them, spread over the province's list.
    with_collectors = (
        TeamRole.objects.active(today)
        .filter(role=TeamRoleKind.BILLING_MANAGER, customer__region__path__startswith="000000/510000/510100/")
        .values_list("customer_id", flat=True)
        .order_by("customer_id")
    )
    chosen = list(with_collectors.exclude(customer__code__startswith=GROUP_CODE)[: len(OTHERS) * 3 : 3])
    for customer, (amount, days) in zip(Customer.objects.filter(pk__in=chosen).order_by("pk"), OTHERS, strict=False):
        owing.append((customer, amount, today - datetime.timedelta(days=days)))
    if not owing:
        return 0
    with audit.through(AuditSource.COMMAND):
        for customer, amount, since in owing:
            BillingPeriod.objects.update_or_create(
                customer=customer, period=month, defaults={"arrears_amount": amount, "arrears_since": since}
            )
        named = Customer.objects.filter(pk__in=[customer.pk for customer, _amount, _since in owing])
        arrears_refresh(customers=named)
        synced = arrears_cases_sync(customers=named, today=today, user=admin)
        cases = list(ArrearsCase.objects.filter(pk__in=synced.opened_ids).order_by("pk"))
        if len(cases) > 2:
            _chase(cases[1], "promised", today + datetime.timedelta(days=7), "财务处长承诺月底前缴清")
            _chase(cases[2], "disputed", None, "客户对专线费用有异议，待核对账单")
    return synced.opened


def _chase(case: ArrearsCase, kind: str, promised_on: datetime.date | None, note: str) -> None:
    collector = case.billing_manager or case.second_manager
    if collector is not None:
        arrears_outcome_record(user=collector, case=case, kind=kind, promised_on=promised_on, note=note)


def _chengdu_collectors(today: datetime.date) -> dict[str, User]:
    """A billing manager and a second manager of 成都's teams, to be the bank branch's as well."""
    found = {}
    for role in (TeamRoleKind.BILLING_MANAGER, TeamRoleKind.SECOND_MANAGER):
        held = (
            TeamRole.objects.active(today)
            .filter(role=role, customer__region__path__startswith="000000/510000/510100/")
            .select_related("user")
            .order_by("id")
            .first()
        )
        if held is not None:
            found[str(role)] = held.user
    return found if len(found) == 2 else {}
