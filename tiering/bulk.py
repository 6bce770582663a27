"""Set-based tier recompute: the rule specs of `tiering.rules` as one SQL `UPDATE … SET tier = CASE …`.

The statement computes the tier and the reasons (the matching rules of the tier given, with the customer's value
and the threshold) in the database and touches only rows whose result differs (`IS DISTINCT FROM`), so a second
run over unchanged data writes nothing. Tests hold it to `tiering.rules.evaluate` on generated customers.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from functools import reduce

from django.db import connection
from django.db.models import (
    Case,
    CharField,
    F,
    Field,
    ForeignKey,
    Func,
    JSONField,
    Lookup,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, JSONObject
from django.utils import timezone

from accounts.models import Customer

from .models import TierChange, TierOverride
from .rules import DEFAULT_TIER, TIER_ORDER, RuleSpec


class IsDistinctFrom(Lookup):
    """Null-safe inequality: `a IS DISTINCT FROM b` (SQLite spells it `a IS NOT b`)."""

    lookup_name = "distinct_from"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} IS DISTINCT FROM {rhs}", [*lhs_params, *rhs_params]

    def as_sqlite(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} IS NOT {rhs}", [*lhs_params, *rhs_params]


Field.register_lookup(IsDistinctFrom)
ForeignKey.register_lookup(IsDistinctFrom)


class CompactJSONArray(Func):
    """A JSON array of its arguments' values, leaving out the NULLs, in argument order."""

    output_field = JSONField()

    def as_postgresql(self, compiler, connection, **extra):
        if not self.source_expressions:
            return "'[]'::jsonb", []
        items, params = self._items(compiler, connection)
        return (
            "(SELECT COALESCE(jsonb_agg(item ORDER BY position), '[]'::jsonb) "
            f"FROM unnest(ARRAY[{items}]::jsonb[]) WITH ORDINALITY AS t(item, position) WHERE item IS NOT NULL)",
            params,
        )

    def as_sqlite(self, compiler, connection, **extra):
        if not self.source_expressions:
            return "'[]'", []
        items, params = self._items(compiler, connection)
        return (
            "(SELECT COALESCE(json_group_array(json(value)), '[]') "
            f"FROM json_each(json_array({items})) WHERE value IS NOT NULL)",
            params,
        )

    def _items(self, compiler, connection) -> tuple[str, list]:
        sqls, params = [], []
        for expression in self.source_expressions:
            sql, expression_params = compiler.compile(expression)
            sqls.append(sql)
            params.extend(expression_params)
        return ", ".join(sqls), params


def rule_q(rule: RuleSpec) -> Q:
    if rule.operator == "is_true":
        return Q(**{rule.field: True})
    if rule.operator == "in":
        return Q(industry_id__in=sorted(rule.industries))
    return Q(**{f"{rule.field}__{rule.operator}": rule.threshold})


def _any(rules: Sequence[RuleSpec]) -> Q | None:
    return reduce(operator.or_, (rule_q(rule) for rule in rules)) if rules else None


def tier_expression(rules: Sequence[RuleSpec]) -> Case:
    active = Q(status="active")
    whens = []
    for tier in TIER_ORDER:
        condition = _any([rule for rule in rules if rule.tier == tier])
        if condition is not None:
            whens.append(When(active & condition, then=Value(tier)))
    whens.append(When(active, then=Value(DEFAULT_TIER)))
    return Case(*whens, default=Value(None), output_field=CharField())


def reasons_expression(rules: Sequence[RuleSpec]) -> CompactJSONArray:
    items = []
    higher: list[RuleSpec] = []
    for tier in TIER_ORDER:
        tier_rules = [rule for rule in rules if rule.tier == tier]
        outranked = _any(higher)
        for rule in tier_rules:
            condition = Q(status="active") & rule_q(rule)
            if outranked is not None:
                condition &= ~outranked
            value = F("industry_id") if rule.field == "industry" else F(rule.field)
            reason = JSONObject(
                rule=Value(rule.rule_id),
                tier=Value(rule.tier),
                field=Value(rule.field),
                operator=Value(rule.operator),
                value=value,
                threshold=Value(None if rule.threshold is None else str(rule.threshold)),
                label=Value(rule.label),
            )
            items.append(Case(When(condition, then=reason), default=Value(None), output_field=JSONField()))
        higher.extend(tier_rules)
    return CompactJSONArray(*items)


def apply_rules(
    customers: QuerySet[Customer], rules: Sequence[RuleSpec], rule_set_id: int, source: str = "manual"
) -> int:
    """Recompute the tier of `customers` with one UPDATE; returns how many rows changed.

    The new values are computed once per row in a subquery and joined back (`UPDATE … FROM`), and only rows whose
    tier, reasons or rule set differ are written. Reasons are only built where a rule can have matched. Every
    change of tier is appended to the history (TierChange) in the same statement on PostgreSQL.
    """
    tier = tier_expression(rules)
    no_reasons = Value([], output_field=JSONField())
    any_rule = _any(list(rules))
    reasons = (
        Case(
            When(Q(status="active") & any_rule, then=reasons_expression(rules)),
            default=no_reasons,
            output_field=JSONField(),
        )
        if any_rule is not None
        else no_reasons
    )
    overridden = TierOverride.objects.active().filter(customer=OuterRef("pk")).values("tier")[:1]
    fresh = (
        customers.order_by()
        .annotate(
            old_tier=F("tier"),
            new_computed=tier,
            new_tier=Coalesce(Subquery(overridden), tier),
            new_reasons=reasons,
        )
        .values("id", "old_tier", "new_computed", "new_tier", "new_reasons")
    )
    select_sql, params = fresh.query.sql_with_params()
    table = Customer._meta.db_table
    history = TierChange._meta.db_table
    postgres = connection.vendor == "postgresql"
    distinct = "IS DISTINCT FROM" if postgres else "IS NOT"
    differs = (
        f"{table}.tier {distinct} fresh.new_tier OR {table}.computed_tier {distinct} fresh.new_computed "
        f"OR {table}.tier_reasons {distinct} fresh.new_reasons OR {table}.tier_rule_set_id {distinct} %s"
    )
    update = (
        f"UPDATE {table} SET tier = fresh.new_tier, computed_tier = fresh.new_computed, "
        f"tier_reasons = fresh.new_reasons, tier_rule_set_id = %s "
        f"FROM ({select_sql}) AS fresh WHERE {table}.id = fresh.id AND ({differs})"
    )
    log = (
        f"INSERT INTO {history} (customer_id, from_tier, to_tier, changed_at, source, rule_set_id) "
        "SELECT id, COALESCE(old_tier, ''), COALESCE(new_tier, ''), %s, %s, %s FROM {rows} "
        f"WHERE old_tier {distinct} new_tier"
    )
    now = timezone.now()
    with connection.cursor() as cursor:
        if postgres:
            cursor.execute(
                f"WITH changed AS ({update} RETURNING fresh.id, fresh.old_tier, fresh.new_tier), "
                f"logged AS ({log.format(rows='changed')} RETURNING 1) SELECT COUNT(*) FROM changed",
                [rule_set_id, *params, rule_set_id, now, source, rule_set_id],
            )
            return cursor.fetchone()[0]
        # SQLite has no data-modifying CTE: log first, from the same computation, then update.
        cursor.execute(log.format(rows=f"({select_sql}) AS fresh"), [now, source, rule_set_id, *params])
        cursor.execute(update, [rule_set_id, *params, rule_set_id])
        return cursor.rowcount
