"""Counting the totals behind the KPIs (`metrics.TOTAL_FIELDS`) in the database, and summing them up the scopes.

The database reduces a range of customers to one row per (region, customer manager) with every total summed; the
rows of all ranges, kept in the database until the run's end (`models.KpiChunkTotals`), then roll up in Python to
every region above, every department and every manager, read manager after manager. Each total
is one of the conditions the customer list filters by (`accounts.selectors`, `teams.selectors`), so a figure and
the list behind it count the same customers.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import groupby

from django.db.models import Case, Count, DecimalField, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from accounts.models import BillingPeriod, Customer, CustomerStatus, GroupMember
from accounts.selectors import active_on, member_current, profile_complete
from arrears.rules import AGE_BUCKETS
from arrears.selectors import age_condition
from campaigns.models import Opportunity, OpportunityStage, OpportunityStageChange
from campaigns.rules import OPEN_OPPORTUNITY_STAGES
from crm.periods import Period
from prospects.models import Prospect
from teams.models import VipAssignment, Visit, VisitKind
from teams.rules import MANAGER_CAPACITY, VIP_MANAGER_CAPACITY, Standard
from teams.selectors import customer_manager_of, team_complete, visits_met, visits_overdue

from .metrics import MONEY_TOTALS, TOTAL_FIELDS, add_totals, zero_totals
from .models import ScopeKind

SUMMED_FIELDS = TOTAL_FIELDS[: TOTAL_FIELDS.index("managers")]
ACTIVE = Q(status=CustomerStatus.ACTIVE)
MONEY = DecimalField(max_digits=20, decimal_places=2)
# An opportunity is won when it moves on to won, or straight to opened (开通).
WON_STAGES = (OpportunityStage.WON, OpportunityStage.OPENED)
CLOSED_STAGES = (*WON_STAGES, OpportunityStage.LOST)
TIER_GROUPS = {"tier_a": ("A+", "A"), "tier_b": ("B",), "tier_c": ("C",), "tier_ab": ("A+", "A", "B")}


def _members(as_of: datetime.date, condition: Q | None = None) -> Coalesce:
    """The customer's group members at the end of `as_of`: those who had left by then are kept, not counted."""
    members = GroupMember.objects.filter(member_current(as_of), customer=OuterRef("pk"))
    if condition is not None:
        members = members.filter(condition)
    counted = members.order_by().values("customer").annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(counted), 0)


def _moments(period: Period, as_of: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The period up to the end of `as_of`, as [start, end) moments in the site's time zone."""
    zone = timezone.get_current_timezone()
    start = datetime.datetime.combine(period.start, datetime.time.min, tzinfo=zone)
    return start, datetime.datetime.combine(as_of + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone)


def _per_customer(rows: QuerySet, field: str = "customer") -> Coalesce:
    """How many of `rows` (filtered by the outer customer through `field`) there are, per customer."""
    counted = rows.order_by().values(field).annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(counted), 0)


def _visits_logged(period: Period, as_of: datetime.date) -> Coalesce:
    start, end = _moments(period, as_of)
    visits = Visit.objects.filter(customer=OuterRef("pk"), visited_at__gte=start, visited_at__lt=end)
    return _per_customer(visits.exclude(kind=VisitKind.INTERNAL))


def _opportunities_found(period: Period, as_of: datetime.date) -> Coalesce:
    start, end = _moments(period, as_of)
    return _per_customer(Opportunity.objects.filter(customer=OuterRef("pk"), created_at__gte=start, created_at__lt=end))


def _opportunities_closed(period: Period, as_of: datetime.date, stages: tuple[str, ...]) -> Coalesce:
    """Moves of the customer's opportunities from an open stage to one of `stages` in the period."""
    start, end = _moments(period, as_of)
    moves = OpportunityStageChange.objects.filter(
        opportunity__customer=OuterRef("pk"),
        changed_at__gte=start,
        changed_at__lt=end,
        from_stage__in=OPEN_OPPORTUNITY_STAGES,
        to_stage__in=stages,
    )
    return _per_customer(moves, "opportunity__customer")


