"""Reads of the campaign app, one module per entity group; re-exported here."""

from __future__ import annotations

from .calls import (
    CallDay,
    call_entries_for,
    call_lists_counted,
    call_lists_for,
    call_lists_ordered,
    call_report,
    call_total,
    customers_owned,
)
from .campaigns import (
    OPENED_STAGES,
    ManagerProgress,
    Progress,
    activities_for,
    campaign_progress,
    campaigns_for,
    conflicts_of,
    customer_campaigns,
    departments_without_activity,
    plan_counts,
    plans_for,
    plans_to_visit,
)
from .coverage import (
    Coverage,
    GapRow,
    coverage_condition,
    customer_coverage,
    gap_matrix,
    holding_status,
    products,
)

__all__ = [
    "CallDay",
    "Coverage",
    "GapRow",
    "ManagerProgress",
    "OPENED_STAGES",
    "Progress",
    "activities_for",
    "call_entries_for",
    "call_lists_counted",
    "call_lists_for",
    "call_lists_ordered",
    "call_report",
    "call_total",
    "campaign_progress",
    "campaigns_for",
    "conflicts_of",
    "coverage_condition",
    "customer_campaigns",
    "customer_coverage",
    "customers_owned",
    "departments_without_activity",
    "gap_matrix",
    "holding_status",
    "plan_counts",
    "plans_for",
    "plans_to_visit",
    "products",
]
