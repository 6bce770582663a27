"""The tier rules as a pure function: highest tier wins, reasons say why, only active customers get a tier."""

from decimal import Decimal

import pytest

from tiering.data import DEFAULT_NATIONAL_RULES
from tiering.rules import RuleSpec, evaluate, reason_text

RULES = [
    RuleSpec(tier, field, operator, threshold, frozenset(industries), label, rule_id=number)
    for number, (tier, field, operator, threshold, industries, label) in enumerate(DEFAULT_NATIONAL_RULES, start=1)
]


def customer(**values):
    base = {
        "status": "active",
        "industry": "C39",
        "handset_count": 10,
        "monthly_spend": Decimal("1000"),
        "employee_count": 10,
        "informatization_revenue": Decimal("0"),
        "is_tax_top500": False,
        "is_major_influence": False,
    }
    base.update(values)
    return base


@pytest.mark.parametrize(
    ("values", "tier"),
    [
        ({}, "C"),
        ({"handset_count": 99}, "C"),
        ({"handset_count": 100}, "B"),
        ({"handset_count": 499}, "B"),
        ({"handset_count": 500}, "A"),
        ({"monthly_spend": Decimal("19999.99")}, "C"),
        ({"monthly_spend": Decimal("20000")}, "B"),
        ({"monthly_spend": Decimal("100000")}, "A"),
        ({"industry": "J67"}, "B"),
        ({"industry": "J68"}, "B"),
        ({"industry": "J66"}, "A"),
        ({"industry": "S92"}, "A"),
        ({"industry": None}, "C"),
        ({"is_tax_top500": True}, "A"),
        ({"is_major_influence": True}, "A"),
        ({"status": "prospect", "handset_count": 900}, None),
        ({"status": "churned"}, None),
    ],
)
def test_default_national_rules(values, tier):
    assert evaluate(customer(**values), RULES).tier == tier


def test_highest_tier_wins_and_reasons_are_those_of_that_tier():
    result = evaluate(customer(handset_count=612, industry="J68", monthly_spend=Decimal("25000")), RULES)
    assert result.tier == "A"
    assert [reason_text(r) for r in result.reasons] == ["handset_count 612 ≥ 500"]


def test_every_matching_rule_of_the_tier_is_a_reason():
    result = evaluate(customer(handset_count=612, industry="J66", is_tax_top500=True), RULES)
    assert [reason_text(r) for r in result.reasons] == [
        "handset_count 612 ≥ 500",
        "is_tax_top500",
        "industry J66 ∈ 银行",
    ]


def test_a_plus_outranks_a():
    rules = [*RULES, RuleSpec("A+", "handset_count", "gte", Decimal("3000"), rule_id=99)]
    assert evaluate(customer(handset_count=3000), rules).tier == "A+"
    assert evaluate(customer(handset_count=2999), rules).tier == "A"


def test_c_has_no_reasons():
    assert evaluate(customer(), RULES).reasons == []


def test_reason_text_of_money():
    reason = evaluate(customer(monthly_spend=Decimal("123456.50")), RULES).reasons[0]
    assert reason_text(reason) == "monthly_spend 123456.5 ≥ 100000"
