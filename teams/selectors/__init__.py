"""Reads of teams, standards and visits, one module per entity group; re-exported here. Everything about customers
starts from `visible_customers`.
"""

from __future__ import annotations

from .completeness import (
    ROLE_BITS,
    TeamGaps,
    incomplete_teams,
    roles_of_mask,
    team_complete,
    team_gaps,
    team_missing_of,
)
from .service_standards import (
    standards,
    standards_of,
)
from .staff import (
    ReassignPlan,
    customer_manager_loads,
    manager_load,
    reassign_plan,
    staff_pool,
)
from .teams import (
    TeamStatus,
    customer_manager_of,
    roles_held,
    team_member_ids,
    team_status,
)
from .visits import (
    RECENT_VISITS,
    CustomerVisits,
    DueVisit,
    SecondManagerRow,
    VerifiedOnly,
    customer_visits,
    due_visit_count,
    due_visits,
    my_customers,
    second_manager_rows,
    unverified_visits,
    verified_only_of,
    visit_statuses,
    visits_met,
    visits_overdue,
    visits_visible,
)

__all__ = [
    "CustomerVisits",
    "DueVisit",
    "RECENT_VISITS",
    "ROLE_BITS",
    "ReassignPlan",
    "SecondManagerRow",
    "TeamGaps",
    "TeamStatus",
    "VerifiedOnly",
    "customer_manager_loads",
    "customer_manager_of",
    "customer_visits",
    "due_visit_count",
    "due_visits",
    "incomplete_teams",
    "manager_load",
    "my_customers",
    "reassign_plan",
    "roles_held",
    "roles_of_mask",
    "second_manager_rows",
    "staff_pool",
    "standards",
    "standards_of",
    "team_complete",
    "team_gaps",
    "team_member_ids",
    "team_missing_of",
    "team_status",
    "unverified_visits",
    "verified_only_of",
    "visit_statuses",
    "visits_met",
    "visits_overdue",
    "visits_visible",
]
