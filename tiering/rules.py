"""The tier rules as plain values, and the one definition of how a customer's tier follows from them (SPEC §4.1).

`evaluate` is the single definition; `tiering.bulk` turns the same rule specs into SQL for a million customers
and is tested to agree with it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

TIER_ORDER = ("A+", "A", "B")  # highest first; C is "active and nothing matched"
DEFAULT_TIER = "C"
# `group_handset_count` is a roll-up: the handsets of the whole group the customer belongs to (its top
# headquarters and every branch below, the customer included); a customer in no group, its own handset count.
GROUP_HANDSET_FIELD = "group_handset_count"
NUMERIC_FIELDS = ("handset_count", "monthly_spend", "employee_count", "informatization_revenue", GROUP_HANDSET_FIELD)
FLAG_FIELDS = ("is_tax_top500", "is_major_influence")
INDUSTRY_FIELD = "industry"
OPERATORS = {"gte": "≥", "gt": ">", "lte": "≤", "lt": "<", "is_true": "", "in": "∈"}


@dataclass(frozen=True)
class RuleSpec:
    """One rule: `tier` when `field operator threshold` holds (or the industry is in `industries`)."""

    tier: str
    field: str
    operator: str
    threshold: Decimal | None = None
    # `dataclasses.field` in full: within the class body the bare name reads as the attribute `field` above.
    industries: frozenset[str] = dataclasses.field(default_factory=frozenset)
    label: str = ""
    rule_id: int | None = None

    def matches(self, values: Mapping[str, Any]) -> bool:
        value = values[self.field]
        if self.operator == "is_true":
            return bool(value)
        if self.operator == "in":
            return value in self.industries
        if value is None:
            return False
        value = Decimal(value)
        assert self.threshold is not None, "a comparison has a threshold (Rule.clean)"
        return {
            "gte": value >= self.threshold,
            "gt": value > self.threshold,
            "lte": value <= self.threshold,
            "lt": value < self.threshold,
        }[self.operator]

    def reason(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """What the customer page and the API show: the rule, the customer's value and the threshold."""
        value = values[self.field]
        return {
            "rule": self.rule_id,
            "tier": self.tier,
            "field": self.field,
            "operator": self.operator,
            "value": value,
            "threshold": None if self.threshold is None else str(self.threshold),
            "label": self.label,
        }


@dataclass(frozen=True)
class TierResult:
    tier: str | None
    reasons: list[dict[str, Any]]


def uses_group_handsets(rules: Sequence[RuleSpec]) -> bool:
    """Whether any rule reads the group's total handsets (a roll-up that costs a walk through the groups)."""
    return any(rule.field == GROUP_HANDSET_FIELD for rule in rules)


def rule_values(customer: Any, group_handset_count: int | None = None) -> dict[str, Any]:
    """What the rules read of a customer (`evaluate`): status, industry code, numbers and flags. The group's total
    handsets is not the customer's own: it is given (`group_handset_count`), its own handset count when it is not
    (a customer in no group)."""
    values = {name: getattr(customer, name) for name in (*NUMERIC_FIELDS, *FLAG_FIELDS) if name != GROUP_HANDSET_FIELD}
    group = customer.handset_count if group_handset_count is None else group_handset_count
    return values | {"status": customer.status, "industry": customer.industry_id, GROUP_HANDSET_FIELD: group}


def evaluate(values: Mapping[str, Any], rules: Sequence[RuleSpec]) -> TierResult:
    """The tier of one customer: the highest tier any of whose rules matches; active and nothing matched is C.

    `values` holds `status`, `industry` (code) and the numeric and flag fields, `group_handset_count` among them
    (the customer's own `handset_count` when absent: a customer in no group). Prospects and churned customers have
    no tier. The reasons are the matching rules of the tier given.
    """
    if GROUP_HANDSET_FIELD not in values:
        values = {**values, GROUP_HANDSET_FIELD: values["handset_count"]}
    if values["status"] != "active":
        return TierResult(None, [])
    for tier in TIER_ORDER:
        matched = [rule for rule in rules if rule.tier == tier and rule.matches(values)]
        if matched:
            return TierResult(tier, [rule.reason(values) for rule in matched])
    return TierResult(DEFAULT_TIER, [])


def reason_text(reason: Mapping[str, Any]) -> str:
    """`handset_count 612 ≥ 500`, `industry J66 ∈ 银行`, `is_tax_top500`."""
    operator = reason["operator"]
    if operator == "is_true":
        return reason["field"]
    if operator == "in":
        return f"{reason['field']} {reason['value']} ∈ {reason['label'] or '…'}"
    return f"{reason['field']} {_number(reason['value'])} {OPERATORS[operator]} {_number(reason['threshold'])}"


def _number(value: Any) -> str:
    number = Decimal(str(value))
    return f"{number:f}".rstrip("0").rstrip(".") if "." in f"{number:f}" else f"{number:f}"
