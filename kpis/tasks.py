"""The nightly KPI snapshots, fanned out over the workers by id range (SPEC §7)."""

from __future__ import annotations

import datetime
import logging

from celery import chord, shared_task
from django.conf import settings
from django.utils import timezone

from crm.jobs import BROKER_ERRORS, BrokerUnavailable, ChunkTask, broker_check, broker_down_message, tasks_run_here
from crm.models import User
from crm.periods import Period
from crm.services import JobBusy, job_run_close, job_runs_sweep

from .models import KpiJobRun
from .services import kpi_chunk_count, kpi_chunk_failed, kpi_run_finish, kpi_run_start, plan_chunks

logger = logging.getLogger(__name__)

# Every task is named explicitly, and by the module path it was first registered under: the names travel in queued
# messages, chord callbacks and the beat schedule (crm/beat.py), which must still find the task if it moves.


@shared_task(base=ChunkTask, name="kpis.tasks.kpi_chunk", record_failure=kpi_chunk_failed)
def kpi_chunk(run_id: int, first_id: int, last_id: int) -> int | None:
    """One id range's totals, into the database (`KpiChunkTotals`); returns how many rows. ChunkTask retries
    transient database errors and records what still fails on the run (which then writes nothing), returning
    None."""
    return kpi_chunk_count(run_id=run_id, first_id=first_id, last_id=last_id)


@shared_task(name="kpis.tasks.kpi_finish", acks_late=True, time_limit=20 * 60, soft_time_limit=19 * 60)
def kpi_finish(results: list, run_id: int) -> str:
    return kpi_run_finish(run_id=run_id, results=results).status


@shared_task(name="kpis.tasks.kpi_snapshots_nightly")
def kpi_snapshots_nightly(*_results, period: str | None = None, chunk_size: int | None = None) -> int | None:
    """Compute the month that yesterday belonged to, as of yesterday: the night after a month's last day closes
    it. Runs after the nightly tier recompute (whose result it is handed and ignores); returns the run's id, or
    None while that month is still being computed."""
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    month = Period.parse(period, timezone.localdate()) if period else Period.of(yesterday)
    chunks = list(plan_chunks(chunk_size))
    try:
        run = kpi_run_start(period=month, as_of=month.as_of(yesterday), source="nightly", chunks_total=len(chunks))
    except JobBusy as busy:
        logger.warning("KPI snapshots not started: %s", busy)
        return None
    if not chunks:
        kpi_run_finish(run_id=run.pk, results=[])
        return run.pk
    chord(kpi_chunk.s(run.pk, first, last) for first, last in chunks)(kpi_finish.s(run.pk))
    return run.pk


def kpi_recompute_launch(*, period: Period, triggered_by: User) -> KpiJobRun:
    """Compute a month's snapshots now, as of today, on the workers (the dashboard's "recompute now"); returns the
    run. Refused at once while that month is being computed (JobBusy) or when the broker is down
    (BrokerUnavailable: the run recorded but not handed on is failed with the reason)."""
    if not tasks_run_here():
        broker_check()
    chunks = list(plan_chunks())
    today = timezone.localdate()
    run = kpi_run_start(
        period=period,
        as_of=period.as_of(today),
        source=KpiJobRun.Source.MANUAL,
        triggered_by=triggered_by,
        chunks_total=len(chunks),
    )
    try:
        if not chunks:
            kpi_finish.delay([], run.pk)
        else:
            chord(kpi_chunk.s(run.pk, first, last) for first, last in chunks)(kpi_finish.s(run.pk))
    except BROKER_ERRORS as exc:
        run.errors = [*run.errors, {"error": broker_down_message()}]
        job_run_close(run, also=("errors",))
        raise BrokerUnavailable(broker_down_message()) from exc
    run.refresh_from_db()
    return run


@shared_task(name="kpis.tasks.kpi_runs_sweep")
def kpi_runs_sweep() -> int:
    """Fail the computations whose workers died (`crm.services.job_runs_sweep`); returns how many."""
    return job_runs_sweep(run_model=KpiJobRun, silence=datetime.timedelta(minutes=settings.JOB_SILENCE_MINUTES))
