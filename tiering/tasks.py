"""The nightly tier recompute, fanned out over the workers by id range (SPEC §4.2)."""

from __future__ import annotations

import datetime
import logging
from dataclasses import asdict

from celery import chord, shared_task, signature
from django.conf import settings

from crm.jobs import (
    BROKER_ERRORS,
    BrokerUnavailable,
    ChunkTask,
    broker_check,
    broker_down_message,
    tasks_run_here,
)
from crm.models import Region, User
from crm.services import JobBusy, job_runs_sweep

from .models import TierJobRun
from .selectors import NATIONAL
from .services import (
    Chunk,
    plan_chunks,
    tier_chunk_apply,
    tier_chunk_failed,
    tier_run_abandon,
    tier_run_finish,
    tier_run_start,
)

logger = logging.getLogger(__name__)

# Every task is named explicitly, and by the module path it was first registered under: the names travel in queued
# messages, chord callbacks and the beat schedule (crm/beat.py), which must still find the task if it moves.


def _chunk_failed(*, run_id: int, chunk: dict, error: str) -> None:
    tier_chunk_failed(run_id=run_id, chunk=Chunk.from_json(chunk), error=error)


@shared_task(base=ChunkTask, name="tiering.tasks.tier_recompute_chunk", record_failure=_chunk_failed, nothing_done=0)
def tier_recompute_chunk(run_id: int, chunk: dict) -> int:
    """One id range in one transaction; returns the number of customers changed. ChunkTask retries transient
    database errors and records what still fails on the run, returning 0."""
    return tier_chunk_apply(run_id=run_id, chunk=Chunk.from_json(chunk))


@shared_task(name="tiering.tasks.tier_recompute_finish")
def tier_recompute_finish(_results, run_id: int) -> str:
    return tier_run_finish(run_id=run_id).status


@shared_task(name="tiering.tasks.tier_recompute_nightly")
def tier_recompute_nightly(
    scope_code: str = NATIONAL,
    chunk_size: int | None = None,
    source: str = "nightly",
    triggered_by_id: int | None = None,
    then: dict | None = None,
) -> int | None:
    """Beat's nightly recompute, with the KPI snapshots as `then` (a task signature run once the tiers are done,
    whatever their outcome); returns the run's id, or None when a recompute over the scope is still running."""
    scope = Region.objects.get(code=scope_code)
    triggered_by = User.objects.filter(pk=triggered_by_id).first() if triggered_by_id else None
    try:
        run = tier_recompute_launch(
            scope=scope, source=source, triggered_by=triggered_by, chunk_size=chunk_size, then=then
        )
    except JobBusy as busy:
        logger.warning("tier recompute not started: %s", busy)
        return None
    return run.pk


def tier_recompute_launch(
    *,
    scope: Region,
    source: str,
    triggered_by: User | None = None,
    chunk_size: int | None = None,
    then: dict | None = None,
) -> TierJobRun:
    """Plan the chunks, record the run and hand the chunks to the workers (a chord whose callback closes the run);
    returns the run. Refused at once while another recompute over the scope runs (JobBusy) or when the broker is
    down (BrokerUnavailable: a run recorded but not handed on is failed with the reason)."""
    if not tasks_run_here():
        broker_check()
    chunks = list(plan_chunks(scope, chunk_size))
    run = tier_run_start(scope=scope, source=source, triggered_by=triggered_by, chunks_total=len(chunks))
    finish = tier_recompute_finish.s(run.pk)
    if then is not None:
        finish = finish | signature(then)
    try:
        if not chunks:
            finish.delay([])
        else:
            chord(tier_recompute_chunk.s(run.pk, asdict(chunk)) for chunk in chunks)(finish)
    except BROKER_ERRORS as exc:
        tier_run_abandon(run=run, reason=broker_down_message())
        raise BrokerUnavailable(broker_down_message()) from exc
    run.refresh_from_db()
    return run


@shared_task(name="tiering.tasks.tier_runs_sweep")
def tier_runs_sweep() -> int:
    """Fail the recomputes whose workers died (`crm.services.job_runs_sweep`); returns how many."""
    return job_runs_sweep(run_model=TierJobRun, silence=datetime.timedelta(minutes=settings.JOB_SILENCE_MINUTES))
