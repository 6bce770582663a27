"""Reads of prospects (issue 21): the prospects a user sees, the claim rule of a region, the duplicate check, a
region's pool and its new-customer targets."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Customer
from accounts.selectors import filed_in_year, visible_customer_code
from crm.models import Region, StaffQuerySet, User
from crm.visibility import NATIONAL_CODE, province_path, territory_path

from .models import ClaimRule, NewCustomerTarget, ProfileTarget, Prospect, ProspectStatus
from .rules import (
    DEFAULT_MAX_CLAIMED,
    DEFAULT_PROFILE_TARGETS,
    DEFAULT_RETURN_AFTER_DAYS,
    MIN_CORE,
    duplicate_reason,
    name_core,
)

# How many rows of each table, found by the name's core or the USCC, the duplicate check weighs at most.
DUPLICATE_CANDIDATES = 50


def prospects_for(user: User) -> QuerySet[Prospect]:
    """The prospects a user sees: those of their territory's regions (a grid manager's grid, a department's region, a
    province; an account manager's home region), and those they filed or hold; partner staff none. Another's is 404."""
    # the customer a prospect became by its code only where the user sees it (§2)
    prospects = Prospect.objects.select_related("region", "claimed_by", "customer").annotate(
        customer_code=visible_customer_code(user, "customer_id")
    )
    if not user.is_authenticated or user.is_partner_staff:
        return prospects.none()
    mine = Q(claimed_by=user) | Q(filed_by=user)
    path = territory_path(user)
    if path is None:
        return prospects.filter(mine)
    if path == "":
        return prospects
    return prospects.filter(mine | Q(region__in=Region.objects.codes_under(path)))


def prospect_get(*, user: User, pk: int) -> Prospect:
    return get_object_or_404(prospects_for(user), pk=pk)


@dataclass(frozen=True)
class ClaimLimits:
    max_claimed: int
    return_after_days: int


def claim_limits(region: Region) -> ClaimLimits:
    """The claim rule of the region's province, else the national one, else the built-in defaults."""
    province = province_path(region).strip("/").split("/")[-1]
    rules = {rule.region_id: rule for rule in ClaimRule.objects.filter(region_id__in=[province, NATIONAL_CODE])}
    rule = rules.get(province) or rules.get(NATIONAL_CODE)
    if rule is None:
        return ClaimLimits(DEFAULT_MAX_CLAIMED, DEFAULT_RETURN_AFTER_DAYS)
    return ClaimLimits(rule.max_claimed, rule.return_after_days)


def claimed_count(user: User) -> int:
    return Prospect.objects.claimed_by(user).count()


# -- the duplicate check --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Duplicate:
    kind: str  # "customer" or "prospect"
    reason: str  # rules.DUPLICATE_USCC or rules.DUPLICATE_NAME_ADDRESS
    name: str
    address: str
    code: str | None = None  # a customer's
    id: int | None = None  # a prospect's
    status: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "reason": self.reason,
            "name": self.name,
            "address": self.address,
            "code": self.code,
            "id": self.id,
            "status": self.status,
        }


def _candidates(
    rows: QuerySet, *, name: str, uscc: str | None, fields: tuple[str, ...], contains: str = "icontains"
) -> list[dict[str, Any]]:
    """The rows with the same USCC (a unique or partial index) and those whose name contains the name's core (on
    PostgreSQL the index on UPPER(name): a prospect's trigrams, a customer's pairs of characters with `contains`
    "anywhere", as the customer search; SQLite reads the table), a few of each."""
    found: dict[int, dict[str, Any]] = {}
    if uscc:
        for row in rows.filter(uscc=uscc.upper()).order_by().values(*fields)[:DUPLICATE_CANDIDATES]:
            found[row["pk"]] = row
    core = name_core(name)
    if len(core) >= MIN_CORE:
        for row in rows.filter(**{f"name__{contains}": core}).order_by().values(*fields)[:DUPLICATE_CANDIDATES]:
            found.setdefault(row["pk"], row)
    return list(found.values())


