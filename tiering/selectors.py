"""Reads of tier rules, simulations and the quota report."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Substr
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Customer
from crm.models import Region, RegionLevel, User
from crm.paginator import count_rows
from crm.snapshots import counted_for
from crm.visibility import filing_regions

from .models import OverrideStatus, RuleSet, RuleSetStatus, TierCount, TierJobRun, TierOverride

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

NATIONAL = "000000"
TIER_RANK = {"A+": 4, "A": 3, "B": 2, "C": 1, None: 0}


def published_rule_set(province: Region | None) -> RuleSet:
    """The rule set in force for a province: its own published one, else the national one."""
    published = RuleSet.objects.filter(status=RuleSetStatus.PUBLISHED).prefetch_related("rules")
    if province is not None:
        own = published.filter(scope=province).first()
        if own is not None:
            return own
    return published.get(scope_id=NATIONAL)


def rule_set_for_region(region: Region) -> RuleSet:
    """The rule set in force where a region lies: its province's own published set, else the national one."""
    province = Region.objects.filter(code=region.ancestor_codes()[1]).first() if region.depth >= 1 else None
    return published_rule_set(province)


def rule_sets_for(user: User) -> QuerySet[RuleSet]:
    """The national sets and those of the user's own province."""
    if user.sees_everything:
        return RuleSet.objects.select_related("scope")
    return RuleSet.objects.filter(Q(scope_id=NATIONAL) | Q(scope__in=filing_regions(user))).select_related("scope")


def job_runs_for(user: User) -> QuerySet[TierJobRun]:
    """Recompute runs of the nation and of the user's own territory, newest first."""
    runs = TierJobRun.objects.select_related("scope", "triggered_by").order_by("-started_at")
    if user.sees_everything:
        return runs
    return runs.filter(Q(scope_id=NATIONAL) | Q(scope__in=filing_regions(user)))


def city_of() -> Substr:
    """The city code of a customer, read off its region's path ("000000/510000/510100/…")."""
    return Substr("region__path", 15, 6)


class SimulatedTier(TypedDict):
    """What `simulation_movers` annotates on the customers who would move."""

    new_tier: str | None
    new_reasons: list[dict]
    city: str


def _simulated(*, rule_set: RuleSet, user: User) -> QuerySet[Customer]:
    """The customers the user sees in the rule set's scope, each with the tier the recompute would write under it
    (`new_tier`, overrides in force kept, as `bulk.apply_rules` writes it) and its city's code.

    A rule on the group's total handsets reads the group totals as the recompute does: they are built here, once,
    into the connection's temporary table the query reads when it runs (later in the same request); a rule set
    without such a rule builds nothing."""
    from .bulk import group_totals_build, tier_expression, tier_with_overrides
    from .rules import uses_group_handsets

    if uses_group_handsets(rule_set.specs()):
        group_totals_build()
    customers = Customer.objects.visible_to(user)
    if rule_set.scope_id != NATIONAL:
        customers = customers.filter(region__path__startswith=rule_set.scope.path)
    return customers.annotate(new_tier=tier_with_overrides(tier_expression(rule_set.specs())), city=city_of())


def simulation_movers(
    *, rule_set: RuleSet, user: User, city: Region | None = None
) -> QuerySet[WithAnnotations[Customer, SimulatedTier]]:
    """Every customer the rule set would move (in `city` only, when given), by code, with its tier now (`tier`),
    under the rule set (`new_tier`), the reasons the rule set would give (`new_reasons`, as
    `bulk.reasons_expression` stores them) and its city."""
    from .bulk import reasons_expression

    simulated = _simulated(rule_set=rule_set, user=user)
    if city is not None:
        simulated = simulated.filter(region__path__startswith=city.path)
    movers = (
        simulated.filter(tier__distinct_from=F("new_tier"))
        .annotate(new_reasons=reasons_expression(rule_set.specs()))
        .select_related("region")
        .order_by("code")
    )
    return cast("QuerySet[WithAnnotations[Customer, SimulatedTier]]", movers)  # the stubs see one annotation of three


