"""Reads of the nightly KPI job: the freshness a dashboard reports, and the runs a user may see."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import CharField, Q, QuerySet, Value
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from crm import hooks
from crm.models import JobStatus, Region, User
from crm.permissions import may
from tiering.models import TierJobRun

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
    """The last computation that succeeded, and a failed one newer than it. One query."""

    def latest(status: str) -> QuerySet:
        return KpiJobRun.objects.filter(status=status).order_by("-finished_at").values("pk")[:1]

    runs = KpiJobRun.objects.filter(
        Q(pk__in=latest(JobStatus.SUCCEEDED)) | Q(pk__in=latest(JobStatus.FAILED))
    ).select_related("triggered_by")
    success = next((run for run in runs if run.status == JobStatus.SUCCEEDED), None)
    failure = next((run for run in runs if run.status == JobStatus.FAILED), None)
    if failure is not None and success is not None:
        failed_at, succeeded_at = failure.finished_at, success.finished_at
        if failed_at is not None and succeeded_at is not None and failed_at <= succeeded_at:
            failure = None
    return JobState(success, failure)


@dataclass(frozen=True)
class LaterChange:
    """A job that changed the customers behind the figures after they were computed: what it was, and when it
    finished (the latest of its kind)."""

    kind: str  # "tiers" or the key a receiver of `crm.hooks.customer_data_written` gives
    label: str | Promise
    finished_at: datetime.datetime


TIER_RECOMPUTE = _("a tier recompute")


def changes_since(since: datetime.datetime, extent: Region) -> list[LaterChange]:
    """The jobs that rewrote customers of `extent` (tier recomputes, and whatever the floors above declare through
    `crm.hooks.customer_data_written`, e.g. imports) and finished after `since`, the latest of each kind. One
    query: the kinds' runs are read as one union."""
    overlapping = Q(scope__path__startswith=extent.path) | Q(scope_id__in=extent.ancestor_codes())
    kinds: dict[str, str | Promise] = {"tiers": TIER_RECOMPUTE}
    found = (
        TierJobRun.objects.filter(overlapping, status=JobStatus.SUCCEEDED, finished_at__gt=since)
        .order_by()
        .values_list(Value("tiers", output_field=CharField()), "finished_at")
    )
    for key, label, runs in hooks.customer_data_written(region=extent):
        kinds[key] = label
        found = found.union(
            runs.filter(finished_at__gt=since)
            .order_by()
            .values_list(Value(key, output_field=CharField()), "finished_at"),
            all=True,
        )
    latest: dict[str, datetime.datetime] = {}
    for key, finished_at in found:
        if key not in latest or finished_at > latest[key]:
            latest[key] = finished_at
    return sorted(
        (LaterChange(key, kinds[key], finished_at) for key, finished_at in latest.items()),
        key=lambda change: change.finished_at,
    )


def runs_for(user: User) -> QuerySet[KpiJobRun]:
    """The computations are nation-wide: provincial staff and above see them."""
    if not may(user, "kpis.view_job_runs"):
        return KpiJobRun.objects.none()
    return KpiJobRun.objects.select_related("triggered_by").order_by("-started_at")
