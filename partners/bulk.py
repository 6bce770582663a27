"""A month's commission settlements in SQL (酬金, issue 20, point 3): the lines of every draft settlement of a scope
written by one INSERT … SELECT over the rules, the holdings, the assignments and the bills, never a loop per customer
(the twin of `partners.rules`, which the tests hold this to); then, one statement per earlier month still open to
correction, the correction lines of what changed in approved months.

The statements run on PostgreSQL and SQLite alike, with named parameters; the few expressions the two write
differently (a partner's kinds from its JSON list, a date's month number) come from `_vendor`. Amounts are computed
in fen, as integers, so that both round alike (half up) and a sum of lines is exact.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import connection

from accounts.models import BillingPeriod
from campaigns.models import CustomerProduct
from crm.models import Partner, Region
from partners.models import CommissionRule, PartnerAssignment, Settlement, SettlementLine

from .rules import month_end, month_number

# An approved month stays open to corrections this long: the next settlements computed within these months after
# it carry what changed in it (a late bill, a back-dated assignment, a holding credited late). Older months stand.
CORRECTION_MONTHS = 3

NATIONAL_PATH = "000000/"
PROVINCE_PATH_LENGTH = len("000000/510000/")

TABLES = {
    "partner": Partner._meta.db_table,
    "region": Region._meta.db_table,
    "rule": CommissionRule._meta.db_table,
    "holding": CustomerProduct._meta.db_table,
    "assignment": PartnerAssignment._meta.db_table,
    "bill": BillingPeriod._meta.db_table,
    "settlement": Settlement._meta.db_table,
    "line": SettlementLine._meta.db_table,
}
LINE_COLUMNS = (
    "settlement_id, customer_id, product_id, rule_id, basis, partner_kind, quantity, base, rate, month_index, amount, "
    "corrects_period"
)


def _vendor() -> dict[str, str]:
    if connection.vendor == "postgresql":
        return {
            "kinds": "CROSS JOIN LATERAL jsonb_array_elements_text("
            "CASE WHEN jsonb_typeof(p.kinds) = 'array' THEN p.kinds ELSE '[]'::jsonb END) AS k(value)",
            "subscribed_month": "(CAST(EXTRACT(YEAR FROM h.subscribed_on) AS INTEGER) * 12"
            " + CAST(EXTRACT(MONTH FROM h.subscribed_on) AS INTEGER))",
        }
    return {
        "kinds": "CROSS JOIN json_each(CASE WHEN json_type(p.kinds) = 'array' THEN p.kinds ELSE '[]' END) AS k",
        "subscribed_month": "(CAST(strftime('%%Y', h.subscribed_on) AS INTEGER) * 12"
        " + CAST(strftime('%%m', h.subscribed_on) AS INTEGER))",
    }


def _date(day: datetime.date) -> Any:
    return connection.ops.adapt_datefield_value(day)


def month_params(month: datetime.date) -> dict[str, Any]:
    """The parameters of the month whose lines are computed."""
    return {
        "start": _date(month),
        "end": _date(month_end(month)),
        "month_no": month_number(month),
        "national": NATIONAL_PATH,
    }


def scope_partners(
    *, region: Region | None = None, partner: Partner | None = None, id_range: tuple[int, int] | None = None
) -> tuple[str, dict[str, Any]]:
    """SQL for the ids of the partners of a scope: one partner, or those whose territory lies in `region` (and whose
    ids lie in `id_range`, a chunk's, when given)."""
    if partner is not None:
        return "SELECT %(scope_partner)s", {"scope_partner": partner.pk}
    assert region is not None
    sql = (
        f"SELECT sp.id FROM {TABLES['partner']} sp JOIN {TABLES['region']} spr ON spr.code = sp.region_id "
        "WHERE spr.path LIKE %(scope_path)s"
    )
    params: dict[str, Any] = {"scope_path": region.path + "%"}
    if id_range is not None:
        sql += " AND sp.id BETWEEN %(scope_first)s AND %(scope_last)s"
        params.update(scope_first=id_range[0], scope_last=id_range[1])
    return sql, params


def _should(targets: str) -> str:
    """The CTEs, from `targets` (target_id: the settlement the lines go to; partner_id), to `should`: the lines the
    partners earn in the month of `month_params` (see `partners.rules` for what each basis pays)."""
    t, v = TABLES, _vendor()
    share = "CASE WHEN h.monthly_revenue < b.monthly_spend THEN h.monthly_revenue ELSE b.monthly_spend END"
    return f"""
targets AS ({targets}),
kinds AS (
    SELECT t.target_id, t.partner_id, k.value AS kind, SUBSTR(pr.path, 1, {PROVINCE_PATH_LENGTH}) AS province_path
    FROM targets t JOIN {t["partner"]} p ON p.id = t.partner_id JOIN {t["region"]} pr ON pr.code = p.region_id
    {v["kinds"]}
),
month_rules AS (
    SELECT r.id, r.partner_kind, r.product_id, r.basis, r.rate, r.months, r.amount, rs.path AS scope_path
    FROM {t["rule"]} r JOIN {t["region"]} rs ON rs.code = r.scope_id
    WHERE r.valid_from <= %(start)s AND (r.valid_until IS NULL OR r.valid_until >= %(start)s)
),
applicable AS (
    SELECT kinds.target_id, kinds.partner_id, r.*
    FROM kinds JOIN month_rules r ON r.partner_kind = kinds.kind
        AND (r.scope_path = kinds.province_path OR r.scope_path = %(national)s)
    WHERE r.scope_path <> %(national)s OR kinds.province_path = %(national)s OR NOT EXISTS (
        SELECT 1 FROM month_rules own WHERE own.scope_path = kinds.province_path AND own.partner_kind = r.partner_kind
            AND own.product_id = r.product_id AND own.basis = r.basis)
),
candidates AS (
    SELECT a.target_id, h.customer_id, h.product_id, a.id AS rule_id, a.basis, a.partner_kind, 1 AS quantity,
        {share} AS base, a.rate, %(month_no)s - {v["subscribed_month"]} + 1 AS month_index,
        (CAST(ROUND(({share}) * 100) AS BIGINT) * CAST(ROUND(a.rate * 100) AS BIGINT) + 5000) / 10000 AS fen
    FROM applicable a
    JOIN {t["holding"]} h ON h.partner_id = a.partner_id AND h.product_id = a.product_id
    JOIN {t["bill"]} b ON b.customer_id = h.customer_id AND b.period = %(start)s
    WHERE a.basis = 'revenue_share' AND h.subscribed_on < %(end)s
        AND {v["subscribed_month"]} > %(month_no)s - a.months
    UNION ALL
    SELECT a.target_id, h.customer_id, h.product_id, a.id, a.basis, a.partner_kind, h.active_users, a.amount, NULL,
        NULL, h.active_users * CAST(ROUND(a.amount * 100) AS BIGINT)
    FROM applicable a
    JOIN {t["assignment"]} pa ON pa.partner_id = a.partner_id AND pa.role = 'service'
        AND pa.starts_on < %(end)s AND (pa.ends_on IS NULL OR pa.ends_on >= %(start)s)
    JOIN {t["holding"]} h ON h.customer_id = pa.customer_id AND h.product_id = a.product_id
    WHERE a.basis = 'per_active_user' AND h.subscribed_on < %(end)s AND h.active_users > 0
    UNION ALL
    SELECT a.target_id, h.customer_id, h.product_id, a.id, a.basis, a.partner_kind, 1, a.amount, NULL, NULL,
        CAST(ROUND(a.amount * 100) AS BIGINT)
    FROM applicable a
    JOIN {t["holding"]} h ON h.partner_id = a.partner_id AND h.product_id = a.product_id
    WHERE a.basis = 'one_off' AND h.subscribed_on >= %(start)s AND h.subscribed_on < %(end)s
),
ranked AS (
    SELECT c.*, ROW_NUMBER() OVER (
        PARTITION BY c.target_id, c.customer_id, c.product_id, c.basis ORDER BY c.fen DESC, c.rule_id) AS n
    FROM candidates c WHERE c.fen > 0
),
should AS (SELECT * FROM ranked WHERE n = 1)"""


def _drafts(scope_sql: str) -> str:
    return (
        f"SELECT s.id AS target_id, s.partner_id FROM {TABLES['settlement']} s "
        f"WHERE s.period = %(settled)s AND s.status = 'draft' AND s.partner_id IN ({scope_sql})"
    )


def insert_lines(*, scope_sql: str, params: dict[str, Any], month: datetime.date) -> None:
    """Writes the lines of `month` into the drafts of the scope (emptied before)."""
    sql = f"""WITH {_should(_drafts(scope_sql))}
INSERT INTO {TABLES["line"]} ({LINE_COLUMNS})
SELECT target_id, customer_id, product_id, rule_id, basis, partner_kind, quantity, base, rate, month_index,
    fen / 100.0, NULL
FROM should"""
    with connection.cursor() as cursor:
        cursor.execute(sql, {**params, **month_params(month), "settled": _date(month)})


def _same_key(one: str, other: str) -> str:
    """Two lines are of the same settlement, customer, product and basis."""
    return " AND ".join(
        f"{one}.{column} = {other}.{column}" for column in ("target_id", "customer_id", "product_id", "basis")
    )


def insert_corrections(
    *, scope_sql: str, params: dict[str, Any], month: datetime.date, corrected: datetime.date
) -> int:
    """Writes into the drafts of `month` the corrections of `corrected`, an earlier month, for the partners whose
    settlement of it is approved: a line it should hold and does not (net of the corrections approved since) is
    paid, a line it holds and should not is taken back — unless its holding is gone (a holding that ended takes
    nothing back of the months it was held)."""
    t = TABLES
    targets = _drafts(scope_sql) + (
        f" AND EXISTS (SELECT 1 FROM {t['settlement']} a WHERE a.partner_id = s.partner_id AND a.period = %(start)s"
        " AND a.status = 'approved')"
    )
    # What is owed and what was paid, side by side per settlement, customer, product and basis, in one aggregate:
    # no join between the two sets, whatever their sizes (a line paid keeps the values of its latest positive line).
    values = ("rule_id", "partner_kind", "quantity", "base", "rate", "month_index")
    owed = ", ".join(f"MAX(CASE WHEN owed = 1 THEN {name} END) AS owed_{name}" for name in values)
    paid = ", ".join(f"MAX(CASE WHEN owed = 0 THEN {name} END) AS paid_{name}" for name in values)
    sql = f"""WITH {_should(targets)},
paid_lines AS (
    SELECT t.target_id, l.id, l.customer_id, l.product_id, l.basis, l.rule_id, l.partner_kind, l.quantity, l.base,
        l.rate, l.month_index, l.amount
    FROM targets t JOIN {t["settlement"]} ps ON ps.partner_id = t.partner_id AND ps.status = 'approved'
    JOIN {t["line"]} l ON l.settlement_id = ps.id
    WHERE (ps.period = %(start)s AND l.corrects_period IS NULL) OR l.corrects_period = %(start)s
),
latest_paid AS (
    SELECT pl.*, ROW_NUMBER() OVER (
        PARTITION BY pl.target_id, pl.customer_id, pl.product_id, pl.basis
        ORDER BY CASE WHEN pl.amount > 0 THEN 0 ELSE 1 END, pl.id DESC) AS n
    FROM paid_lines pl
),
sides AS (
    SELECT target_id, customer_id, product_id, basis, 1 AS owed, fen / 100.0 AS owed_amount, 0 AS paid_amount,
        rule_id, partner_kind, quantity, base, rate, month_index
    FROM should
    UNION ALL
    SELECT target_id, customer_id, product_id, basis, 0, 0, amount, CASE WHEN n = 1 THEN rule_id END,
        CASE WHEN n = 1 THEN partner_kind END, CASE WHEN n = 1 THEN quantity END, CASE WHEN n = 1 THEN base END,
        CASE WHEN n = 1 THEN rate END, CASE WHEN n = 1 THEN month_index END
    FROM latest_paid
),
balance AS (
    SELECT target_id, customer_id, product_id, basis, MAX(owed) AS is_owed, SUM(owed_amount) AS owed_amount,
        SUM(paid_amount) AS net, {owed}, {paid}
    FROM sides GROUP BY target_id, customer_id, product_id, basis
)
INSERT INTO {t["line"]} ({LINE_COLUMNS})
SELECT target_id, customer_id, product_id, owed_rule_id, basis, owed_partner_kind, owed_quantity, owed_base,
    owed_rate, owed_month_index, owed_amount, %(start)s
FROM balance WHERE is_owed = 1 AND ABS(net) < 0.005
UNION ALL
SELECT target_id, customer_id, product_id, paid_rule_id, basis, paid_partner_kind, paid_quantity, paid_base,
    paid_rate, paid_month_index, -net, %(start)s
FROM balance b WHERE is_owed = 0 AND ABS(net) >= 0.005
    AND EXISTS (SELECT 1 FROM {t["holding"]} h WHERE h.customer_id = b.customer_id AND h.product_id = b.product_id)
"""
    with connection.cursor() as cursor:
        cursor.execute(sql, {**params, **month_params(corrected), "settled": _date(month)})


def clear_drafts(*, scope_sql: str, params: dict[str, Any], month: datetime.date) -> int:
    """Removes the lines of the scope's drafts of `month`, before they are computed again."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {TABLES['line']} WHERE settlement_id IN (SELECT target_id FROM ({_drafts(scope_sql)}) d)",
            {**params, "settled": _date(month)},
        )
        return cursor.rowcount


def open_drafts(*, scope_sql: str, params: dict[str, Any], month: datetime.date, now, user_id) -> int:
    """Creates the month's settlement, a draft, of every partner of the scope under contract on any day of the month
    that has none yet; returns how many."""
    t = TABLES
    columns = "partner_id, period, status, total, lines_count, computed_at, computed_by_id"
    sql = f"""INSERT INTO {t["settlement"]} ({columns})
SELECT p.id, %(settled)s, 'draft', 0, 0, %(now)s, %(user)s FROM {t["partner"]} p
WHERE p.id IN ({scope_sql}) AND p.contract_starts_on < %(end)s AND p.contract_ends_on >= %(settled)s
    AND NOT EXISTS (SELECT 1 FROM {t["settlement"]} s WHERE s.partner_id = p.id AND s.period = %(settled)s)"""
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                **params,
                "settled": _date(month),
                "end": _date(month_end(month)),
                "now": connection.ops.adapt_datetimefield_value(now),
                "user": user_id,
            },
        )
        return cursor.rowcount


def total_drafts(*, scope_sql: str, params: dict[str, Any], month: datetime.date, now, user_id) -> None:
    """Sums the drafts' lines into their totals, and stamps who computed them and when."""
    t = TABLES
    sql = f"""UPDATE {t["settlement"]} SET
    total = COALESCE((SELECT SUM(l.amount) FROM {t["line"]} l WHERE l.settlement_id = {t["settlement"]}.id), 0),
    lines_count = (SELECT COUNT(*) FROM {t["line"]} l WHERE l.settlement_id = {t["settlement"]}.id),
    computed_at = %(now)s, computed_by_id = %(user)s
WHERE id IN (SELECT target_id FROM ({_drafts(scope_sql)}) d)"""
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                **params,
                "settled": _date(month),
                "now": connection.ops.adapt_datetimefield_value(now),
                "user": user_id,
            },
        )
