"""Campaigns created by a worker (`campaigns.services.creations`), and the sweep of those whose worker died."""

from __future__ import annotations

import datetime
from typing import Any

from celery import shared_task
from django.conf import settings

from crm.jobs import BROKER_ERRORS, BrokerUnavailable, ChunkTask, broker_check, broker_down_message, tasks_run_here
from crm.models import User
from crm.services import job_runs_sweep

from .models import CampaignCreationRun
from .notices import call_backs_remind as call_backs_due_told
from .services.coverage import coverage_snapshot
from .services.creations import creation_execute, creation_failed, creation_start

# Tasks are named explicitly, by the module path they were first registered under: the names travel in queued
# messages and the beat schedule (crm/beat.py).


def _creation_failed(*, run_id: int, error: str) -> None:
    creation_failed(run_id=run_id, error=error)


@shared_task(base=ChunkTask, name="campaigns.tasks.campaign_creation_run", record_failure=_creation_failed)
def campaign_creation_run(run_id: int) -> str:
    """Create a run's campaign in one transaction; returns the run's status. ChunkTask retries transient database
    errors and records what still fails on the run."""
    return creation_execute(run_id=run_id).status


def campaign_creation_launch(
    *, user: User, data: dict[str, Any], fingerprint: str, plans: int, language: str = ""
) -> CampaignCreationRun:
    """Record the creation of a campaign as confirmed on its preview and hand it to a worker; returns the run (the
    first one's, for a confirmation sent again: `creation_start`). Refused at once when the broker is down
    (BrokerUnavailable: a run recorded but not handed on is failed with the reason)."""
    if not tasks_run_here():
        broker_check()
    run, new = creation_start(user=user, data=data, fingerprint=fingerprint, plans=plans, language=language)
    if not new:
        return run
    try:
        campaign_creation_run.delay(run.pk)
    except BROKER_ERRORS as exc:
        creation_failed(run_id=run.pk, error=broker_down_message())
        raise BrokerUnavailable(broker_down_message()) from exc
    run.refresh_from_db()
    return run


@shared_task(name="campaigns.tasks.campaign_creations_sweep")
def campaign_creations_sweep() -> int:
    """Fail the creations whose worker died (`crm.services.job_runs_sweep`); returns how many."""
    return job_runs_sweep(
        run_model=CampaignCreationRun, silence=datetime.timedelta(minutes=settings.JOB_SILENCE_MINUTES)
    )


@shared_task(name="campaigns.tasks.coverage_nightly")
def coverage_nightly() -> int:
    """The night's gap matrix per region (`services.coverage_snapshot`); the rows written."""
    return coverage_snapshot()


@shared_task(name="campaigns.tasks.call_backs_remind")
def call_backs_remind() -> int:
    """Tell each agent of the call-backs whose time has come (`campaigns.notices.call_backs_remind`); returns how
    many were due."""
    return call_backs_due_told()
