"""What is waiting on its owner (the workbench and the morning digest read the same conditions): campaign plans and
opportunities (商机) whose stage has rested PLAN_IDLE_DAYS days, and call-backs (回访) promised for today or before."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from ..models import CallEntry, CallOutcome, CustomerPlan, Opportunity
from ..rules import OPEN_OPPORTUNITY_STAGES, OPEN_PLAN_STAGES


def idle_since() -> datetime.datetime:
    """A stage that has not moved since this moment is idle."""
    return timezone.now() - datetime.timedelta(days=settings.PLAN_IDLE_DAYS)


def plans_idle(today: datetime.date) -> QuerySet[CustomerPlan]:
    """Plans still in play, in a campaign running today (not cancelled), whose stage is idle."""
    return CustomerPlan.objects.filter(
        stage__in=OPEN_PLAN_STAGES,
        stage_changed_at__lt=idle_since(),
        campaign__starts_on__lte=today,
        campaign__ends_on__gte=today,
        campaign__cancelled_at__isnull=True,
    )


def opportunities_idle() -> QuerySet[Opportunity]:
    """Open opportunities whose stage is idle."""
    return Opportunity.objects.filter(stage__in=OPEN_OPPORTUNITY_STAGES, stage_changed_at__lt=idle_since())


def call_backs_due(today: datetime.date) -> QuerySet[CallEntry]:
    """Numbers on open call lists whose last outcome asked to call back on or before `today`."""
    return CallEntry.objects.filter(
        call_list__closed_at__isnull=True, last_outcome=CallOutcome.CALL_BACK, call_back_on__lte=today
    )