def possible_duplicates(
    *,
    user: User,
    name: str,
    address: str,
    uscc: str | None = None,
    exclude: Prospect | None = None,
    prospects: bool = True,
) -> list[Duplicate]:
    """The customers and prospects the user sees that are the same company: the same USCC, or a similar name at the
    same address (`rules.duplicate_reason`). Customers first."""
    duplicates: list[Duplicate] = []
    customer_fields = ("pk", "code", "name", "address", "uscc", "status")
    customers = Customer.objects.visible_to(user)
    for row in _candidates(customers, name=name, uscc=uscc, fields=customer_fields, contains="anywhere"):
        reason = duplicate_reason(
            name=name,
            address=address,
            uscc=uscc,
            other_name=row["name"],
            other_address=row["address"],
            other_uscc=row["uscc"],
        )
        if reason:
            duplicates.append(
                Duplicate("customer", reason, row["name"], row["address"], code=row["code"], status=row["status"])
            )
    if prospects:
        rows = prospects_for(user)
        if exclude is not None:
            rows = rows.exclude(pk=exclude.pk)
        rows = rows.exclude(status=ProspectStatus.CONVERTED)  # a converted one is its customer now
        for row in _candidates(rows, name=name, uscc=uscc, fields=("pk", "name", "address", "uscc", "status")):
            reason = duplicate_reason(
                name=name,
                address=address,
                uscc=uscc,
                other_name=row["name"],
                other_address=row["address"],
                other_uscc=row["uscc"],
            )
            if reason:
                duplicates.append(
                    Duplicate("prospect", reason, row["name"], row["address"], id=row["pk"], status=row["status"])
                )
    return duplicates


def customer_with_uscc_exists(uscc: str | None) -> bool:
    """Whether any customer, seen or not, has this USCC (unique among customers): a prospect with it cannot become
    one."""
    return bool(uscc) and Customer.objects.filter(uscc=uscc).exists()


# -- a region's pool and targets ------------------------------------------------------------------------------------


def status_counts(region: Region, codes: list[str] | None = None) -> dict[str, int]:
    """The prospects of the region's subtree by status (`codes`: its regions' codes, when the caller has them)."""
    rows = (
        Prospect.objects.filter(region__in=Region.objects.codes_under(region.path) if codes is None else codes)
        .order_by()
        .values("status")
        .annotate(n=Count("*"))
    )
    counts = {status: 0 for status in ProspectStatus.values}
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def _ancestors(region: Region) -> list[str]:
    """The codes of the region and every region above it, nearest first."""
    return [code for code in reversed(region.path.strip("/").split("/")) if code]


def profile_targets(region: Region) -> dict[str, Decimal]:
    """The profile completeness (建档率) target per tier of a region: its own, else the nearest region above's, else
    the defaults (SPEC §7)."""
    codes = _ancestors(region)
    rank = {code: position for position, code in enumerate(codes)}
    targets: dict[str, tuple[int, Decimal]] = {}
    for target in ProfileTarget.objects.filter(region_id__in=codes):
        nearest = targets.get(target.tier)
        if nearest is None or rank[target.region_id] < nearest[0]:
            targets[target.tier] = (rank[target.region_id], target.rate)
    return {tier: targets[tier][1] if tier in targets else rate for tier, rate in DEFAULT_PROFILE_TARGETS.items()}


@dataclass(frozen=True)
class TargetProgress:
    region: Region
    year: int
    target: int | None
    achieved: int

    @property
    def share_pct(self) -> Decimal | None:
        """The target achieved, in percent."""
        if not self.target:
            return None
        return Decimal(100 * self.achieved) / Decimal(self.target)


