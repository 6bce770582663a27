"""Helpers of the commission tests (issue 20, point 3): partners of each kind, holdings, assignments, bills and rules
on fixed months, so that every figure can be checked by hand."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from accounts.models import BillingPeriod, Customer
from campaigns.models import CustomerProduct
from crm.models import Partner
from partners import months
from partners.models import CommissionRule, PartnerAssignment

JAN, FEB, MAR, APR = (datetime.date(2026, month, 1) for month in (1, 2, 3, 4))
# The day the tests take for today: every month above is over.
TODAY = datetime.date(2026, 6, 15)

# The last month over and the one before it, for what goes through the API (which takes today for today).
LAST = months.last_closed(timezone.localdate())
BEFORE = months.months_before(LAST, 1)[0]
PERIOD = months.format_month(LAST)

USCCS = {
    "sales": "91510100MA6123456W",
    "service": "91510100MA6ABCDEF3",
}


def partner(territory, name: str, kinds: list[str], uscc: str, region: str = "chengdu") -> Partner:
    return Partner.objects.create(
        name=name,
        uscc=uscc,
        kinds=kinds,
        region=territory[region],
        contract_starts_on=datetime.date(2025, 12, 1),
        contract_ends_on=datetime.date(2026, 12, 31),
    )


def rule(basis: str, kind: str, product: str, *, scope: str = "000000", valid_from=JAN, **values) -> CommissionRule:
    return CommissionRule.objects.create(
        scope_id=scope, partner_kind=kind, product_id=product, basis=basis, valid_from=valid_from, **values
    )


def holding(customer: Customer, product: str, subscribed_on, *, partner=None, users=0, revenue="0") -> CustomerProduct:
    return CustomerProduct.objects.create(
        customer=customer,
        product_id=product,
        subscribed_on=subscribed_on,
        partner=partner,
        channel_id="partner" if partner else "direct",
        active_users=users,
        monthly_revenue=Decimal(revenue),
    )


def bill(customer: Customer, month, spend) -> BillingPeriod:
    return BillingPeriod.objects.create(customer=customer, period=month, monthly_spend=Decimal(spend))


def serves(partner: Partner, customer: Customer, starts_on, ends_on=None, role="service") -> PartnerAssignment:
    return PartnerAssignment.objects.create(
        partner=partner, customer=customer, role=role, starts_on=starts_on, ends_on=ends_on
    )


def amounts(settlement) -> list[tuple]:
    """(customer code, product, basis, quantity, base, amount, month corrected) of each line, sorted: per customer,
    product and basis the month's own line first, then the corrections."""
    rows = (
        (
            line.customer.code,
            line.product_id,
            line.basis,
            line.quantity,
            line.base,
            line.amount,
            line.corrects_period,
        )
        for line in settlement.lines.select_related("customer")
    )
    return sorted(rows, key=lambda row: (*row[:3], row[-1] or datetime.date.min, row[3:-1]))
