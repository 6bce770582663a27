"""Set-based tier recompute: the rule specs of `tiering.rules` as one SQL `UPDATE … SET tier = CASE …`.

The statement computes the tier and the reasons (the matching rules of the tier given, with the customer's value
and the threshold) in the database and touches only rows whose result differs (`IS DISTINCT FROM`), so a second
run over unchanged data writes nothing. Tests hold it to `tiering.rules.evaluate` on generated customers.

A rule on the group's total handsets (`group_handset_count`) reads a table of group totals built once per
recompute (`group_totals_build`): one recursive walk from every group's top headquarters down
`customer_parent_idx`, summed per group, kept as a temporary table of customer → total, read by its key. A rule
set without such a rule never builds it, and its statement is the same as without the field.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Iterator, Sequence
from functools import reduce

from django.db import connection
from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    Expression,
    F,
    Func,
    JSONField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce, JSONObject
from django.db.models.lookups import GreaterThan, GreaterThanOrEqual, LessThan, LessThanOrEqual
from django.db.models.sql import UpdateQuery
from django.utils import timezone

from accounts.models import Customer, branches_of
from crm import audit
from crm.models import AuditAction, Region, User

from .models import TierChange, TierOverride
from .rules import DEFAULT_TIER, GROUP_HANDSET_FIELD, TIER_ORDER, RuleSpec, uses_group_handsets

# The group totals of one recompute: a temporary table, the connection's own, rebuilt by `group_totals_build`.
GROUP_TOTALS_TABLE = "tiering_group_handsets"


def group_totals_build(customers: QuerySet[Customer] | None = None) -> None:
    """(Re)build the temporary table of group totals: every customer in a group (a headquarters with branches, or
    a branch) → the handsets of its whole group, its top headquarters and every branch below. One recursive walk
    from the top headquarters down `customer_parent_idx`, one probe per branch, then one sum per group; a customer
    in no group is not in it. A cycle, which the services refuse, has no top and is left out: its customers count
    their own handsets.

    The tops are those of every group (the parents that have no parent, read off `customer_parent_idx` alone), or,
    for a part of the customers (`customers` filtered: a chunk of the nightly run, one customer after an edit),
    those of the groups that part is in, found by a walk up from it by the primary key: the groups it touches are
    summed whole, the others not at all."""
    walk, params = _group_walk(customers)
    table = connection.ops.quote_name(Customer._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {GROUP_TOTALS_TABLE}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {GROUP_TOTALS_TABLE} (customer_id bigint PRIMARY KEY, total bigint NOT NULL)"
        )
        cursor.execute(
            f"INSERT INTO {GROUP_TOTALS_TABLE} (customer_id, total) "
            f"{walk}, total(root, handsets) AS ("
            f"SELECT m.root, SUM(c.handset_count) FROM member m INNER JOIN {table} c ON c.id = m.id GROUP BY m.root"
            ") SELECT m.id, total.handsets FROM member m INNER JOIN total ON total.root = m.root",
            params,
        )
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {GROUP_TOTALS_TABLE}")  # a temporary table has no statistics until asked


def _group_walk(customers: QuerySet[Customer] | None) -> tuple[str, tuple]:
    """`WITH RECURSIVE …member(id, root)`: every customer of the groups `customers` are in (of every group when it
    is None or unfiltered) with its group's top headquarters, walked down from the tops by `customer_parent_idx`
    (`accounts.models.branches_of`); the tops of a part found by a walk up from it by the primary key."""
    table = connection.ops.quote_name(Customer._meta.db_table)
    params: tuple = ()
    if customers is None or not customers.query.where:
        tops = (
            f"SELECT t.id, t.id FROM {table} t WHERE t.parent_id IS NULL "
            f"AND t.id IN (SELECT p.parent_id FROM {table} p WHERE p.parent_id IS NOT NULL)"
        )
        walk_up = ""
    else:
        part, params = customers.order_by().values("pk").query.sql_with_params()
        walk_up = (
            f"up(id, parent_id) AS (SELECT c.id, c.parent_id FROM {table} c WHERE c.id IN ({part}) "
            f"UNION SELECT p.id, p.parent_id FROM up INNER JOIN {table} p ON p.id = up.parent_id), "
        )
        tops = (
            "SELECT u.id, u.id FROM up u WHERE u.parent_id IS NULL "
            f"AND EXISTS (SELECT 1 FROM {table} b WHERE b.parent_id = u.id)"
        )
    step = branches_of("m")  # each row's branches by `customer_parent_idx`, as every walk down a group steps
    member = f"member(id, root) AS ({tops} UNION ALL SELECT b.id, m.root FROM member m {step})"
    return f"WITH RECURSIVE {walk_up}{member}", params


def with_whole_groups(customers: QuerySet[Customer]) -> QuerySet[Customer]:
    """`customers` and every other customer of the groups they are in, headquarters and branches at any depth: what
    a rule on the group's total handsets must recompute once one customer's handsets or place in a group changed.
    One subquery (the walk of `group_totals_build`), read by the statement that uses it."""
    walk, params = _group_walk(customers)
    return Customer.objects.filter(
        Q(pk__in=customers.order_by().values("pk")) | Q(pk__in=RawSQL(f"{walk} SELECT id FROM member", params))
    )


def group_totals_drop() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {GROUP_TOTALS_TABLE}")


class GroupHandsetCount(Func):
    """A customer's group total (`group_totals_build`), its own handset count when it is in no group."""

    output_field = BigIntegerField()

    def __init__(self):
        super().__init__(F("pk"), F("handset_count"))

    def as_sql(self, compiler, connection, **extra):
        pk, pk_params = compiler.compile(self.source_expressions[0])
        own, own_params = compiler.compile(self.source_expressions[1])
        return (
            f"COALESCE((SELECT g.total FROM {GROUP_TOTALS_TABLE} g WHERE g.customer_id = {pk}), {own})",
            [*pk_params, *own_params],
        )


