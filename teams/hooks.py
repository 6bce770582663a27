"""The hook teams offers the floors above it (`crm.hooks`): `visit_plans`, filled by campaigns with the campaign
plans a visit may move on (SPEC §6.2). Without it, visits know nothing of plans."""

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
