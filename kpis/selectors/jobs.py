"""Reads of the nightly KPI job: the freshness a dashboard reports, and the runs a user may see."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from crm.models import JobStatus, User
from crm.permissions import may

from ..models import KpiJobRun


@dataclass
class JobState:
    """What a dashboard says about the freshness of its data."""

    last_success: KpiJobRun | None
    last_failure: KpiJobRun | None  # a failed run newer than the last success

    @property
    def failed(self) -> bool:
        return self.last_failure is not None


def job_state() -> JobState:
    runs = KpiJobRun.objects.exclude(status=JobStatus.RUNNING).order_by("-finished_at")
    success = runs.filter(status=JobStatus.SUCCEEDED).first()
    failure = runs.filter(status=JobStatus.FAILED)
    if success is not None:
        failure = failure.filter(finished_at__gt=success.finished_at)
    return JobState(success, failure.first())


def runs_for(user: User) -> QuerySet[KpiJobRun]:
    """The computations are nation-wide: provincial staff and above see them."""
    if not may(user, "kpis.view_job_runs"):
        return KpiJobRun.objects.none()
    return KpiJobRun.objects.select_related("triggered_by").order_by("-started_at")
