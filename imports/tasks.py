"""Imports as Celery jobs (SPEC §8.4): the web request only stores the file; a worker checks, previews and writes
it. In the embedded default (Celery eager) they run in the request."""

from __future__ import annotations

from celery import shared_task

from .models import ImportRun
from .services import import_run_check, import_run_write, import_runs_recover


@shared_task(name="imports.tasks.import_check", acks_late=True)
def import_check(run_id: int, then: str = "preview") -> str:
    """Check a run's file whole, then preview it (or write it: `then="write"`); returns the run's status."""
    run = ImportRun.objects.select_related("territory", "created_by").get(pk=run_id)
    return import_run_check(run, then=then).status


@shared_task(name="imports.tasks.import_write", acks_late=True)
def import_write(run_id: int) -> str:
    """Write a confirmed run in one transaction; returns its status."""
    run = ImportRun.objects.select_related("territory", "created_by").get(pk=run_id)
    return import_run_write(run).status


@shared_task(name="imports.tasks.import_runs_recover")
def import_runs_recover_task() -> int:
    """Every few minutes (beat): runs whose worker died are marked failed, so that they can be confirmed again."""
    return import_runs_recover()
