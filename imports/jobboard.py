"""Imports on the one jobs page (`crm.jobboard`): registered in `ImportsConfig.ready`. Their progress is what the
run's own page follows (`imports.services.progress_of`)."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from crm import jobboard
from crm.models import User
from crm.permissions import may

from .models import ImportRun, ImportStatus
from .services import progress_of
from .views import PHASES

WORKING = (ImportStatus.VALIDATING, ImportStatus.WRITING)
STATUSES = {
    jobboard.RUNNING: Q(status__in=WORKING),
    # A checked file waits for someone to confirm its write; a check-only run (dry run) is over once previewed, and
    # a preview discarded ended as its user wished (or as its time ran out), nothing having gone wrong.
    jobboard.WAITING: Q(status=ImportStatus.PREVIEWED, dry_run=False),
    jobboard.SUCCEEDED: Q(status__in=(ImportStatus.DONE, ImportStatus.DISCARDED))
    | Q(status=ImportStatus.PREVIEWED, dry_run=True),
    jobboard.FAILED: Q(status__in=(ImportStatus.INVALID, ImportStatus.FAILED)),
}


def _status(run: ImportRun) -> str:
    if run.status in WORKING:
        return jobboard.RUNNING
    if run.status == ImportStatus.PREVIEWED:
        return jobboard.SUCCEEDED if run.dry_run else jobboard.WAITING
    return jobboard.SUCCEEDED if run.status in (ImportStatus.DONE, ImportStatus.DISCARDED) else jobboard.FAILED


def _progress(run: ImportRun) -> jobboard.Progress:
    progress = progress_of(run)
    done, total = int(progress.get("done") or 0), int(progress.get("total") or 0)
    phase = str(PHASES.get(str(progress.get("phase") or ""), run.get_status_display()))
    rows = (
        _("%(done)s of %(total)s rows") % {"done": f"{done:,}", "total": f"{total:,}"}
        if total
        else _("%(done)s rows done") % {"done": f"{done:,}"}
    )
    return jobboard.Progress(done, total, f"{phase} · {rows}")


def _runs(user: User):
    return ImportRun.objects.visible_to(user).select_related("created_by", "territory")


def _row(run: ImportRun) -> jobboard.JobRow:
    status = _status(run)
    errors = [run.message] if run.message and status == jobboard.FAILED else []
    if run.errors_count:
        errors.insert(
            0,
            ngettext("%(count)s error in the file", "%(count)s errors in the file", run.errors_count)
            % {"count": f"{run.errors_count:,}"},
        )
    # (outside the f-string, where the catalogue's extraction finds it)
    check_only = " · " + _("check only") if run.dry_run else ""
    return jobboard.JobRow(
        kind=KIND,
        pk=run.pk,
        started_at=run.started_at or run.created_at,
        finished_at=run.finished_at,
        status=status,
        status_label=run.get_status_display() + check_only,
        started_by=run.created_by.display_name if run.created_by else "",
        scope=f"{run.get_kind_display()} · {run.territory.name} · {run.file_name}",
        counts=[
            (_("rows"), run.rows),
            (_("created"), run.created),
            (_("updated"), run.updated),
            (_("unchanged"), run.unchanged),
            (_("removed"), run.removed),
        ],
        errors=errors,  # the run's page lists the file's errors one by one
        errors_count=len(errors),
        progress=_progress(run) if status == jobboard.RUNNING else None,
        url=reverse("imports:run", args=[run.pk]),
        seconds=run.duration if status != jobboard.RUNNING else None,
    )


KIND = jobboard.JobKind(
    key="imports",
    label=gettext_lazy("Import"),
    runs=_runs,  # into the user's territory (`ImportRun.objects.visible_to`)
    statuses=STATUSES,
    row=_row,
    home="imports:imports",
    home_label=gettext_lazy("Imports"),
    started_field="created_at",
    may_see=lambda user: may(user, "imports.run"),
)


def register() -> None:
    jobboard.register(KIND)