def field_expression(field: str, *, group_totals: bool = True) -> Expression:
    """What a rule's field reads of a customer row. The group total comes from the recompute's table of group totals,
    or is the row's own handset count (`group_totals=False`: a customer not yet in the table, not yet in a group)."""
    if field == "industry":
        return F("industry_id")
    if field == GROUP_HANDSET_FIELD:
        return GroupHandsetCount() if group_totals else F("handset_count")
    return F(field)


COMPARISON_LOOKUPS = {"gte": GreaterThanOrEqual, "gt": GreaterThan, "lte": LessThanOrEqual, "lt": LessThan}


class CompactJSONArray(Func):
    """A JSON array of its arguments' values, leaving out the NULLs, in argument order."""

    output_field = JSONField()

    def as_postgresql(self, compiler, connection, **extra):
        if not self.source_expressions:
            return "'[]'::jsonb", []
        items, params = self._items(compiler, connection)
        # array_remove drops the NULLs without a subquery per row (a third of the cost of unnest + jsonb_agg).
        return f"to_jsonb(array_remove(ARRAY[{items}]::jsonb[], NULL))", params

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


class ReasonJSON(Func):
    """One reason: the rule's own facts and the customer's value, as `RuleSpec.reason` gives it.

    On PostgreSQL the facts are one constant merged with `{"value": …}`, which costs a quarter less per row than
    building seven keys; elsewhere it is one json_object with the keys in `RuleSpec.reason`'s order.
    """

    output_field = JSONField()

    def __init__(self, rule: RuleSpec, *, group_totals: bool = True):
        self.facts = {
            "rule": rule.rule_id,
            "tier": rule.tier,
            "field": rule.field,
            "operator": rule.operator,
            "threshold": None if rule.threshold is None else str(rule.threshold),
            "label": rule.label,
        }
        super().__init__(field_expression(rule.field, group_totals=group_totals))

    def as_sql(self, compiler, connection, **extra):
        # The keys in RuleSpec.reason's order: SQLite keeps JSON as text, compared as text by the next run.
        keys = ("rule", "tier", "field", "operator", "value", "threshold", "label")
        value = self.source_expressions[0]
        if self.facts["operator"] == "is_true":  # SQLite keeps a flag as 1 or 0: the reason says true, as elsewhere
            flag, params = compiler.compile(value)
            value = RawSQL(f"json(CASE WHEN {flag} THEN 'true' ELSE 'false' END)", params)
        items = {key: value if key == "value" else Value(self.facts[key]) for key in keys}
        return compiler.compile(JSONObject(**items))

    def as_postgresql(self, compiler, connection, **extra):
        value, params = compiler.compile(self.source_expressions[0])
        return f"(%s::jsonb || jsonb_build_object('value', {value}))", [json.dumps(self.facts), *params]


