"""The set-based recompute agrees with the pure function, writes nothing the second time, and keeps to its chunk."""

import random
from decimal import Decimal

import pytest

from accounts.models import Customer
from tests.factories import CustomerFactory
from tiering.bulk import apply_rules
from tiering.models import RuleSet
from tiering.rules import RuleSpec, evaluate

pytestmark = pytest.mark.django_db

INDUSTRIES = ["C39", "J66", "J67", "J68", "S92", "R86", "I63", "F51", "P83", None]


@pytest.fixture
def generated(territory):
    rng = random.Random(4754)
    customers = []
    for _ in range(300):
        handsets = rng.choice([0, 99, 100, 101, 499, 500, 501, rng.randint(0, 3000)])
        customers.append(
            CustomerFactory(
                region=territory["jinjiang"],
                uscc=None,
                industry_id=rng.choice(INDUSTRIES),
                handset_count=handsets,
                employee_count=rng.randint(0, 5000),
                monthly_spend=Decimal(
                    rng.choice(
                        ["19999.99", "20000.00", "99999.99", "100000.00", "0.00", f"{rng.uniform(0, 200000):.2f}"]
                    )
                ),
                informatization_revenue=Decimal(f"{rng.uniform(0, 50000):.2f}"),
                is_tax_top500=rng.random() < 0.05,
                is_major_influence=rng.random() < 0.05,
                status=rng.choice(["active", "active", "active", "prospect", "churned"]),
            )
        )
    return customers


def values_of(customer):
    return {
        "status": customer.status,
        "industry": customer.industry_id,
        "handset_count": customer.handset_count,
        "monthly_spend": customer.monthly_spend,
        "employee_count": customer.employee_count,
        "informatization_revenue": customer.informatization_revenue,
        "is_tax_top500": customer.is_tax_top500,
        "is_major_influence": customer.is_major_influence,
    }


def normalised(reasons):
    """Numbers compared as numbers: the database writes 100000 where Python holds Decimal('100000.00')."""
    numeric = {"gte", "gt", "lte", "lt"}
    return [
        {**r, "value": Decimal(str(r["value"])).normalize() if r["operator"] in numeric else r["value"]}
        for r in reasons
    ]


def rule_sets():
    national = RuleSet.objects.get(scope_id="000000", status="published")
    extra = [
        *national.specs(),
        RuleSpec("A+", "employee_count", "gt", Decimal("4000"), rule_id=901),
        RuleSpec("B", "informatization_revenue", "gte", Decimal("30000"), rule_id=902),
        RuleSpec("A", "handset_count", "lt", Decimal("1"), rule_id=903),
    ]
    return national, [national.specs(), extra]


@pytest.mark.parametrize("variant", [0, 1])
def test_bulk_recompute_agrees_with_the_pure_function(generated, variant):
    national, variants = rule_sets()
    rules = variants[variant]
    apply_rules(Customer.objects.all(), rules, national.pk)
    for customer in Customer.objects.all():
        expected = evaluate(values_of(customer), rules)
        assert customer.tier == expected.tier, values_of(customer)
        assert normalised(customer.tier_reasons) == normalised(expected.reasons), values_of(customer)
        assert customer.tier_rule_set_id == national.pk


def test_second_run_writes_nothing(generated):
    national, (rules, _extra) = rule_sets()
    assert apply_rules(Customer.objects.all(), rules, national.pk) == len(generated)
    assert apply_rules(Customer.objects.all(), rules, national.pk) == 0


def test_a_changed_value_is_picked_up(generated):
    national, (rules, _extra) = rule_sets()
    apply_rules(Customer.objects.all(), rules, national.pk)
    target = Customer.objects.filter(status="active", tier="C").first()
    Customer.objects.filter(pk=target.pk).update(handset_count=700)
    assert apply_rules(Customer.objects.all(), rules, national.pk) == 1
    target.refresh_from_db()
    assert target.tier == "A"


def test_a_rule_set_without_rules_makes_every_active_customer_c(generated):
    national, _variants = rule_sets()
    apply_rules(Customer.objects.all(), [], national.pk)
    for customer in Customer.objects.all():
        assert customer.tier == ("C" if customer.status == "active" else None)
        assert customer.tier_reasons == []