def _revenue(period: Period) -> F | Coalesce:
    """The customer's informatization revenue of the period: what the customer says (its latest bill) for the month
    running; for a month gone by, that month's bill where the billing system sent one (SPEC §8.4)."""
    if period.end > timezone.localdate():
        return F("informatization_revenue")
    bill = BillingPeriod.objects.filter(customer=OuterRef("pk"), period=period.start).values("informatization_revenue")
    return Coalesce(Subquery(bill[:1]), F("informatization_revenue"), output_field=MONEY)


def _forecast(period: Period) -> Coalesce:
    """Σ expected monthly revenue × probability of the customer's opportunities still to open (open or won)
    expected to close in the period's month."""
    weighted = (
        Opportunity.objects.filter(
            customer=OuterRef("pk"),
            stage__in=[*OPEN_OPPORTUNITY_STAGES, OpportunityStage.WON],
            expected_close_on__gte=period.start,
            expected_close_on__lt=period.end,
        )
        .order_by()
        .values("customer")
        .annotate(amount=Sum(F("expected_monthly_revenue") * F("probability") / 100, output_field=MONEY))
        .values("amount")
    )
    return Coalesce(Subquery(weighted, output_field=MONEY), Value(Decimal(0)), output_field=MONEY)


def _count(condition: Q | Exists) -> Count:
    return Count("pk", filter=condition)


def total_expressions(
    period: Period,
    as_of: datetime.date,
    by_tier: dict[str, Standard],
    fields: tuple[str, ...] = SUMMED_FIELDS,
    verified_only_in: Sequence[str] = (),
) -> dict:
    """Each summed total (of `fields`) as an aggregate over customers, for `period` described on `as_of`; visit
    compliance counts only verified on-site visits in the provinces whose paths are in `verified_only_in`."""
    tiered = Q(tier__isnull=False)
    expressions = {  # built on demand: compiling them all costs a page a few milliseconds
        "customers": lambda: Count("pk"),
        "active": lambda: _count(ACTIVE),
        "handsets": lambda: Coalesce(Sum("handset_count", filter=ACTIVE), 0),
        "members": lambda: Coalesce(Sum(_members(as_of), filter=ACTIVE), 0),
        "members_on_net": lambda: Coalesce(Sum(_members(as_of, Q(on_net=True)), filter=ACTIVE), 0),
        "members_verified": lambda: Coalesce(Sum(_members(as_of, Q(verified=True)), filter=ACTIVE), 0),
        "revenue": lambda: Coalesce(
            Sum(_revenue(period), filter=ACTIVE),
            Value(Decimal(0)),
            output_field=DecimalField(max_digits=20, decimal_places=2),
        ),
        "active_at_start": lambda: _count(Q(active_on(period.start - datetime.timedelta(days=1)))),
        "still_active": lambda: _count(Q(active_on(period.start - datetime.timedelta(days=1))) & Q(active_on(as_of))),
        "tiered": lambda: _count(tiered),
        **{name: (lambda tiers=tiers: _count(Q(tier__in=tiers))) for name, tiers in TIER_GROUPS.items()},
        "profile_ab": lambda: _count(Q(tier__in=TIER_GROUPS["tier_ab"]) & profile_complete(as_of)),
        "profile_c": lambda: _count(Q(tier="C") & profile_complete(as_of)),
        "team_complete": lambda: _count(tiered & Q(team_complete(by_tier, as_of))),
        "visit_base": lambda: _count(Q(tier__in=list(by_tier))),
        "visit_met": lambda: _count(visits_met(by_tier, as_of, verified_only_in)),
        "visit_overdue": lambda: _count(visits_overdue(by_tier, as_of, verified_only_in)),
        "visits_logged": lambda: Coalesce(Sum(_visits_logged(period, as_of)), 0),
        "opportunities_found": lambda: Coalesce(Sum(_opportunities_found(period, as_of)), 0),
        "opportunities_won": lambda: Coalesce(Sum(_opportunities_closed(period, as_of, WON_STAGES)), 0),
        "opportunities_closed": lambda: Coalesce(Sum(_opportunities_closed(period, as_of, CLOSED_STAGES)), 0),
        "forecast": lambda: Coalesce(Sum(_forecast(period)), Value(Decimal(0)), output_field=MONEY),
    }
    return {name: expressions[name]() for name in fields}


@dataclass
class Row:
    """The totals of the customers of one region with one customer manager (None: nobody) in one id range."""

    region: str
    manager: int | None
    totals: dict[str, int | Decimal]


