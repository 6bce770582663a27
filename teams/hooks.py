"""The hooks teams offers the floors above it (`crm.hooks`): `visit_plans`, filled by campaigns with the campaign
plans a visit may move on (SPEC §6.2), without which visits know nothing of plans; and `verified_only_provinces`,
filled by kpis with the provinces whose visit compliance counts only verified on-site visits (外勤签到), without
which every visit counts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from crm.hooks import Slot


@dataclass(frozen=True)
class VisitPlans:
    """The campaign plans (一户一案) a visit was for, as the floor above keeps them."""

    queryset: Callable[[], QuerySet]  # every plan: what the API's `plans` field looks ids up in
    to_visit: Callable[[Any], QuerySet]  # the plans of a customer a new visit may move on
    label: Callable[[Any], str]  # a plan as the visit form lists it
    advance: Callable[..., Any]  # advance(user=, visit=, plans=): the plans move on to `visited`


visit_plans = Slot("teams.visit_plans", "The campaign plans a logged visit moves on (campaigns fills it).")


verified_only_provinces = Slot(
    "teams.verified_only_provinces",
    "A callable giving the paths of the provinces whose visit compliance counts only verified on-site visits, so "
    "that the customer list's visit filter counts the customers the KPI counts (kpis fills it).",
)


@dataclass(frozen=True)
class VisitOpportunities:
    """The opportunities (商机) a new visit may find or move on, as the floor above keeps them."""

    open_of: Callable[[Any], QuerySet]  # the customer's open opportunities, as the visit form lists them
    label: Callable[[Any], str]  # an opportunity as the visit form lists it
    stages: Callable[[], list[tuple[str, str]]]  # (stage, label) an open opportunity may be moved to
    # record(user=, visit=, found=title or "", moves={opportunity id: stage}): in the visit's transaction
    record: Callable[..., Any]


visit_opportunities = Slot(
    "teams.visit_opportunities",
    "The opportunities a visit finds (a title typed on the visit form) or moves on (campaigns fills it).",
)
