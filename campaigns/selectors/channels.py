"""Channel conflicts and the credit of a sale (issue 20, extending SPEC §6.2's 渠道冲突).

A customer and product are *worked* by a channel and a party (a department, or a partner company) over a window:
- a campaign plan: the campaign's period, its target products, the plan's channel, the campaign's department or
  the partner the plan is given to;
- an opportunity (not lost): from the day it was found to its expected close, its products, its channel, its
  owner's department or partner;
- a call list: from the day it was built to the day it closed (or the campaign's end), the campaign's target
  products, for the customers it calls, the list's channel (the 10000 desk's lists: `hotline_10000`).

Two works of the same customer and product whose windows overlap are a **conflict** when their channels, their
departments or their partners differ — except a campaign's own plan and its own call list (one effort), unless the
plan is given to a partner. A **withdrawal** is a holding that ended within the province's window (`ChannelPolicy
.withdrawal_days`) of another channel's sale of the same customer and product. Both are flagged on both sides.

A sale (an opened plan, a holding) is **credited** to the first or the last work of its customer and product that
began on or before it, as the province's policy says.

Every query is set-based SQL over the territory's customers; the same SQL runs on PostgreSQL and SQLite but for the
spelling of dates.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy

from accounts.models import Customer
from crm.models import Department, Partner, Region, User
from crm.visibility import province_path

from ..models import (
    CallEntry,
    CallList,
    Campaign,
    Channel,
    ChannelPolicy,
    CustomerPlan,
    CustomerProduct,
    HoldingEnd,
    Opportunity,
    PlanStage,
    Product,
)
from ..models.channels import DEFAULT_ATTRIBUTION, DEFAULT_WITHDRAWAL_DAYS, Attribution

KIND_LABELS = {
    "plan": gettext_lazy("Campaign plan"),
    "opportunity": gettext_lazy("Opportunity"),
    "call_list": gettext_lazy("Call list"),
}


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _m2m(model, field: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(field).remote_field.through._meta.db_table)


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _day(expression: str) -> str:
    """The calendar day (Asia/Shanghai on PostgreSQL, where times are stored in UTC) of a timestamp."""
    if _postgres():
        return f"CAST(({expression}) AT TIME ZONE 'Asia/Shanghai' AS date)"
    return f"DATE({expression}, '+8 hours')"


def _later(left: str, right: str) -> str:
    return f"GREATEST({left}, {right})" if _postgres() else f"MAX({left}, {right})"


def _plus_days(expression: str, days: int) -> str:
    days = int(days)
    if _postgres():
        return f"(({expression}) + {days})"
    return f"DATE({expression}, '{days:+d} days')"


def _differs(left: str, right: str) -> str:
    return f"{left} IS DISTINCT FROM {right}" if _postgres() else f"{left} IS NOT {right}"


def works_sql(customers_sql: str, *, by_product: bool = True) -> str:
    """SQL of every work of the customers `customers_sql` selects (a SELECT of customer ids): kind, ref, customer_id,
    then product_id (one row per product) — or, with `by_product` false, one row per work and its product set's key
    `product_set` (a campaign's, "c<id>", or an opportunity's, "o<id>"; see `product_sets_sql`) — then channel_id,
    department_id, partner_id, campaign_id, starts_on, ends_on."""
    plan, campaign, targets = _table(CustomerPlan), _table(Campaign), _m2m(Campaign, "target_products")
    opportunity, products, user = _table(Opportunity), _m2m(Opportunity, "products"), _table(User)
    call_list, entry = _table(CallList), _table(CallEntry)
    if by_product:
        plan_products, plan_set = f"JOIN {targets} tp ON tp.campaign_id = c.id", "tp.product_id"
        opportunity_products, opportunity_set = f"JOIN {products} op ON op.opportunity_id = o.id", "op.product_id"
        list_set, list_products = "tp.product_id", f"JOIN {targets} tp ON tp.campaign_id = c.id"
    else:
        plan_products, plan_set = "", _concat("'c'", "c.id")
        opportunity_products, opportunity_set = "", _concat("'o'", "o.id")
        list_set, list_products = _concat("'c'", "c.id"), ""
    column = "product_id" if by_product else "product_set"
    return (
        f"SELECT 'plan' AS kind, p.id AS ref, p.customer_id, {plan_set} AS {column}, p.channel_id, c.department_id, "
        f"p.partner_id, c.id AS campaign_id, c.starts_on, c.ends_on "
        f"FROM {plan} p JOIN {campaign} c ON c.id = p.campaign_id {plan_products} "
        f"WHERE c.cancelled_at IS NULL AND p.stage <> '{PlanStage.LOST}' AND p.customer_id IN ({customers_sql}) "
        f"UNION ALL "
        f"SELECT 'opportunity', o.id, o.customer_id, {opportunity_set}, o.channel_id, u.department_id, u.partner_id, "
        f"sp.campaign_id, {_day('o.created_at')}, {_later('o.expected_close_on', _day('o.created_at'))} "
        f"FROM {opportunity} o {opportunity_products} JOIN {user} u ON u.id = o.owner_id "
        f"LEFT JOIN {plan} sp ON sp.id = o.source_plan_id "
        f"WHERE o.stage <> 'lost' AND o.customer_id IN ({customers_sql}) "
        f"UNION ALL "
        f"SELECT 'call_list', l.id, e.customer_id, {list_set}, l.channel_id, c.department_id, NULL, c.id, "
        f"{_day('l.created_at')}, COALESCE({_day('l.closed_at')}, c.ends_on) "
        f"FROM {call_list} l JOIN {campaign} c ON c.id = l.campaign_id "
        f"{list_products} "
        f"JOIN (SELECT DISTINCT call_list_id, customer_id FROM {entry} WHERE customer_id IN ({customers_sql})) e "
        f"ON e.call_list_id = l.id WHERE c.cancelled_at IS NULL"
    )


def product_sets_sql() -> str:
    """The product sets the works name: each campaign's target products, each opportunity's products."""
    targets, products = _m2m(Campaign, "target_products"), _m2m(Opportunity, "products")
    campaign_set, opportunity_set = _concat("'c'", "campaign_id"), _concat("'o'", "opportunity_id")
    return (
        f"SELECT {campaign_set} AS product_set, product_id FROM {targets} "
        f"UNION ALL SELECT {opportunity_set}, product_id FROM {products}"
    )


def _concat(prefix: str, number: str) -> str:
    return f"({prefix} || CAST({number} AS text))" if _postgres() else f"({prefix} || {number})"


@dataclass(frozen=True)
class Work:
    kind: str  # plan, opportunity, call_list
    ref: int
    channel: str
    department_id: int | None
    partner_id: int | None
    campaign_id: int | None
    starts_on: datetime.date
    ends_on: datetime.date

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS[self.kind])


@dataclass
class Conflict:
    """Two works of one customer that overlap on some of its products, and the days they share."""

    customer_id: int
    first: Work
    second: Work
    products: list[str]
    overlap_from: datetime.date
    overlap_to: datetime.date
    customer: Customer | None = None
    names: dict | None = None  # codes and ids → names, for showing
    product_names: str = ""

    @property
    def sides(self) -> list[dict]:
        """Both works as a page shows them: channel and its name, the department or partner, what and when."""
        return [
            {
                "channel": work.channel,
                "channel_name": self.channel_name(work),
                "party": self.party(work),
                "kind": work.kind,
                "kind_label": work.kind_label,
                "starts_on": work.starts_on,
                "ends_on": work.ends_on,
            }
            for work in (self.first, self.second)
        ]

    def party(self, work: Work) -> str:
        return _party_of(work, self.names or {})

    def channel_name(self, work: Work) -> str:
        return (self.names or {}).get(("channel", work.channel), work.channel)


def _date(value) -> datetime.date:
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(str(value)[:10])


def _work(row: Sequence) -> Work:
    kind, ref, channel, department, partner, campaign, starts, ends = row
    return Work(kind, ref, channel, department, partner, campaign, _date(starts), _date(ends))


def _customers_sql(customers: QuerySet[Customer]) -> tuple[str, list]:
    sql, params = customers.order_by().values("pk").query.sql_with_params()
    return sql, list(params)


def channel_conflicts(
    customers: QuerySet[Customer], *, limit: int | None = None, known: dict[int, Customer] | None = None
) -> list[Conflict]:
    """The conflicts among the works of `customers` (what the caller sees, narrowed to a region, a department's or
    one customer), the newest overlap first; one row per pair of works, with the products they share and the days
    they overlap.

    The works are read once, one row each (not one per product: a campaign's plans name their campaign's product
    set); only the customers worked by more than one channel, department or partner are paired (most are worked by
    one); the pairs keep those whose product sets meet, the few distinct pairs of sets intersected once."""
    customers_sql, params = _customers_sql(customers)
    works = works_sql(customers_sql, by_product=False)
    shared = "string_agg(sa.product_id, ',' ORDER BY sa.product_id)" if _postgres() else "group_concat(sa.product_id)"
    # Some two works of a customer differ in channel, department or partner exactly when these differ.
    differing = " OR ".join(
        f"MIN({column}) <> MAX({column})"
        for column in ("channel_id", "COALESCE(department_id, 0)", "COALESCE(partner_id, 0)")
    )
    columns = ("channel_id", "department_id", "partner_id", "campaign_id", "starts_on", "ends_on")
    paired = ", ".join(f"{side}.{name} AS {side}_{name}" for side in ("a", "b") for name in columns)
    sides = ", ".join(f"p.{side}_{name}" for side in ("a", "b") for name in columns)
    own_effort = (
        "(a.campaign_id = b.campaign_id AND a.kind <> 'opportunity' AND b.kind <> 'opportunity' "
        "AND a.partner_id IS NULL AND b.partner_id IS NULL)"
    )
    earlier = "CASE WHEN a.ends_on < b.ends_on THEN a.ends_on ELSE b.ends_on END"
    sql = (
        f"WITH w AS MATERIALIZED ({works}), "
        f"k AS (SELECT customer_id FROM w GROUP BY customer_id HAVING {differing}), "
        f"x AS MATERIALIZED (SELECT w.* FROM w JOIN k ON k.customer_id = w.customer_id), "
        f"pairs AS MATERIALIZED (SELECT a.customer_id, a.kind AS a_kind, a.ref AS a_ref, b.kind AS b_kind, "
        f"b.ref AS b_ref, a.product_set AS a_set, b.product_set AS b_set, "
        f"{_later('a.starts_on', 'b.starts_on')} AS overlap_from, {earlier} AS overlap_to, {paired} "
        f"FROM x a JOIN x b ON b.customer_id = a.customer_id "
        f"AND a.starts_on <= b.ends_on AND b.starts_on <= a.ends_on "
        f"AND (a.kind < b.kind OR (a.kind = b.kind AND a.ref < b.ref)) "
        f"AND (a.channel_id <> b.channel_id OR {_differs('a.department_id', 'b.department_id')} "
        f"OR {_differs('a.partner_id', 'b.partner_id')}) "
        f"AND NOT {own_effort}), "
        f"sets AS ({product_sets_sql()}), "
        f"shared AS (SELECT s.a_set, s.b_set, {shared} AS products "
        f"FROM (SELECT DISTINCT a_set, b_set FROM pairs) s "
        f"JOIN sets sa ON sa.product_set = s.a_set "
        f"JOIN sets sb ON sb.product_set = s.b_set AND sb.product_id = sa.product_id "
        f"GROUP BY s.a_set, s.b_set) "
        f"SELECT p.customer_id, p.a_kind, p.a_ref, p.b_kind, p.b_ref, shared.products, p.overlap_from, "
        f"p.overlap_to, {sides} "
        f"FROM pairs p JOIN shared ON shared.a_set = p.a_set AND shared.b_set = p.b_set "
        f"ORDER BY p.overlap_from DESC, p.customer_id, p.a_kind, p.a_ref, p.b_kind, p.b_ref"
    )
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    # The customers' subquery appears once per kind of work: its parameters as often.
    with connection.cursor() as cursor:
        cursor.execute(sql, params * 3)
        rows = cursor.fetchall()
    conflicts = [
        Conflict(
            customer_id=row[0],
            first=_work((row[1], row[2], *row[8:14])),
            second=_work((row[3], row[4], *row[14:20])),
            products=sorted(str(row[5]).split(",")),
            overlap_from=_date(row[6]),
            overlap_to=_date(row[7]),
        )
        for row in rows
    ]
    _name(conflicts, known)
    return conflicts


def _name(conflicts: list[Conflict], customers: dict[int, Customer] | None = None) -> None:
    """Give the conflicts their customers (read unless given) and the names of their channels, departments, partners
    and products, read in one statement: a customer page with a conflict pays two queries for it, not six."""
    if not conflicts:
        return
    wanted = {conflict.customer_id for conflict in conflicts}
    if customers is None or not wanted <= customers.keys():
        customers = Customer.objects.in_bulk(wanted)
    works = [work for conflict in conflicts for work in (conflict.first, conflict.second)]
    keys = {
        "channel": {work.channel for work in works},
        "department": {str(work.department_id) for work in works if work.department_id is not None},
        "partner": {str(work.partner_id) for work in works if work.partner_id is not None},
        "product": {code for conflict in conflicts for code in conflict.products},
    }
    english = (get_language() or "").startswith("en")
    sources = {
        "channel": (_table(Channel), "code", "name_en" if english else "name"),
        "department": (_table(Department), "CAST(id AS TEXT)", "name"),
        "partner": (_table(Partner), "CAST(id AS TEXT)", "name"),
        "product": (_table(Product), "code", "name"),
    }
    parts, params = [], []
    for kind, (table, key, name) in sources.items():
        if keys[kind]:
            marks = ", ".join(["%s"] * len(keys[kind]))
            parts.append(f"SELECT '{kind}', {key}, {name} FROM {table} WHERE {key} IN ({marks})")
            params += sorted(keys[kind])
    found: dict[tuple[str, str], str] = {}
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        found = {(kind, key): name for kind, key, name in cursor.fetchall()}
    names: dict = {("channel", code): found.get(("channel", code), code) for code in keys["channel"]}
    names.update({(kind, int(key)): name for (kind, key), name in found.items() if kind in ("department", "partner")})
    for conflict in conflicts:
        conflict.customer, conflict.names = customers.get(conflict.customer_id), names
        conflict.product_names = "、".join(found.get(("product", code), code) for code in conflict.products)


def policy_of(region: Region | None) -> tuple[str, int]:
    """The attribution rule and withdrawal window of the province `region` lies in (the defaults without one)."""
    if region is not None and region.depth >= 1:
        policy = ChannelPolicy.objects.filter(province__path=province_path(region)).first()
        if policy is not None:
            return policy.attribution, policy.withdrawal_days
    return DEFAULT_ATTRIBUTION, DEFAULT_WITHDRAWAL_DAYS


@dataclass(frozen=True)
class Withdrawal:
    """A holding that ended (`ended`) near another channel's sale of the same customer and product (`other`)."""

    ended: HoldingEnd
    other_channel: str
    other_partner_id: int | None
    other_subscribed_on: datetime.date
    other_channel_name: str = ""


