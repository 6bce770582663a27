"""The set-based recompute agrees with the pure function, writes nothing the second time, and keeps to its chunk."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import Customer
from tiering.bulk import apply_rules
from tiering.rules import evaluate, rule_values

from .samples import rule_sets

pytestmark = pytest.mark.django_db


def normalised(reasons):
    """Numbers compared as numbers: the database writes 100000 where Python holds Decimal('100000.00')."""
    numeric = {"gte", "gt", "lte", "lt"}
    return [
        {**r, "value": Decimal(str(r["value"])).normalize() if r["operator"] in numeric else r["value"]}
        for r in reasons
    ]


@pytest.mark.parametrize("variant", [0, 1])
def test_bulk_recompute_agrees_with_the_pure_function(generated, variant):
    national, variants = rule_sets()
    rules = variants[variant]
    apply_rules(Customer.objects.all(), rules, national.pk)
    for customer in Customer.objects.all():
        expected = evaluate(rule_values(customer), rules)
        assert customer.tier == expected.tier, rule_values(customer)
        assert normalised(customer.tier_reasons) == normalised(expected.reasons), rule_values(customer)
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


def test_a_flag_reason_reads_true_on_every_database(customers):
    """SQLite keeps a flag as 1: the reason the bulk recompute writes still says `true`, as PostgreSQL's does, so a
    rerun sees the same reasons and the API shows the same value."""
    Customer.objects.filter(code="CD0001").update(is_tax_top500=True)
    call_command("recompute_tiers", stdout=StringIO())
    (reason,) = [r for r in Customer.objects.get(code="CD0001").tier_reasons if r["operator"] == "is_true"]
    assert reason["value"] is True and reason["field"] == "is_tax_top500"
