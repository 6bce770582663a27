"""A territory's month of commission settlements computed by the workers (`partners.services.settlements`), a chunk
of partners at a time, and the sweep of computations whose workers died."""

from __future__ import annotations

import datetime

from celery import chord, shared_task
from django.conf import settings

from crm.jobs import BROKER_ERRORS, BrokerUnavailable, ChunkTask, broker_check, broker_down_message, tasks_run_here
from crm.models import Region, User
from crm.services import job_runs_sweep

from .models import SettlementJobRun
from .services import (
    settlement_chunk_compute,
    settlement_chunk_failed,
    settlement_chunks,
    settlement_run_abandon,
    settlement_run_finish,
    settlement_run_start,
)

# Tasks are named explicitly: the names travel in queued messages, chord callbacks and the beat schedule.


@shared_task(base=ChunkTask, name="partners.tasks.settlement_chunk", record_failure=settlement_chunk_failed)
def settlement_chunk(run_id: int, first_id: int, last_id: int) -> int | None:
    """One id range of partners' settlements in one transaction; returns how many drafts. ChunkTask retries
    transient database errors and records what still fails on the run, returning None."""
    return settlement_chunk_compute(run_id=run_id, first_id=first_id, last_id=last_id)


@shared_task(name="partners.tasks.settlement_finish", acks_late=True, time_limit=20 * 60, soft_time_limit=19 * 60)
def settlement_finish(_results, run_id: int) -> str:
    return settlement_run_finish(run_id=run_id).status


def settlements_launch(
    *, user: User, month: datetime.date, region: Region, language: str = "", chunk_size: int | None = None
) -> SettlementJobRun:
    """Plan the chunks, record the run and hand the chunks to the workers (a chord whose callback closes the run);
    returns the run. Refused at once when the month is open or the user may not settle the territory
    (ValidationError, PermissionDenied), while the month of the territory is being computed (JobBusy) or when the
    broker is down (BrokerUnavailable: a run recorded but not handed on is failed with the reason)."""
    if not tasks_run_here():
        broker_check()
    chunks = settlement_chunks(region, chunk_size)
    run = settlement_run_start(user=user, month=month, region=region, chunks_total=len(chunks), language=language)
    try:
        if not chunks:
            settlement_finish.delay([], run.pk)
        else:
            chord(settlement_chunk.s(run.pk, first, last) for first, last in chunks)(settlement_finish.s(run.pk))
    except BROKER_ERRORS as exc:
        settlement_run_abandon(run=run, reason=broker_down_message())
        raise BrokerUnavailable(broker_down_message()) from exc
    run.refresh_from_db()
    return run


@shared_task(name="partners.tasks.settlement_runs_sweep")
def settlement_runs_sweep() -> int:
    """Fail the computations whose workers died (`crm.services.job_runs_sweep`); returns how many."""
    return job_runs_sweep(run_model=SettlementJobRun, silence=datetime.timedelta(minutes=settings.JOB_SILENCE_MINUTES))
