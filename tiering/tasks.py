"""The nightly tier recompute, fanned out over the workers by id range (SPEC §4.2)."""

from __future__ import annotations

from dataclasses import asdict

from celery import chord, shared_task, signature
from django.db import OperationalError

from crm.models import Region

from .models import TierJobRun
from .selectors import NATIONAL
from .services import Chunk, plan_chunks, tier_chunk_apply, tier_chunk_failed, tier_run_finish


@shared_task(bind=True, acks_late=True, max_retries=3, time_limit=20 * 60, soft_time_limit=19 * 60)
def tier_recompute_chunk(self, run_id: int, chunk: dict) -> int:
    """One id range in one transaction: retried on transient database errors, otherwise recorded on the run."""
    spec = Chunk(**{**chunk, "region_codes": tuple(chunk["region_codes"]) if chunk["region_codes"] else None})
    try:
        return tier_chunk_apply(run_id=run_id, chunk=spec)
    except OperationalError as exc:
        if self.request.retries < self.max_retries:
            raise self.retry(exc=exc, countdown=30 * 2**self.request.retries) from exc
        tier_chunk_failed(run_id=run_id, chunk=spec, error=repr(exc))
    except Exception as exc:  # noqa: BLE001 - recorded on the run, the other chunks carry on
        tier_chunk_failed(run_id=run_id, chunk=spec, error=repr(exc))
    return 0


@shared_task
def tier_recompute_finish(_results, run_id: int) -> str:
    return tier_run_finish(run_id=run_id).status


@shared_task
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
