"""The settlement's SQL (`partners.bulk`) against its pure twin (`partners.rules`) on generated data, and the pure
rules' own edges without a database."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

import pytest

from accounts.models import BillingPeriod
from campaigns.models import CustomerProduct
from crm.models import Partner
from partners import rules as pure
from partners.models import CommissionRule, PartnerAssignment, Settlement
from partners.services import settlements_compute
from tests.factories import CustomerFactory, make_uscc

from .commissions import FEB, JAN, MAR, TODAY

D = Decimal
PRODUCTS = ("VPMN", "GROUP_CRBT", "INDUSTRY_APP")
KINDS = ("sales_agent", "service_agent", "solution_provider")
BASES = {"revenue_share": KINDS[0::2], "per_active_user": KINDS[1:], "one_off": KINDS[2:]}
MONTHS = [datetime.date(2025, 11, 1), datetime.date(2025, 12, 1), JAN, FEB, MAR]


def test_a_share_rounds_half_up_to_the_fen():
    assert pure.share(D("0.45"), D("10")) == D("0.05")
    assert pure.share(D("123.45"), D("10")) == D("12.35")
    assert pure.share(D("1234.50"), D("12.50")) == D("154.31")


def test_a_province_rule_replaces_the_national_one_of_its_kind_only():
    national = pure.Rule(1, False, "sales_agent", "VPMN", "revenue_share", JAN, rate=D("10"), months=3)
    other_kind = pure.Rule(2, False, "solution_provider", "VPMN", "revenue_share", JAN, rate=D("9"), months=3)
    province = pure.Rule(3, True, "solution_provider", "VPMN", "revenue_share", JAN, rate=D("8"), months=3)
    ended = pure.Rule(4, True, "sales_agent", "VPMN", "revenue_share", JAN, JAN, rate=D("20"), months=3)
    kinds = ["sales_agent", "solution_provider"]
    assert {rule.id for rule in pure.rules_in_force([national, other_kind, province, ended], kinds, FEB)} == {1, 3}
    assert {rule.id for rule in pure.rules_in_force([national, other_kind, province, ended], kinds, JAN)} == {3, 4}


def test_the_month_of_the_subscription_is_the_first_of_the_share():
    rule = pure.Rule(1, False, "sales_agent", "VPMN", "revenue_share", JAN, rate=D("10"), months=2)
    holding = pure.Holding(7, "VPMN", JAN.replace(day=31), partner=5, monthly_revenue=D("100"))
    bills = {(7, month): D("1000") for month in (JAN, FEB, MAR)}
    paid = {
        month: pure.settlement_lines(
            partner=5, kinds=["sales_agent"], month=month, rules=[rule], holdings=[holding], bills=bills
        )
        for month in (JAN, FEB, MAR)
    }
    assert [[line.month_index for line in paid[month]] for month in (JAN, FEB, MAR)] == [[1], [2], []]


def _generated(rng: random.Random, territory) -> list[Partner]:
    customers = [
        CustomerFactory(code=f"TW{n:04d}", uscc=make_uscc(9000 + n), region=territory["jinjiang"]) for n in range(14)
    ]
    partners = []
    for n, kinds in enumerate([["sales_agent"], ["service_agent"], ["solution_provider"], list(KINDS)]):
        partners.append(
            Partner.objects.create(
                name=f"孪生伙伴{n}",
                uscc=make_uscc(8000 + n),
                kinds=kinds,
                region=territory["chengdu"],
                contract_starts_on=datetime.date(2025, 1, 1),
                contract_ends_on=datetime.date(2026, 12, 31),
            )
        )
    for _rule in range(40):
        basis = rng.choice(list(BASES))
        start = rng.choice(MONTHS)
        end = rng.choice([None, None, rng.choice([m for m in MONTHS if m >= start])])
        values = (
            {"rate": D(rng.randrange(0, 3000)) / 100, "months": rng.randrange(1, 5)}
            if basis == "revenue_share"
            else {"amount": D(rng.randrange(0, 50000)) / 100}
        )
        # overlapping rules of one scope are refused by the service, not the table: both sides keep the best
        CommissionRule.objects.create(
            scope_id=rng.choice(["000000", "510000"]),
            partner_kind=rng.choice(BASES[basis]),
            product_id=rng.choice(PRODUCTS),
            basis=basis,
            valid_from=start,
            valid_until=end,
            **values,
        )
    for customer in customers:
        for product in rng.sample(PRODUCTS, rng.randrange(1, 4)):
            CustomerProduct.objects.create(
                customer=customer,
                product_id=product,
                subscribed_on=rng.choice(MONTHS) + datetime.timedelta(days=rng.randrange(0, 28)),
                partner=rng.choice([None, *partners]),
                active_users=rng.randrange(0, 30),
                monthly_revenue=D(rng.randrange(0, 500000)) / 100,
            )
        for month in MONTHS:
            if rng.random() < 0.7:
                BillingPeriod.objects.create(
                    customer=customer, period=month, monthly_spend=D(rng.randrange(0, 300000)) / 100
                )
        for _ in range(rng.randrange(1, 4)):
            starts = rng.choice(MONTHS) + datetime.timedelta(days=rng.randrange(0, 28))
            ends = rng.choice([None, starts + datetime.timedelta(days=rng.randrange(0, 70))])
            PartnerAssignment.objects.create(
                partner=rng.choice(partners),
                customer=customer,
                role=rng.choice(["service", "service", "sales"]),
                starts_on=starts,
                ends_on=ends,
            )
    return partners


def facts(line, *names: str) -> tuple:
    """What a line says, the same from either side: the customer, product and rule (named as `names`), then the
    basis, quantity, base, rate, month of the share and amount."""
    return tuple(getattr(line, name) for name in (*names, "basis", "quantity", "base", "rate", "month_index", "amount"))


def _pure_lines(partner: Partner, month: datetime.date) -> set[tuple]:
    rules = [
        pure.Rule(
            rule.pk,
            rule.scope_id == "510000",
            rule.partner_kind,
            rule.product_id,
            rule.basis,
            rule.valid_from,
            rule.valid_until,
            rule.rate,
            rule.months,
            rule.amount,
        )
        for rule in CommissionRule.objects.filter(scope_id__in=["000000", "510000"])
    ]
    holdings = [
        pure.Holding(h.customer_id, h.product_id, h.subscribed_on, h.partner_id, h.active_users, h.monthly_revenue)
        for h in CustomerProduct.objects.all()
    ]
    assignments = [
        pure.Assignment(a.customer_id, a.partner_id, a.starts_on, a.ends_on, a.role)
        for a in PartnerAssignment.objects.all()
    ]
    bills = {(b.customer_id, b.period): b.monthly_spend for b in BillingPeriod.objects.all()}
    lines = pure.settlement_lines(
        partner=partner.pk,
        kinds=partner.kinds,
        month=month,
        rules=rules,
        holdings=holdings,
        assignments=assignments,
        bills=bills,
    )
    return {facts(line, "customer", "product", "rule") for line in lines}


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_sql_settlement_agrees_with_the_pure_rules(cast, territory, seed):
    partners = _generated(random.Random(seed), territory)
    bases = set()
    for month in (JAN, FEB, MAR):
        settlements_compute(user=cast["paul"], month=month, region=territory["sichuan"], today=TODAY)
        for partner in partners:
            settlement = Settlement.objects.get(partner=partner, period=month)
            written = {facts(line, "customer_id", "product_id", "rule_id") for line in settlement.lines.all()}
            expected = _pure_lines(partner, month)
            assert written == expected, (partner.name, month)
            assert settlement.total == sum((row[-1] for row in expected), D("0"))
            bases |= {row[3] for row in expected}
    assert bases == set(BASES)  # the data pay on every basis, not nothing everywhere
