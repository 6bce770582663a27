"""Imports as Celery jobs (SPEC §8.4): the web request only stores the file; a worker checks, previews and writes
it. In the embedded default (Celery eager) they run in the request."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as KombuOperationalError

from .models import ImportRun, ImportStatus
from .services import RunRefused, import_run_check, import_run_write, import_runs_expire, import_runs_recover

logger = logging.getLogger(__name__)


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


@shared_task(name="imports.tasks.import_runs_expire")
def import_runs_expire_task() -> int:
    """Nightly (beat): checked runs left unconfirmed for IMPORTS_PREVIEW_DAYS are discarded, their rows dropped."""
    return import_runs_expire()


def enqueue(task, run: ImportRun, **kwargs) -> None:
    """Hand the run to the workers (web and API). In the embedded default the task runs here, eagerly: a task that
    stops has recorded why on the run (status `failed`), which the caller shows, so the error is only logged. A
    broker that cannot be reached leaves nothing queued: the run is marked failed at once, saying so."""
    try:
        task.delay(run.pk, **kwargs)
    except RunRefused:
        raise
    except KombuOperationalError:
        logger.exception("import run %s: the broker is unreachable", run.pk)
        with translation.override(run.language):
            message = _("The job queue cannot be reached; nothing was done. Try again in a moment.")
        ImportRun.objects.filter(pk=run.pk).exclude(status=ImportStatus.DONE).update(
            status=ImportStatus.FAILED, message=message, finished_at=timezone.now()
        )
    except Exception:
        logger.exception("import run %s: %s stopped", run.pk, task.name)