def new_customer_counts(*, user: User, year: int, regions: list[Region]) -> dict[str, int]:
    """The group customers filed in the year (new customers, 新增集团客户) under each of `regions` (its subtree), among
    those the user sees (SPEC §2): one grouped query of the year's customers per region, summed up each region's
    path. It reads the customers of the highest region's subtree, so callers keep that subtree small (a grid page
    goes no higher than its county) or read it once per page (a territory's targets)."""
    if not regions:
        return {}
    wanted = {region.code for region in regions}
    customers = Customer.objects.visible_to(user)
    paths = {region.path for region in regions}
    tops = [path for path in paths if not any(path != other and path.startswith(other) for other in paths)]
    under = Q()
    below_national = all(path.count("/") > 1 for path in tops)
    if below_national:  # the customers of the tops' regions only
        for path in tops:
            under |= Q(path__startswith=path)
    region_paths = dict(Region.objects.filter(under).values_list("code", "path"))
    if below_national:
        customers = customers.filter(region__in=list(region_paths))
    # grouped by the customer's own column: a territory's year is read from `customer_region_filed_idx` alone, the
    # country's from `customer_created_idx` (both hold the region)
    customers = customers.filter(filed_in_year(year))
    counted = customers.order_by().values_list("region_id").annotate(n=Count("*"))
    totals = dict.fromkeys(wanted, 0)
    for region_id, n in counted:
        for code in region_paths.get(region_id, "").strip("/").split("/"):
            if code in wanted:
                totals[code] += n
    return totals


def target_progress(*, user: User, year: int, regions: list[Region]) -> list[TargetProgress]:
    """The new-customer target of the year of each region against the customers filed in it that the user sees: two
    queries, whatever the number of regions."""
    targets = dict(
        NewCustomerTarget.objects.filter(region__in=[region.code for region in regions], year=year).values_list(
            "region_id", "target"
        )
    )
    achieved = new_customer_counts(user=user, year=year, regions=regions)
    return [TargetProgress(region, year, targets.get(region.code), achieved[region.code]) for region in regions]


def target_progress_list(*, user: User, year: int) -> list[TargetProgress]:
    """Every new-customer target of the year set over a region of the user's territory, with its progress among the
    customers the user sees: the targets, then one grouped query of the year's new customers of the territory."""
    path = territory_path(user)
    if path is None:
        return []
    targets = list(
        NewCustomerTarget.objects.select_related("region").filter(year=year).order_by("region__path")
        if not path
        else NewCustomerTarget.objects.select_related("region")
        .filter(year=year, region__path__startswith=path)
        .order_by("region__path")
    )
    achieved = new_customer_counts(user=user, year=year, regions=[target.region for target in targets])
    return [TargetProgress(target.region, year, target.target, achieved[target.region_id]) for target in targets]


def customer_manager_candidates(region: Region) -> StaffQuerySet:
    """The staff who may be named customer manager (客户经理) of a prospect of `region` as it becomes a customer: the
    active account managers of its province, the staff who hold customer-manager roles on its customers (team roles
    go to staff of the customer's province). The one list the convert form offers and the conversion checks."""
    return (
        User.objects.filter(is_active=True, region__path__startswith=province_path(region))
        .account_managers()
        .select_related("region")
    )


def grid_get(*, user: User, code: str) -> Region:
    """A grid within the user's territory; another grid, or a region that is not a grid, is 404."""
    path = territory_path(user)
    grids = Region.objects.filter(level="grid")
    if path is None:
        grids = grids.none()
    elif path:
        grids = grids.filter(path__startswith=path)
    return get_object_or_404(grids.select_related("parent"), code=code)


def own_claim_rule(region: Region) -> ClaimRule | None:
    """The region's own claim rule (a province's, or the national default), if it has one."""
    return ClaimRule.objects.filter(region=region).first()


def claim_limits_above(region: Region) -> ClaimLimits:
    """What applies to a province without its own claim rule: the national one, else the built-in defaults; for the
    national root, the built-in defaults."""
    if region.code == NATIONAL_CODE:
        return ClaimLimits(DEFAULT_MAX_CLAIMED, DEFAULT_RETURN_AFTER_DAYS)
    rule = ClaimRule.objects.filter(region_id=NATIONAL_CODE).first()
    if rule is None:
        return ClaimLimits(DEFAULT_MAX_CLAIMED, DEFAULT_RETURN_AFTER_DAYS)
    return ClaimLimits(rule.max_claimed, rule.return_after_days)


def claim_rules_of_provinces() -> list[ClaimRule]:
    """The provinces' own claim rules (the national one aside), in code order: what headquarters reviews."""
    return list(ClaimRule.objects.select_related("region").exclude(region_id=NATIONAL_CODE).order_by("region_id"))