def simulation_city(*, rule_set: RuleSet, code: str | None) -> Region | None:
    """The city a list of movers is narrowed to (`?city=`): a city in the rule set's scope; None for every city."""
    if not code:
        return None
    cities = Region.objects.filter(code=code, level=RegionLevel.CITY)
    if rule_set.scope_id != NATIONAL:
        cities = cities.filter(path__startswith=rule_set.scope.path)
    city = cities.first()
    if city is None:
        raise ValidationError(
            {
                "city": _("City: %(code)s is not the code of a city within %(scope)s.")
                % {"code": code, "scope": rule_set.scope.name}
            }
        )
    return city


@dataclass
class SimulationRow:
    """A province or one of its cities: the tier mix now and under the rule set, against the rule set's targets."""

    code: str
    name: str
    level: str
    now: QuotaRow
    then: QuotaRow
    up: int = 0
    down: int = 0

    @property
    def moved(self) -> int:
        return self.up + self.down

    @property
    def groups(self) -> list[GroupShare]:
        return [
            GroupShare(
                group=group,
                label=QUOTA_LABELS[group],
                now=self.now.shares[group],
                then=self.then.shares[group],
                target=self.then.targets[group],
                deviation=self.then.deviations[group],
                flagged=group in self.then.flagged,
                now_flagged=group in self.now.flagged,
            )
            for group in QUOTA_GROUPS
        ]

    @property
    def flagged(self) -> list[GroupShare]:
        return [group for group in self.groups if group.flagged]


@dataclass(frozen=True)
class GroupShare:
    """One quota group's share in a row: now, under the rule set, the target, and the deviation from it."""

    group: str
    label: str
    now: Decimal
    then: Decimal
    target: Decimal
    deviation: Decimal  # of the share under the rule set, in percentage points
    flagged: bool  # the deviation under the rule set is over QUOTA_TOLERANCE
    now_flagged: bool  # the current tiers' share is off by as much

    @property
    def off_by(self) -> Decimal:
        """How far the share under the rule set is from the target, in points to a tenth, whichever way."""
        return abs(self.deviation).quantize(Decimal("0.1"))

    @property
    def above(self) -> bool:
        return self.deviation > 0


@dataclass
class Simulation:
    """What publishing a rule set would do (SPEC §4.1), in the user's territory: per province (the total) and per
    city, the tier shares now and under the rule set against its target shares; how many customers move."""

    rows: list[SimulationRow]
    tiers_now: dict[str, int]
    tiers_then: dict[str, int]

    @property
    def totals(self) -> list[SimulationRow]:
        return [row for row in self.rows if row.level == "province"]

    @property
    def up(self) -> int:
        return sum(row.up for row in self.totals)

    @property
    def down(self) -> int:
        return sum(row.down for row in self.totals)

    @property
    def moved(self) -> int:
        return self.up + self.down

    @property
    def flagged_rows(self) -> list[SimulationRow]:
        return [row for row in self.rows if row.flagged]

    @property
    def tier_counts(self) -> list[tuple[str, int, int]]:
        """(tier, customers now, under the rule set), highest tier first."""
        return [(tier, self.tiers_now.get(tier, 0), self.tiers_then.get(tier, 0)) for tier in ("A+", "A", "B", "C")]


def simulate(*, rule_set: RuleSet, user: User) -> Simulation:
    """The tier mix the rule set would give the customers the user sees in its scope, per province and city, now
    and then, against the rule set's target shares. One grouped query, whatever the number of customers."""
    simulated = _simulated(rule_set=rule_set, user=user).annotate(province=Substr("region__path", 8, 6))
    targets = {"A": rule_set.target_a_share, "B": rule_set.target_b_share, "C": rule_set.target_c_share}
    rows: dict[tuple[str, str], SimulationRow] = {}
    tiers_now: dict[str, int] = {}
    tiers_then: dict[str, int] = {}
    grouped = simulated.values("province", "city", "tier", "new_tier").annotate(n=Count("id")).order_by()
    for line in grouped:
        n, before, after = line["n"], line["tier"], line["new_tier"]
        keys = (
            [(line["province"], "province"), (line["city"], "city")]
            if line["city"]
            else [(line["province"], "province")]
        )
        for code, level in keys:
            row = rows.get((code, level))
            if row is None:
                row = rows[(code, level)] = SimulationRow(
                    code,
                    code,
                    level,
                    QuotaRow(code, code, level, dict.fromkeys(QUOTA_GROUPS, 0), targets),
                    QuotaRow(code, code, level, dict.fromkeys(QUOTA_GROUPS, 0), targets),
                )
            if before is not None:
                row.now.counts[QUOTA_GROUP_OF[before]] += n
            if after is not None:
                row.then.counts[QUOTA_GROUP_OF[after]] += n
            if TIER_RANK[after] > TIER_RANK[before]:
                row.up += n
            elif TIER_RANK[after] < TIER_RANK[before]:
                row.down += n
        if before is not None:
            tiers_now[before] = tiers_now.get(before, 0) + n
        if after is not None:
            tiers_then[after] = tiers_then.get(after, 0) + n
    names = dict(Region.objects.filter(code__in=[code for code, _level in rows]).values_list("code", "name"))
    for row in rows.values():
        row.name = row.now.name = row.then.name = names.get(row.code, row.code)
    # each province, its total first, then its cities
    ordered = sorted(rows.values(), key=lambda row: (row.code[:2], row.level != "province", row.code))
    return Simulation(rows=ordered, tiers_now=tiers_now, tiers_then=tiers_then)