def withdrawals(customers: QuerySet[Customer], *, region: Region | None = None) -> list[Withdrawal]:
    """Holdings of `customers` that ended within the window of `region`'s province (the default window without one)
    of another channel's (or another partner's) sale of the same product — current holdings and ended ones alike."""
    _rule, days = policy_of(region)
    customers_sql, params = _customers_sql(customers)
    ended, holding = _table(HoldingEnd), _table(CustomerProduct)
    sql = (
        f"SELECT x.id, o.channel_id, o.partner_id, o.subscribed_on FROM {ended} x JOIN ("
        f"SELECT 0 AS ended_id, customer_id, product_id, channel_id, partner_id, subscribed_on FROM {holding} "
        f"UNION ALL SELECT id, customer_id, product_id, channel_id, partner_id, subscribed_on FROM {ended}"
        f") o ON o.customer_id = x.customer_id AND o.product_id = x.product_id AND o.ended_id <> x.id "
        f"AND (o.channel_id <> x.channel_id OR {_differs('o.partner_id', 'x.partner_id')}) "
        f"AND o.subscribed_on >= {_plus_days('x.ended_on', -days)} "
        f"AND o.subscribed_on <= {_plus_days('x.ended_on', days)} "
        f"WHERE x.customer_id IN ({customers_sql}) ORDER BY x.ended_on DESC, x.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    ends = HoldingEnd.objects.select_related("customer", "product", "channel", "partner").in_bulk(
        {row[0] for row in rows}
    )
    channels = {channel.code: channel.label for channel in Channel.objects.all()} if rows else {}
    return [Withdrawal(ends[row[0]], row[1], row[2], _date(row[3]), channels.get(row[1], row[1])) for row in rows]


