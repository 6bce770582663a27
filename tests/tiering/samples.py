"""Rule sets to evaluate the generated customers with: the national one, and one with A+ and more rules."""

from decimal import Decimal

from tiering.models import RuleSet
from tiering.rules import RuleSpec


def rule_sets():
    national = RuleSet.objects.get(scope_id="000000", status="published")
    extra = [
        *national.specs(),
        RuleSpec("A+", "employee_count", "gt", Decimal("4000"), rule_id=901),
        RuleSpec("B", "informatization_revenue", "gte", Decimal("30000"), rule_id=902),
        RuleSpec("A", "handset_count", "lt", Decimal("1"), rule_id=903),
    ]
    return national, [national.specs(), extra]