def rule_q(rule: RuleSpec, *, group_totals: bool = True) -> Q:
    if rule.operator == "is_true":
        return Q(**{rule.field: True})
    if rule.operator == "in":
        return Q(industry_id__in=sorted(rule.industries))
    if rule.field == GROUP_HANDSET_FIELD:
        lookup = COMPARISON_LOOKUPS[rule.operator]
        return Q(lookup(field_expression(rule.field, group_totals=group_totals), Value(rule.threshold)))
    return Q(**{f"{rule.field}__{rule.operator}": rule.threshold})


def _any(rules: Sequence[RuleSpec], *, group_totals: bool = True) -> Q | None:
    """Whether any of `rules` holds. The industry rules are one test of the industry against all their codes: a
    hashed lookup once the list is long, where a test per rule costs a tenth of a second a million rows each."""
    industries = frozenset().union(*(rule.industries for rule in rules if rule.operator == "in"))
    tests = [rule_q(rule, group_totals=group_totals) for rule in rules if rule.operator != "in"]
    if industries:
        tests.append(Q(industry_id__in=sorted(industries)))
    return reduce(operator.or_, tests) if tests else None


def _tiers(rules: Sequence[RuleSpec]) -> Iterator[tuple[str, list[RuleSpec]]]:
    """The tiers that have rules, highest first, each with its rules."""
    for tier in TIER_ORDER:
        tier_rules = [rule for rule in rules if rule.tier == tier]
        if tier_rules:
            yield tier, tier_rules


def tier_expression(rules: Sequence[RuleSpec], *, group_totals: bool = True) -> Case:
    """The computed tier. A rule on the group's total reads the table of `group_totals_build` (build it first), or
    the row's own handsets with `group_totals=False`."""
    active = Q(status="active")
    whens = [
        When(active & _any(tier_rules, group_totals=group_totals), then=Value(tier))
        for tier, tier_rules in _tiers(rules)
    ]
    whens.append(When(active, then=Value(DEFAULT_TIER)))
    return Case(*whens, default=Value(None), output_field=CharField())


def reasons_expression(rules: Sequence[RuleSpec], *, group_totals: bool = True) -> Case:
    """The reasons: a CASE over the tiers, highest first, like the tier itself, whose branch lists the rules of that
    tier that match. Only the winning tier's rules are looked at, and a row no rule matches costs one test."""
    whens = []
    for _tier, tier_rules in _tiers(rules):
        items = [
            Case(
                When(rule_q(rule, group_totals=group_totals), then=ReasonJSON(rule, group_totals=group_totals)),
                default=Value(None),
                output_field=JSONField(),
            )
            for rule in tier_rules
        ]
        whens.append(
            When(Q(status="active") & _any(tier_rules, group_totals=group_totals), then=CompactJSONArray(*items))
        )
    return Case(*whens, default=Value([], output_field=JSONField()), output_field=JSONField())


def tier_of_reasons() -> Coalesce:
    """The computed tier that a customer's stored reasons and status imply, read without evaluating the rules."""
    return Coalesce(
        KT("tier_reasons__0__tier"),
        Case(When(status="active", then=Value(DEFAULT_TIER)), default=Value(None), output_field=CharField()),
    )


def tier_with_overrides(computed: Case | F) -> Case:
    """The tier a customer holds: the override's while one is in force, otherwise the computed one."""
    overrides = TierOverride.objects.active()
    # The IN list is one hashed lookup per row; the override's own tier is read only for the few that hold one.
    return Case(
        When(
            pk__in=overrides.values("customer_id"),
            then=Subquery(overrides.filter(customer=OuterRef("pk")).order_by("-set_at").values("tier")[:1]),
        ),
        default=computed,
        output_field=CharField(),
    )