@dataclass(frozen=True)
class Credit:
    """Who is credited with a sale: the channel and party of the work the province's rule picks."""

    rule: str
    work: Work | None
    channel_name: str
    party: str


def credits_for(plans: Iterable[CustomerPlan]) -> dict[int, Credit]:
    """For each opened plan (or later: after-sales), who is credited with its sale under the province's rule: among
    the works of its customer and its campaign's target products that began on or before the day it opened, the
    first or the last (the plan's own work when nothing else touched it)."""
    opened = [plan for plan in plans if plan.stage in (PlanStage.OPENED, PlanStage.AFTER_SALES)]
    if not opened:
        return {}
    by_customer: dict[int, list[CustomerPlan]] = {}
    for plan in opened:
        by_customer.setdefault(plan.customer_id, []).append(plan)
    marks = ", ".join(["%s"] * len(by_customer))
    works = works_sql(marks)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT customer_id, product_id, kind, ref, channel_id, department_id, partner_id, campaign_id, "
            f"starts_on, ends_on FROM ({works}) w ORDER BY starts_on, kind, ref",
            list(by_customer) * 3,
        )
        rows = cursor.fetchall()
    targets: dict[int, set[str]] = {}
    for campaign_id, product_id in Campaign.target_products.through.objects.filter(
        campaign_id__in={plan.campaign_id for plan in opened}
    ).values_list("campaign_id", "product_id"):
        targets.setdefault(campaign_id, set()).add(product_id)
    channels = {channel.code: channel.label for channel in Channel.objects.all()}
    regions = Region.objects.in_bulk({plan.customer.region_id for plan in opened})
    policies = {policy.province.path: policy.attribution for policy in ChannelPolicy.objects.select_related("province")}
    credits: dict[int, Credit] = {}
    parties = _party_names(_work(row[2:10]) for row in rows)
    for customer_id, customer_plans in by_customer.items():
        region = regions.get(customer_plans[0].customer.region_id)
        rule = policies.get(province_path(region), DEFAULT_ATTRIBUTION) if region is not None else DEFAULT_ATTRIBUTION
        for plan in customer_plans:
            day = _date(timezone.localtime(plan.stage_changed_at).date())
            candidates = [
                _work(row[2:10])
                for row in rows
                if row[0] == customer_id and row[1] in targets.get(plan.campaign_id, set()) and _date(row[8]) <= day
            ]
            chosen = (candidates[0] if rule == Attribution.FIRST_TOUCH else candidates[-1]) if candidates else None
            credits[plan.pk] = Credit(
                rule=rule,
                work=chosen,
                channel_name=channels.get(chosen.channel if chosen else str(plan.channel_id), ""),
                party=_party_of(chosen, parties) if chosen else "",
            )
    return credits


def _party_names(works: Iterable[Work]) -> dict:
    """The names of the works' departments and partners, keyed ("department", id) and ("partner", id)."""
    works = list(works)
    names: dict = {}
    for department in Department.objects.filter(pk__in={work.department_id for work in works}):
        names[("department", department.pk)] = department.name
    for partner in Partner.objects.filter(pk__in={work.partner_id for work in works}):
        names[("partner", partner.pk)] = partner.name
    return names


def _party_of(work: Work, names: dict) -> str:
    """Who works: the partner company when the work is a partner's, else the department."""
    if work.partner_id is not None:
        return names.get(("partner", work.partner_id), "")
    return names.get(("department", work.department_id), "")