def count_rows(
    customers: QuerySet[Customer],
    period: Period,
    as_of: datetime.date,
    by_tier: dict[str, Standard],
    fields: tuple[str, ...] = SUMMED_FIELDS,
    verified_only_in: Sequence[str] = (),
) -> list[Row]:
    """The totals of `customers`, one row per (region, customer manager on `as_of`); only `fields` are counted,
    the others stay zero. `verified_only_in`: the provinces (paths) counting only verified visits."""
    dense = tuple(name for name in fields if name not in ARREARS_TOTALS and name not in PROSPECT_TOTALS)
    grouped = (
        customers.order_by()
        .annotate(manager=customer_manager_of(as_of))
        .values("region_id", "manager")
        .annotate(**total_expressions(period, as_of, by_tier, dense, verified_only_in))
    )
    rows = []
    for values in grouped:
        totals = zero_totals()
        for name in dense:
            totals[name] = values[name]
        rows.append(Row(values["region_id"], values["manager"], totals))
    sparse = [name for name in fields if name in ARREARS_TOTALS]
    if sparse:
        _add_arrears(rows, customers, period, as_of, sparse)
    return rows


# -- arrears (大额欠费, issue 21) -----------------------------------------------------------------------------------

ARREARS_TOTALS = frozenset(
    {
        "arrears",
        "arrears_age_30",
        "arrears_age_60",
        "arrears_age_90",
        "arrears_age_over_90",
        "arrears_customers",
        "arrears_due",
        "arrears_recovered",
    }
)


def _add_arrears(
    rows: list[Row], customers: QuerySet[Customer], period: Period, as_of: datetime.date, fields: Sequence[str]
) -> None:
    """Add the arrears totals into `rows`: counted apart, by joining the few customers in arrears (a row of
    `arrears.CustomerArrears` each) and the few with a collection case worked in the period, instead of asking every
    customer of the range. The arrears are what the latest bill says (a month gone by, recomputed, reads them as
    last billed too), aged on `as_of` as the customer list's arrears filter ages them."""
    by_key = {(row.region, row.manager): row for row in rows}

    def add(grouped: QuerySet, names: Sequence[str]) -> None:
        for values in grouped:
            key = (values["region_id"], values["manager"])
            row = by_key.get(key)
            if row is None:  # every customer of the range has a row already; kept for safety
                row = by_key[key] = Row(key[0], key[1], zero_totals())
                rows.append(row)
            for name in names:
                row.totals[name] += values[f"total_{name}"] or 0

    owed = [name for name in fields if name.startswith("arrears") and name not in ("arrears_due", "arrears_recovered")]
    if owed:
        ages = {f"arrears_age_{code}": (first, last) for code, first, last in AGE_BUCKETS}
        expressions = {
            "arrears": lambda: Sum("arrears__amount"),
            "arrears_customers": lambda: Count("pk"),
            **{
                name: (
                    lambda first=first, last=last: Sum(
                        "arrears__amount", filter=age_condition(first, last, as_of, "arrears__")
                    )
                )
                for name, (first, last) in ages.items()
            },
        }
        add(
            customers.order_by()
            .filter(arrears__isnull=False)
            .annotate(manager=customer_manager_of(as_of))
            .values("region_id", "manager")
            .annotate(**{f"total_{name}": expressions[name]() for name in owed}),  # apart from the relation
            owed,
        )
    worked = [name for name in fields if name in ("arrears_due", "arrears_recovered")]
    if worked:
        opened = F("arrears_cases__opened_amount")
        recovered = Case(
            When(arrears_cases__closed_on__lte=as_of, then=opened),
            default=Greatest(opened - F("arrears_cases__amount"), Value(Decimal(0))),
            output_field=MONEY,
        )
        expressions = {
            "arrears_due": lambda: Sum(opened, output_field=MONEY),
            "arrears_recovered": lambda: Sum(recovered, output_field=MONEY),
        }
        add(
            customers.order_by()
            .filter(
                Q(arrears_cases__opened_on__lte=as_of),
                Q(arrears_cases__closed_on__isnull=True) | Q(arrears_cases__closed_on__gte=period.start),
            )
            .annotate(manager=customer_manager_of(as_of))
            .values("region_id", "manager")
            .annotate(**{f"total_{name}": expressions[name]() for name in worked}),
            worked,
        )