@dataclass(frozen=True)
class RecomputeScope:
    """What "recompute now" would recompute: the user's territory, its customers, and the rule sets in force."""

    region: Region
    customers: int
    active: int
    rule_sets: list[RuleSet]
    running: list[TierJobRun]
    estimated: bool = False  # the counts are the planner's, past EXACT_COUNT_LIMIT (`crm.paginator.count_rows`)


def recompute_preview(*, user: User, scope: Region) -> RecomputeScope:
    """The scope of a recompute of `scope` as the user confirms it: every customer in it is recomputed (the active
    ones get a tier; the others lose theirs), under the rule set in force in its province."""
    customers = (
        Customer.objects.all()
        if scope.code == NATIONAL
        else Customer.objects.filter(region__path__startswith=scope.path)
    )
    # Counted exactly up to EXACT_COUNT_LIMIT, estimated past it: a province's million took 0.17 s to count.
    total, total_estimated = count_rows(customers, exact_below=settings.EXACT_COUNT_LIMIT)
    active, active_estimated = count_rows(customers.filter(status="active"), exact_below=settings.EXACT_COUNT_LIMIT)
    published = RuleSet.objects.filter(status=RuleSetStatus.PUBLISHED).select_related("scope")
    if scope.code == NATIONAL:
        rule_sets = list(published.order_by("scope_id"))
    else:
        rule_sets = [rule_set_for_region(scope)]
    running = list(job_runs_for(user).filter(status="running"))
    return RecomputeScope(scope, total, active, rule_sets, running, estimated=total_estimated or active_estimated)


def share(part: int, whole: int) -> Decimal:
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1")) if whole else Decimal("0")


@dataclass
class QuotaRow:
    code: str
    name: str
    level: str
    counts: dict[str, int]
    targets: dict[str, Decimal]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def shares(self) -> dict[str, Decimal]:
        return {group: share(count, self.total) for group, count in self.counts.items()}

    @property
    def deviations(self) -> dict[str, Decimal]:
        return {group: self.shares[group] - self.targets[group] for group in self.counts}

    @property
    def flagged(self) -> set[str]:
        return {group for group, deviation in self.deviations.items() if abs(deviation) > QUOTA_TOLERANCE}


QUOTA_TOLERANCE = Decimal("3")  # percentage points (SPEC §4.1)
QUOTA_GROUPS = {"A": ("A+", "A"), "B": ("B",), "C": ("C",)}
QUOTA_GROUP_OF = {tier: group for group, tiers in QUOTA_GROUPS.items() for tier in tiers}
QUOTA_LABELS = {"A": "A+/A", "B": "B", "C": "C"}


@dataclass
class QuotaReport:
    rows: list[QuotaRow]
    as_of: datetime.datetime | None  # when the counts were taken (`TierCount`); None: counted now