def apply_rules(
    customers: QuerySet[Customer],
    rules: Sequence[RuleSpec],
    rule_set_id: int,
    source: str = "manual",
    user: User | None = None,
) -> int:
    """Recompute the tier of `customers` with one UPDATE; returns how many customers changed tier (the rows it
    appends to the history), not how many rows it rewrote: a new rule set rewrites every row's rule set and
    reasons, while only those whose tier differs have changed.

    Only rows whose tier, computed tier, reasons or rule set differ are written (`IS DISTINCT FROM`, the reasons
    compared last so that the cheap comparisons decide most rows). A customer with an override in force keeps
    the override's tier. Every change of tier is appended to the history (TierChange) and to the audit trail (as
    `user`'s, or the job's), in the same statement on PostgreSQL.

    When a rule reads the group's total handsets, the totals of the groups `customers` are in are built first,
    once for the whole statement (`group_totals_build`), and dropped after; otherwise nothing of them is built or
    read.
    """
    if not uses_group_handsets(rules):
        return _apply_rules(customers, rules, rule_set_id, source, user)
    group_totals_build(customers)
    try:
        return _apply_rules(customers, rules, rule_set_id, source, user)
    finally:
        group_totals_drop()


def _apply_rules(
    customers: QuerySet[Customer], rules: Sequence[RuleSpec], rule_set_id: int, source: str, user: User | None
) -> int:
    computed = tier_expression(rules)
    reasons = reasons_expression(rules)
    tier = tier_with_overrides(computed)
    # The rules are evaluated once per row, for the reasons, which decide the rest: the computed tier is the tier of
    # the first reason (`reasons_expression` lists the rules of the winning tier), or the default for an active
    # customer none matches. So once the stored reasons are right, the stored computed tier is right when it
    # agrees with them, and the tier when it equals the override or that computed tier.
    pending = customers.order_by().filter(
        Q(computed_tier__distinct_from=tier_of_reasons())
        | Q(tier__distinct_from=tier_with_overrides(F("computed_tier")))
        | Q(tier_rule_set_id__distinct_from=rule_set_id)
        | Q(tier_reasons__distinct_from=reasons)
    )
    values = {"tier": tier, "computed_tier": computed, "tier_reasons": reasons, "tier_rule_set_id": rule_set_id}
    log = (
        f"INSERT INTO {TierChange._meta.db_table} (customer_id, from_tier, to_tier, changed_at, source, rule_set_id) "
        "SELECT id, COALESCE(old_tier, ''), COALESCE(new_tier, ''), %s, %s, %s FROM ({rows}) AS rows"
    )
    log_params = [timezone.now(), source, rule_set_id]
    region = connection.ops.quote_name(Region._meta.db_table)
    audited = (
        "SELECT CAST(rows.id AS text) AS object_id, rows.name AS object_repr, rows.id AS customer_id, "
        f"rows.code AS customer_code, {region}.path AS region_path, "
        f"{audit.changes_sql({'tier': ('rows.old_tier', 'rows.new_tier')})} AS changes "
        f"FROM ({{rows}}) AS rows JOIN {region} ON {region}.code = rows.region_id "
        # in the order of the trail's index by customer: a sweep through it, not a leaf page read at random for
        # each entry (3× faster for a million once that index outgrows the cache)
        "ORDER BY rows.id"
    )
    audit_sql, audit_params = audit.select_insert(
        user=user,
        action=AuditAction.UPDATE,
        object_type="accounts.customer",
        select_sql=audited,
        detail={"rule_set": rule_set_id, "source": source},
    )
    if connection.vendor != "postgresql":
        # SQLite has no data-modifying CTE: log first, from the same computation, then update.
        changes = pending.filter(tier__distinct_from=tier).annotate(old_tier=F("tier"), new_tier=tier)
        select_sql, params = changes.values(
            "id", "old_tier", "new_tier", "code", "name", "region_id"
        ).query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(log.format(rows=select_sql), [*log_params, *params])
            changed = cursor.rowcount  # a row in the history per change of tier
            cursor.execute(audit_sql.format(rows=select_sql), [*audit_params, *params])
        pending.update(**values)
        return changed
    query = pending.query.chain(UpdateQuery)
    query.add_update_values(values)
    update_sql, params = query.get_compiler(connection.alias).as_sql()
    table = connection.ops.quote_name(Customer._meta.db_table)
    # A subquery in RETURNING reads the statement's snapshot: the row as it was before this UPDATE.
    returning = (
        f"RETURNING {table}.id, (SELECT before.tier FROM {table} AS before WHERE before.id = {table}.id) AS old_tier, "
        f"{table}.tier AS new_tier, {table}.code, {table}.name, {table}.region_id"
    )
    rows = "SELECT * FROM changed WHERE old_tier IS DISTINCT FROM new_tier"
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH changed AS ({update_sql} {returning}), logged AS ({log.format(rows=rows)} RETURNING 1), "
            f"audited AS ({audit_sql.format(rows=rows)} RETURNING 1) "
            # the customers whose tier changed, the rows logged: not every row rewritten (rule set, reasons)
            "SELECT COUNT(*) FROM changed WHERE old_tier IS DISTINCT FROM new_tier",
            [*params, *log_params, *audit_params],
        )
        return cursor.fetchone()[0]