# -- the prospect pool (公海, issue 21) ------------------------------------------------------------------------------

# Totals of prospects, not customers: a chunk of customers counts none of them (`count_rows`); a run counts them once,
# region by region (`prospect_rows`), with no manager.
PROSPECT_TOTALS = frozenset({"prospects_converted", "prospects_open"})


def prospect_conditions(period: Period, as_of: datetime.date) -> dict[str, Q]:
    """Which prospects each prospect total counts, for `period` described on `as_of`: those converted in it, and
    those open in it — filed before its end (`as_of` included) and not converted before its start, i.e. open at its
    start or filed during it. Every prospect converted in the period is one of the open ones."""
    start, end = _moments(period, as_of)
    return {
        "prospects_converted": Q(converted_at__gte=start, converted_at__lt=end),
        "prospects_open": Q(created_at__lt=end) & (Q(converted_at__isnull=True) | Q(converted_at__gte=start)),
    }


def prospect_rows(period: Period, as_of: datetime.date, prospects: QuerySet[Prospect] | None = None) -> list[Row]:
    """The prospect totals of every region that has prospects (one row each, with no manager), in one query grouped
    by region: the rows `roll_up` sums up the tree with the customers' rows."""
    conditions = prospect_conditions(period, as_of)
    open_condition = conditions["prospects_open"]
    grouped = (
        (prospects if prospects is not None else Prospect.objects.all())
        .filter(open_condition)
        .order_by()
        .values("region_id")
        .annotate(**{name: Count("pk", filter=condition) for name, condition in conditions.items()})
    )
    rows = []
    for values in grouped:
        totals = zero_totals()
        for name in PROSPECT_TOTALS:
            totals[name] = values[name]
        rows.append(Row(values["region_id"], None, totals))
    return rows


def totals_to_json(row: Row) -> list:
    """A row's totals as plain values, `SUMMED_FIELDS` in order: counts as numbers, money as text (exact)."""
    return [str(row.totals[name]) if name in MONEY_TOTALS else int(row.totals[name]) for name in SUMMED_FIELDS]


def row_from_json(region: str, manager: int | None, values: list) -> Row:
    totals = zero_totals()
    for name, value in zip(SUMMED_FIELDS, values, strict=True):
        totals[name] = Decimal(value) if name in MONEY_TOTALS else int(value)
    return Row(region, manager, totals)


# -- summing up the scopes ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The totals of one scope: a region (by code), a department or a manager (by id); `extent` is the region that
    holds all of the scope's customers, by which visibility is judged (a manager's: the lowest common ancestor of
    their customers' regions)."""

    kind: ScopeKind
    region: str | None
    department: int | None
    manager: int | None
    extent: str
    totals: dict


def _common_ancestor(paths: Iterable[list[str]]) -> str:
    paths = list(paths)
    common = paths[0]
    for path in paths[1:]:
        length = 0
        while length < min(len(common), len(path)) and common[length] == path[length]:
            length += 1
        common = common[:length]
    return common[-1]


