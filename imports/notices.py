"""What imports tells the user who uploaded a file (`crm.notifications`): that it was written, or that it failed or
has errors. Called by the import services where the run ends, inside their transactions when they have one."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crm.models import NotificationKind
from crm.notifications import notify, phrase

from .models import ImportKind, ImportRun, ImportStatus


def import_run_notified(run: ImportRun) -> None:
    """The run's owner hears how it ended: written (with the counts), failed, or refused for its errors."""
    if run.created_by_id is None:
        return
    values = {"file": run.file_name, "kind": ImportKind(run.kind).label}
    if run.status == ImportStatus.DONE:
        kind = NotificationKind.IMPORT_FINISHED
        title = phrase(_("Import written: %(file)s"), values)
        body = phrase(
            _("%(kind)s: %(created)d created, %(updated)d updated, %(unchanged)d unchanged, %(removed)d removed."),
            {**values, **{name: getattr(run, name) for name in ("created", "updated", "unchanged", "removed")}},
        )
    elif run.status == ImportStatus.INVALID:
        kind = NotificationKind.IMPORT_FAILED
        title = phrase(_("Import refused, the file has errors: %(file)s"), values)
        body = phrase(_("%(count)d errors; nothing was written."), {"count": run.errors_count})
    else:
        kind = NotificationKind.IMPORT_FAILED
        title = phrase(_("Import failed: %(file)s"), values)
        body = run.message
    notify(
        recipients=[run.created_by_id],
        kind=kind,
        title=title,
        body=body,
        url=reverse("imports:run", args=[run.pk]),
        # a run is written once; a failed one may be confirmed again and fail again: each failure is news
        dedupe_key=f"import:{run.pk}:done" if run.status == ImportStatus.DONE else "",
    )