def quota_report(*, user: User, live: bool = False) -> QuotaReport:
    """Actual tier shares against the targets of the rules in force, per province and per city.

    Added up from the counts per region and tier that every recompute leaves (`TierCount`), saying as of when,
    where there are some; otherwise, or with `live`, counted now (0.4–0.5 s over a province of a million)."""
    by_city: dict[str, dict[str, int]] = {}
    by_province: dict[str, dict[str, int]] = {}
    found = None if live else counted_for(user, TierCount, ["region_id", "tier"])
    if found is not None:
        counted, as_of = found
    else:
        # Counted per region and tier, then added up per province and city from the regions' paths: grouping a
        # province's million customers by pieces of their region's path cut from each row cost half as much again.
        customers = Customer.objects.visible_to(user).filter(tier__isnull=False)
        counted, as_of = list(customers.values_list("region_id", "tier").annotate(n=Count("id")).order_by()), None
    paths = dict(Region.objects.filter(code__in={region for region, _tier, _n in counted}).values_list("code", "path"))
    for region, tier, n in counted:
        group = QUOTA_GROUP_OF[tier]
        path = paths[region]  # "000000/510000/510100/…": the province, then the city
        for table, key in ((by_province, path[7:13]), (by_city, path[14:20])):
            counts = table.setdefault(key, dict.fromkeys(QUOTA_GROUPS, 0))
            counts[group] += n
    regions = {r.code: r for r in Region.objects.filter(code__in=[*by_province, *by_city])}
    # the sets in force, every province's in one query: a query or three per province would grow with the country
    published = RuleSet.objects.filter(status=RuleSetStatus.PUBLISHED, scope_id__in=[NATIONAL, *by_province])
    in_force = {rule_set.scope_id: rule_set for rule_set in published}
    targets_of: dict[str, dict[str, Decimal]] = {}
    for code in by_province:
        rule_set = in_force.get(code) or in_force[NATIONAL]
        targets_of[code] = {"A": rule_set.target_a_share, "B": rule_set.target_b_share, "C": rule_set.target_c_share}
    report = []
    for province in sorted(by_province):
        name = regions[province].name if province in regions else province
        report.append(QuotaRow(province, name, "province", by_province[province], targets_of[province]))
        for city in sorted(code for code in by_city if code[:2] == province[:2]):
            name = regions[city].name if city in regions else city
            report.append(QuotaRow(city, name, "city", by_city[city], targets_of[province]))
    return QuotaReport(report, as_of)


# -- manual tier overrides (人工调级) ----------------------------------------------------------------------------------

EXPIRING_WITHIN_DAYS = 7


def overrides_for(user: User) -> QuerySet[TierOverride]:
    """The overrides and requests of the customers the user sees (§2), with what their lists show."""
    return TierOverride.objects.filter(customer__in=Customer.objects.visible_to(user)).select_related(
        "customer__region", "set_by", "decided_by"
    )


def override_get(*, user: User, pk: int) -> TierOverride:
    """One override or request of a customer the user sees; 404 for any other."""
    found = overrides_for(user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def override_requests_waiting(user: User) -> QuerySet[TierOverride]:
    """The requests that wait for a decision on customers the user sees, oldest first (the order to decide them)."""
    return overrides_for(user).filter(status=OverrideStatus.REQUESTED).order_by("set_at", "pk")


def overrides_expiring(user: User, today: datetime.date | None = None) -> QuerySet[TierOverride]:
    """The overrides in force on customers the user sees that expire within the next 7 days (today included),
    soonest first."""
    today = today or timezone.localdate()
    return (
        overrides_for(user)
        .filter(pk__in=TierOverride.objects.active(today).values("pk"))
        .filter(expires_on__lte=today + datetime.timedelta(days=EXPIRING_WITHIN_DAYS))
        .order_by("expires_on", "customer__code")
    )


def customer_overrides(customer: Customer) -> dict[str, Any]:
    """What the customer page shows of manual tiers: the override in force, the request waiting, and the earlier
    requests and overrides (newest first, a few)."""
    rows = list(
        customer.tier_overrides.select_related("set_by", "decided_by", "removed_by").order_by("-set_at", "-pk")[:6]
    )
    today = timezone.localdate()
    in_force = next(
        (
            row
            for row in rows
            if row.status == OverrideStatus.APPROVED and row.removed_at is None and row.expires_on >= today
        ),
        None,
    )
    waiting = next((row for row in rows if row.status == OverrideStatus.REQUESTED), None)
    return {
        "in_force": in_force,
        "waiting": waiting,
        "earlier": [row for row in rows if row is not in_force and row is not waiting][:4],
    }