def roll_up(
    rows: Iterable[Row],
    ancestors: dict[str, list[str]],
    departments: dict[int, str],
    manager_departments: dict[int, int],
) -> Iterator[Scope]:
    """Sum the rows up to every scope: each manager's as soon as their rows are read, then the regions' and the
    departments'. The rows come manager after manager (the rows without a manager anywhere), so that no more than
    one manager's are held: what is kept grows with the regions and departments, not with the managers or the
    customers (issue 19).

    `ancestors`: each region's codes from the national root down to itself; `departments`: each department's region;
    `manager_departments`: the department of each member of staff who has one.
    A department's customers are those of its region's subtree (SPEC §2), so it has its region's totals. A manager
    is overloaded with more than MANAGER_CAPACITY customers in all (whatever their status, as the manager load page
    counts); a region counts the distinct managers serving any of its customers, a department its own customer
    managers: its members serving customers all within its region (`kpis.selectors.department_managers`, the
    managers its head sees whole, which its load chart and manager table list).
    """
    by_region: dict[str, dict] = {}
    region_managers: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # [managers, overloaded] serving a region
    department_managers: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    done: int | None = None
    for manager, group in groupby(rows, key=lambda row: row.manager):
        totals = zero_totals()
        regions = set()
        for row in group:
            add_totals(by_region.setdefault(row.region, zero_totals()), row.totals)
            add_totals(totals, row.totals)
            regions.add(row.region)
        if manager is None:
            continue
        if done is not None and manager <= done:
            raise ValueError(f"The rows of manager {manager} do not come together, in order of the managers.")
        done = manager
        overloaded = int(totals["customers"] > MANAGER_CAPACITY)
        totals["managers"], totals["managers_overloaded"] = 1, overloaded
        extent = _common_ancestor(ancestors[region] for region in regions)
        for code in {code for region in regions for code in ancestors[region]}:
            region_managers[code][0] += 1
            region_managers[code][1] += overloaded
        department = manager_departments.get(manager)
        # their own department's when all their customers lie in its region
        if department in departments and departments[department] in ancestors[extent]:
            department_managers[department][0] += 1
            department_managers[department][1] += overloaded
        yield Scope(ScopeKind.MANAGER, None, None, manager, extent, totals)
    regions: dict[str, dict] = {}
    for region, totals in by_region.items():
        for code in ancestors[region]:
            add_totals(regions.setdefault(code, zero_totals()), totals)
    for code, totals in regions.items():
        totals["managers"], totals["managers_overloaded"] = region_managers.get(code, (0, 0))
        yield Scope(ScopeKind.REGION, code, None, None, code, totals)
    for department, region in departments.items():
        totals = dict(regions.get(region) or zero_totals())
        totals["managers"], totals["managers_overloaded"] = department_managers.get(department, (0, 0))
        yield Scope(ScopeKind.DEPARTMENT, None, department, None, region, totals)


# -- personal-VIP managers (SPEC §4.3) ------------------------------------------------------------------------------


@dataclass
class VipManagerCounts:
    """[personal-VIP managers, … of them overloaded] per region (every level, by code), department and customer
    manager (the one person: [1, 0 or 1] when they care for personal VIPs too)."""

    regions: dict[str, list[int]]
    departments: dict[int, list[int]]
    managers: dict[int, list[int]]

    def of(self, scope: Scope) -> list[int]:
        if scope.kind == ScopeKind.REGION:
            return self.regions.get(scope.region or "", [0, 0])
        if scope.kind == ScopeKind.DEPARTMENT:
            return self.departments.get(scope.department or 0, [0, 0])
        return self.managers.get(scope.manager or 0, [0, 0])


def vip_manager_counts(
    as_of: datetime.date,
    ancestors: dict[str, list[str]],
    departments: dict[int, str],
    manager_departments: dict[int, int],
) -> VipManagerCounts:
    """Who cares for personal VIPs at the end of `as_of`, counted the way `roll_up` counts customer managers: a region
    counts the distinct personal-VIP managers caring for VIPs of its customers, a department its own members whose
    VIPs all lie within its region; a manager is overloaded above VIP_MANAGER_CAPACITY personal VIPs in all. One
    query, grouped by manager and the VIPs' customers' region: rows grow with the managers, not the members."""
    rows = (
        VipAssignment.objects.active(as_of)
        .filter(Q(member__left_on__isnull=True) | Q(member__left_on__gt=as_of), member__vip_level__isnull=False)
        .order_by()
        .values_list("manager_id", "member__customer__region_id")
        .annotate(n=Count("pk"))
        .order_by("manager_id")
    )
    counts = VipManagerCounts(defaultdict(lambda: [0, 0]), defaultdict(lambda: [0, 0]), {})
    for manager, group in groupby(rows, key=lambda row: row[0]):
        by_region = [(region, n) for _manager, region, n in group]
        overloaded = int(sum(n for _region, n in by_region) > VIP_MANAGER_CAPACITY)
        regions = {region for region, _n in by_region}
        for code in {code for region in regions for code in ancestors[region]}:
            counts.regions[code][0] += 1
            counts.regions[code][1] += overloaded
        extent = _common_ancestor(ancestors[region] for region in regions)
        department = manager_departments.get(manager)
        if department in departments and departments[department] in ancestors[extent]:
            counts.departments[department][0] += 1
            counts.departments[department][1] += overloaded
        counts.managers[manager] = [1, overloaded]
    return counts
