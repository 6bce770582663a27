"""The commission rules' arithmetic (酬金, issue 20, point 3) as plain functions over plain values: what one partner
earns in one month. The settlement is computed set-based in SQL (`partners.bulk`); this is its twin, which the tests
hold it to, and the definition to read:

- **revenue share** (`revenue_share`): for each holding credited to the partner (`CustomerProduct.partner`), in
  each of the first `months` months counted from the month of `subscribed_on` (that month is the first), the
  partner earns `rate` per cent of the month's revenue — the holding's `monthly_revenue`, no more than the
  customer's bill of the month (`BillingPeriod.monthly_spend`); a month without a bill pays nothing (yet);
- **per active user** (`per_active_user`): for each customer the partner serves (a `service` assignment in force on
  any day of the month), each holding subscribed by the month's end with active users earns `amount` × its
  `active_users`;
- **one-off** (`one_off`): a holding credited to the partner and subscribed within the month earns `amount`, once.

A rule applies in the months from `valid_from` to `valid_until`, to partners with its kind. For each kind, a rule of
the partner's province replaces the national one of the same product and basis; when several of the partner's kinds
pay the same holding on the same basis, the line that pays most is kept (ties: the lowest rule id), so that a holding
is paid once per basis. Amounts are rounded to the fen, half up; a line of nothing is not written.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
REVENUE_SHARE, PER_ACTIVE_USER, ONE_OFF = "revenue_share", "per_active_user", "one_off"
SERVICE = "service"


@dataclass(frozen=True)
class Rule:
    id: int
    provincial: bool  # the partner's province's own rule (else national)
    partner_kind: str
    product: str
    basis: str
    valid_from: datetime.date
    valid_until: datetime.date | None = None
    rate: Decimal | None = None
    months: int | None = None
    amount: Decimal | None = None

    def in_force(self, month: datetime.date) -> bool:
        return self.valid_from <= month and (self.valid_until is None or self.valid_until >= month)


@dataclass(frozen=True)
class Holding:
    customer: int
    product: str
    subscribed_on: datetime.date
    partner: int | None = None
    active_users: int = 0
    monthly_revenue: Decimal = Decimal("0")


@dataclass(frozen=True)
class Assignment:
    customer: int
    partner: int
    starts_on: datetime.date
    ends_on: datetime.date | None = None
    role: str = SERVICE


@dataclass(frozen=True)
class Line:
    customer: int
    product: str
    rule: int
    basis: str
    partner_kind: str
    quantity: int
    base: Decimal
    rate: Decimal | None
    month_index: int | None
    amount: Decimal


def month_number(day: datetime.date) -> int:
    """Months since the year 0: consecutive months have consecutive numbers."""
    return day.year * 12 + day.month


def month_end(month: datetime.date) -> datetime.date:
    """The first day of the next month (exclusive)."""
    return (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def share(base: Decimal, rate: Decimal) -> Decimal:
    """`rate` per cent of `base`, to the fen, half up."""
    return (base * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def rules_in_force(rules: Iterable[Rule], kinds: Iterable[str], month: datetime.date) -> list[Rule]:
    """The rules that pay a partner of these kinds in the month: per kind, product and basis the province's rule,
    else the national one."""
    kinds = set(kinds)
    current = [rule for rule in rules if rule.in_force(month) and rule.partner_kind in kinds]
    provincial = {(rule.partner_kind, rule.product, rule.basis) for rule in current if rule.provincial}
    return [
        rule for rule in current if rule.provincial or (rule.partner_kind, rule.product, rule.basis) not in provincial
    ]


def _serves(assignments: Iterable[Assignment], partner: int, customer: int, month: datetime.date) -> bool:
    end = month_end(month)
    return any(
        one.partner == partner
        and one.customer == customer
        and one.role == SERVICE
        and one.starts_on < end
        and (one.ends_on is None or one.ends_on >= month)
        for one in assignments
    )


def _line(
    rule: Rule,
    holding: Holding,
    *,
    quantity: int,
    base: Decimal,
    amount: Decimal,
    rate: Decimal | None = None,
    month_index: int | None = None,
) -> Line:
    return Line(
        customer=holding.customer,
        product=holding.product,
        rule=rule.id,
        basis=rule.basis,
        partner_kind=rule.partner_kind,
        quantity=quantity,
        base=base,
        rate=rate,
        month_index=month_index,
        amount=amount,
    )


def _candidate(rule: Rule, holding: Holding, *, partner: int, month: datetime.date, assignments, bills) -> Line | None:
    end = month_end(month)
    if rule.product != holding.product or holding.subscribed_on >= end:
        return None
    if rule.basis == REVENUE_SHARE and holding.partner == partner and rule.rate is not None and rule.months:
        index = month_number(month) - month_number(holding.subscribed_on) + 1
        bill = bills.get((holding.customer, month))
        if index > rule.months or bill is None:
            return None
        base = min(holding.monthly_revenue, bill)
        amount = share(base, rule.rate)
        return _line(rule, holding, quantity=1, base=base, rate=rule.rate, month_index=index, amount=amount)
    if rule.basis == PER_ACTIVE_USER and rule.amount is not None and holding.active_users > 0:
        if not _serves(assignments, partner, holding.customer, month):
            return None
        amount = rule.amount * holding.active_users
        return _line(rule, holding, quantity=holding.active_users, base=rule.amount, amount=amount)
    if rule.basis == ONE_OFF and rule.amount is not None and holding.partner == partner:
        if holding.subscribed_on < month:
            return None
        return _line(rule, holding, quantity=1, base=rule.amount, amount=rule.amount)
    return None


def settlement_lines(
    *,
    partner: int,
    kinds: Iterable[str],
    month: datetime.date,
    rules: Iterable[Rule],
    holdings: Iterable[Holding],
    assignments: Iterable[Assignment] = (),
    bills: Mapping[tuple[int, datetime.date], Decimal] | None = None,
) -> list[Line]:
    """The lines of `partner`'s settlement of `month` (its first day), in no particular order."""
    bills = bills or {}
    assignments = list(assignments)
    best: dict[tuple[int, str, str], Line] = {}
    for rule in rules_in_force(rules, kinds, month):
        for holding in holdings:
            line = _candidate(rule, holding, partner=partner, month=month, assignments=assignments, bills=bills)
            if line is None or line.amount <= 0:
                continue
            key = (line.customer, line.product, line.basis)
            kept = best.get(key)
            if kept is None or (line.amount, -line.rule) > (kept.amount, -kept.rule):
                best[key] = line
    return list(best.values())
