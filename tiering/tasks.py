"""The nightly tier recompute, fanned out over the workers by id range (SPEC §4.2)."""

from __future__ import annotations

from dataclasses import asdict

from celery import chord, shared_task, signature

from crm.jobs import ChunkTask
from crm.models import Region

from .models import TierJobRun
from .selectors import NATIONAL
from .services import Chunk, plan_chunks, tier_chunk_apply, tier_chunk_failed, tier_run_finish

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
) -> int:
    """Plan the chunks, record the run, and hand the chunks to the workers; returns the run's id. Beat runs it
    nightly, with the KPI snapshots as `then` (a task signature run once the tiers are done, whatever their
    outcome); staff start it from the tier rules page (source `manual`)."""
    scope = Region.objects.get(code=scope_code)
    chunks = list(plan_chunks(scope, chunk_size))
    run = TierJobRun.objects.create(
        scope=scope, source=source, triggered_by_id=triggered_by_id, chunks_total=len(chunks)
    )
    finish = tier_recompute_finish.s(run.pk)
    if then is not None:
        finish = finish | signature(then)
    if not chunks:
        finish.delay([])
        return run.pk
    chord(tier_recompute_chunk.s(run.pk, asdict(chunk)) for chunk in chunks)(finish)
    return run.pk
