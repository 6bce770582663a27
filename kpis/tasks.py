"""The nightly KPI snapshots, fanned out over the workers by id range (SPEC §7)."""

from __future__ import annotations

import datetime

from celery import chord, shared_task
from django.db import OperationalError
from django.utils import timezone

from crm.periods import Period

from .services import kpi_chunk_count, kpi_chunk_failed, kpi_run_finish, kpi_run_start, plan_chunks


@shared_task(bind=True, acks_late=True, max_retries=3, time_limit=20 * 60, soft_time_limit=19 * 60)
def kpi_chunk(self, run_id: int, first_id: int, last_id: int) -> list | None:
    """One id range's totals; retried on transient database errors, otherwise recorded on the run (which then
    writes nothing)."""
    try:
        return kpi_chunk_count(run_id=run_id, first_id=first_id, last_id=last_id)
    except OperationalError as exc:
        if self.request.retries < self.max_retries:
            raise self.retry(exc=exc, countdown=30 * 2**self.request.retries) from exc
        kpi_chunk_failed(run_id=run_id, first_id=first_id, last_id=last_id, error=repr(exc))
    except Exception as exc:  # noqa: BLE001 - recorded on the run
        kpi_chunk_failed(run_id=run_id, first_id=first_id, last_id=last_id, error=repr(exc))
    return None


@shared_task(acks_late=True, time_limit=20 * 60, soft_time_limit=19 * 60)
def kpi_finish(results: list, run_id: int) -> str:
    return kpi_run_finish(run_id=run_id, results=[chunk for chunk in results if chunk is not None]).status


@shared_task
def kpi_snapshots_nightly(*_results, period: str | None = None, chunk_size: int | None = None) -> int:
    """Compute the month that yesterday belonged to, as of yesterday: the night after a month's last day closes
    it. Runs after the nightly tier recompute (whose result it is handed and ignores); returns the run's id."""
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    month = Period.parse(period, timezone.localdate()) if period else Period.of(yesterday)
    chunks = list(plan_chunks(chunk_size))
    run = kpi_run_start(period=month, as_of=month.as_of(yesterday), source="nightly", chunks_total=len(chunks))
    if not chunks:
        kpi_run_finish(run_id=run.pk, results=[])
        return run.pk
    chord(kpi_chunk.s(run.pk, first, last) for first, last in chunks)(kpi_finish.s(run.pk))
    return run.pk
