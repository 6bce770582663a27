"""Reads of KPIs: scopes a user may see (SPEC §2), their snapshots, targets and the state of the nightly job; one
module per entity group, re-exported here.

Dashboards read snapshots only, never customers. A scope is visible when the user sees the whole of its extent
(the region holding all its customers); an account manager sees their own figures only.
"""

from __future__ import annotations

from .jobs import (
    JobState,
    LaterChange,
    changes_since,
    job_state,
    runs_for,
)
from .revenue import (
    ProductRevenueRow,
    product_revenue,
    product_targets,
)
from .scopes import (
    Scope,
    child_scopes,
    department_managers,
    own_scope,
    scope_for,
    worst_coverage_gaps,
)
from .snapshots import (
    LIVE_FIELDS,
    LOAD_DRAWN,
    Figure,
    Figures,
    LiveFigures,
    ManagerLoad,
    department_load,
    figures,
    figures_and_trend,
    figures_of_many,
    latest_period,
    live_figures,
    trend,
)
from .targets import (
    own_targets,
    province_code,
    targets_for,
    verified_only_provinces,
)

__all__ = [
    "Figure",
    "Figures",
    "JobState",
    "LIVE_FIELDS",
    "LOAD_DRAWN",
    "LaterChange",
    "LiveFigures",
    "ManagerLoad",
    "ProductRevenueRow",
    "Scope",
    "changes_since",
    "child_scopes",
    "department_load",
    "department_managers",
    "figures",
    "figures_and_trend",
    "figures_of_many",
    "job_state",
    "latest_period",
    "live_figures",
    "own_scope",
    "own_targets",
    "product_revenue",
    "product_targets",
    "province_code",
    "runs_for",
    "scope_for",
    "targets_for",
    "trend",
    "verified_only_provinces",
    "worst_coverage_gaps",
]
