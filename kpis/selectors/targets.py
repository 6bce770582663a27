"""Reads of KPI targets: those in force in a province, those set for one region, and a region's province."""

from __future__ import annotations

from decimal import Decimal

from crm.models import Region
from crm.visibility import NATIONAL_CODE
from tiering.models import RuleSet, RuleSetStatus

from ..metrics import SNAPSHOT_METRICS, TIER_SHARE_QUOTAS
from ..models import KpiTarget, VisitCompliancePolicy


def targets_for(province: str | None) -> dict[str, Decimal | None]:
    """The target of every metric in a province (by code; None: the nation): the province's own, else the national
    one, else the default of `metrics`; the tier shares' are the quotas of the rule set in force there (SPEC §4.1),
    the province's published one, else the national one. Two queries."""
    targets: dict[str, Decimal | None] = {metric.code: metric.default_target for metric in SNAPSHOT_METRICS}
    regions = [NATIONAL_CODE] + ([province] if province else [])
    rows = KpiTarget.objects.filter(region_id__in=regions).values_list("metric", "region_id", "value")
    for metric, _region, value in sorted(rows, key=lambda row: row[1] != NATIONAL_CODE):
        targets[metric] = value
    quotas = {
        row["scope_id"]: row
        for row in RuleSet.objects.filter(status=RuleSetStatus.PUBLISHED, scope_id__in=regions).values(
            "scope_id", *TIER_SHARE_QUOTAS.values()
        )
    }
    in_force = quotas.get(province) or quotas.get(NATIONAL_CODE)
    if in_force is not None:
        for code, field_name in TIER_SHARE_QUOTAS.items():
            targets[code] = in_force[field_name] / 100
    return targets


def own_targets(region: Region) -> dict[str, Decimal]:
    """The targets set for this very region (the national root or a province), by metric."""
    return dict(KpiTarget.objects.filter(region=region).values_list("metric", "value"))


def province_code(region: Region | None) -> str | None:
    """The code of the province a region lies in, read off its path; None for the national root."""
    if region is None or region.depth < 1:
        return None
    return region.ancestor_codes()[1]


def verified_only_provinces() -> list[str]:
    """The paths of the provinces whose visit compliance counts only verified on-site visits (外勤签到), as
    `teams.selectors.visits_met` takes them. One query."""
    return list(
        VisitCompliancePolicy.objects.filter(verified_only=True)
        .order_by("region_id")
        .values_list("region__path", flat=True)
    )
