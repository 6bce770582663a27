"""Reads of tier rules, simulations and the quota report."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, TypedDict

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr

from accounts.models import Customer
from crm.models import Region, User
from crm.visibility import filing_regions

from .models import RuleSet, RuleSetStatus, TierJobRun

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


@dataclass
class CityMix:
    city: str
    name: str
    now: dict[str | None, int] = field(default_factory=dict)
    then: dict[str | None, int] = field(default_factory=dict)
    up: int = 0
    down: int = 0


class SimulatedTier(TypedDict):
    """What `simulate` annotates on the customers who would move."""

    new_tier: str | None
    city: str


def simulate(
    *, rule_set: RuleSet, user: User, sample: int = 100
) -> tuple[list[CityMix], list[WithAnnotations[Customer, SimulatedTier]]]:
    """What the rule set would do to the customers the user sees in its scope: tier mix per city, now and then,
    how many would move up or down, and a sample of those who would move."""
    from .bulk import tier_expression, tier_with_overrides

    customers = Customer.objects.visible_to(user)
    if rule_set.scope_id != NATIONAL:
        customers = customers.filter(region__path__startswith=rule_set.scope.path)
    new_tier = tier_with_overrides(tier_expression(rule_set.specs()))  # what the recompute would write
    simulated = customers.annotate(new_tier=new_tier, city=city_of())
    names = dict(Region.objects.filter(level="city").values_list("code", "name"))
    mixes: dict[str, CityMix] = {}
    for row in simulated.values("city", "tier", "new_tier").annotate(n=Count("id")).order_by():
        mix = mixes.setdefault(row["city"], CityMix(row["city"], names.get(row["city"], row["city"])))
        mix.now[row["tier"]] = mix.now.get(row["tier"], 0) + row["n"]
        mix.then[row["new_tier"]] = mix.then.get(row["new_tier"], 0) + row["n"]
        if TIER_RANK[row["new_tier"]] > TIER_RANK[row["tier"]]:
            mix.up += row["n"]
        elif TIER_RANK[row["new_tier"]] < TIER_RANK[row["tier"]]:
            mix.down += row["n"]
    movers = list(simulated.filter(tier__distinct_from=new_tier).select_related("region").order_by("code")[:sample])
    return sorted(mixes.values(), key=lambda mix: mix.city), movers


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


def quota_report(*, user: User) -> list[QuotaRow]:
    """Actual tier shares against the targets of the rules in force, per province and per city."""
    customers = Customer.objects.visible_to(user).filter(tier__isnull=False)
    province_of = Substr("region__path", 8, 6)
    by_city: dict[str, dict[str, int]] = {}
    by_province: dict[str, dict[str, int]] = {}
    grouped = customers.annotate(province=province_of, city=city_of()).values("province", "city", "tier")
    for row in grouped.annotate(n=Count("id")).order_by():
        group = next(name for name, tiers in QUOTA_GROUPS.items() if row["tier"] in tiers)
        for table, key in ((by_province, row["province"]), (by_city, row["city"])):
            counts = table.setdefault(key, dict.fromkeys(QUOTA_GROUPS, 0))
            counts[group] += row["n"]
    regions = {r.code: r for r in Region.objects.filter(code__in=[*by_province, *by_city])}
    targets_of: dict[str, dict[str, Decimal]] = {}
    for code in by_province:
        rule_set = published_rule_set(regions.get(code))
        targets_of[code] = {"A": rule_set.target_a_share, "B": rule_set.target_b_share, "C": rule_set.target_c_share}
    report = []
    for province in sorted(by_province):
        name = regions[province].name if province in regions else province
        report.append(QuotaRow(province, name, "province", by_province[province], targets_of[province]))
        for city in sorted(code for code in by_city if code[:2] == province[:2]):
            name = regions[city].name if city in regions else city
            report.append(QuotaRow(city, name, "city", by_city[city], targets_of[province]))
    return report