# The customer's fields the rules read (`tiering.rules`), as a staged row names them: the industry's code is
# `industry`, not the foreign key's column.
RULE_COLUMNS = {
    "status": "status",
    "industry_id": "industry",
    "handset_count": "handset_count",
    "employee_count": "employee_count",
    "monthly_spend": "monthly_spend",
    "informatization_revenue": "informatization_revenue",
    "is_tax_top500": "is_tax_top500",
    "is_major_influence": "is_major_influence",
}


def new_customer_tier_sql(rules: Sequence[RuleSpec], alias: str) -> dict[str, tuple[str, list]]:
    """SQL for the tier, computed tier and reasons of a customer not yet in the table, over a row `alias` that
    carries the fields the rules read under the names of `RULE_COLUMNS` (a staged import row): the very
    expressions of `apply_rules`, so that a customer created with them is one the recompute leaves alone. A new
    customer has no override: its tier is the computed one.

    A rule on the group's total handsets reads the new customer's own handsets: these expressions see the staged
    row alone, and an import sets the parents only after it has merged the rows (its own handsets are what the
    recompute reads for a customer in no group). A new customer the same file puts in a group is recomputed right
    after with its whole group (`imports.services` hands it to `tiering.services.tiers_apply`)."""
    query = Customer.objects.all().query
    compiler = query.get_compiler(connection=connection)
    table = connection.ops.quote_name(Customer._meta.db_table)
    sqls: dict[str, tuple[str, list]] = {}
    for column, expression in (
        ("tier", tier_expression(rules, group_totals=False)),
        ("tier_reasons", reasons_expression(rules, group_totals=False)),
    ):
        sql, params = compiler.compile(expression.resolve_expression(query))
        sql = sql.replace(f"{table}.", f"{alias}.")
        for field, staged in RULE_COLUMNS.items():
            sql = sql.replace(
                f"{alias}.{connection.ops.quote_name(field)}", f"{alias}.{connection.ops.quote_name(staged)}"
            )
        sqls[column] = (sql, list(params))
    sqls["computed_tier"] = sqls["tier"]
    return sqls


def new_customers_log(customers: QuerySet[Customer], rule_set_id: int, source: str) -> int:
    """Append to the tier history the first tier of customers just created with `new_customer_tier_sql`."""
    select_sql, params = customers.filter(tier__isnull=False).values("id", "tier").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TierChange._meta.db_table} "
            "(customer_id, from_tier, to_tier, changed_at, source, rule_set_id) "
            f"SELECT rows.id, '', rows.tier, %s, %s, %s FROM ({select_sql}) AS rows",
            [timezone.now(), source, rule_set_id, *params],
        )
        return cursor.rowcount
