"""Pages of the imports of BOSS extracts (SPEC §8.4): upload a file, watch it checked, read its errors or its
preview, confirm it, and the history of the imports the user sees. The work is the services' and the tasks'; the
JSON these pages poll and the files they link to (templates, error files) are the API's (`/api/v1/imports/`)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext_lazy
from django.views import View

from accounts.models import Tier
from crm.forms import add_service_errors, style_form
from crm.permissions import require

from .forms import ImportUploadForm
from .kinds import KINDS
from .models import ImportKind, ImportMode, ImportRun, ImportStatus
from .services import (
    ERRORS_SHOWN,
    RunRefused,
    import_run_confirm,
    import_run_create,
    import_run_discard,
    import_run_retryable,
    progress_of,
    upload_keep,
    upload_size_refusal,
)
from .tasks import enqueue, import_check, import_write

HISTORY_PAGE_SIZE = 25

STATUS_BADGES: dict[str, str] = {
    ImportStatus.VALIDATING.value: "text-bg-info",
    ImportStatus.INVALID.value: "text-bg-danger",
    ImportStatus.PREVIEWED.value: "text-bg-warning",
    ImportStatus.WRITING.value: "text-bg-info",
    ImportStatus.DONE.value: "text-bg-success",
    ImportStatus.FAILED.value: "text-bg-danger",
    ImportStatus.DISCARDED.value: "text-bg-secondary",
}

# The phases `imports.services.progress_set` reports while a run works.
PHASES = {
    "validating": gettext_lazy("Waiting for a worker"),
    "queued": gettext_lazy("Confirmed; waiting for a worker to write it"),
    "reading": gettext_lazy("Reading and checking the rows"),
    "checking": gettext_lazy("Checking the file as a whole"),
    "previewing": gettext_lazy("Working out the preview"),
    "writing": gettext_lazy("Writing"),
    "tiers": gettext_lazy("Recomputing the tiers of the customers written"),
}


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 60:
        return _("%(seconds).1f s") % {"seconds": seconds}
    minutes, rest = divmod(round(seconds), 60)
    return _("%(minutes)d min %(seconds)d s") % {"minutes": minutes, "seconds": rest}


# What replace mode removes, in the words of the kind (members are marked as left, the others removed), before
# and after the write; the count picks the plural when the text is formatted.
REMOVALS = {
    (ImportKind.MEMBERS, False): ngettext_lazy(
        "%(count)d member will be marked as left.", "%(count)d members will be marked as left.", "count"
    ),
    (ImportKind.MEMBERS, True): ngettext_lazy(
        "%(count)d member was marked as left.", "%(count)d members were marked as left.", "count"
    ),
    (ImportKind.KEY_PERSONS, False): ngettext_lazy(
        "%(count)d key person will be removed.", "%(count)d key persons will be removed.", "count"
    ),
    (ImportKind.KEY_PERSONS, True): ngettext_lazy(
        "%(count)d key person was removed.", "%(count)d key persons were removed.", "count"
    ),
    (ImportKind.HOLDINGS, False): ngettext_lazy(
        "%(count)d product holding will be removed.", "%(count)d product holdings will be removed.", "count"
    ),
    (ImportKind.HOLDINGS, True): ngettext_lazy(
        "%(count)d product holding was removed.", "%(count)d product holdings were removed.", "count"
    ),
}


def removal_text(run: ImportRun, *, done: bool) -> str:
    return REMOVALS[(run.kind, done)] % {"count": run.removed}


def _retryable(run: ImportRun) -> bool:
    """A failed run can be confirmed again while its checked rows still wait in its staging table."""
    return run.status == ImportStatus.FAILED and import_run_retryable(run)


def _enqueue(request, task, run: ImportRun, **kwargs) -> None:
    try:
        enqueue(task, run, **kwargs)
    except RunRefused as exc:
        messages.error(request, " ".join(exc.messages))


class ImportsView(LoginRequiredMixin, View):
    """Upload a file (checked and previewed, nothing written until confirmed), the templates of every kind, and
    the history of the imports the user sees."""

    template_name = "imports/imports.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            require(request.user, "imports.run")
        return super().dispatch(request, *args, **kwargs)

    def _render(self, request, form: ImportUploadForm, status: int = 200):
        runs = ImportRun.objects.visible_to(request.user).select_related("created_by")
        page = Paginator(runs, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
        history = [
            {
                "run": run,
                "badge": STATUS_BADGES.get(run.status, "text-bg-secondary"),
                "duration": duration_text(run.duration),
            }
            for run in page
        ]
        kinds = [(value, label, KINDS[value]) for value, label in ImportKind.choices]
        context = {"form": style_form(form), "page": page, "history": history, "query": "", "kinds": kinds}
        return render(request, self.template_name, context, status=status)

    def get(self, request):
        return self._render(request, ImportUploadForm())

    def post(self, request):
        too_large = upload_size_refusal(request.META.get("CONTENT_LENGTH"))
        if too_large:  # refused before the body is read and stored
            form = ImportUploadForm()
            form.cleaned_data = {}  # an unbound form takes an error once it has (empty) cleaned data
            form.add_error(None, too_large)
            return self._render(request, form, status=400)
        form = ImportUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._render(request, form, status=400)
        upload = form.cleaned_data["file"]
        path = upload_keep(upload)
        try:
            run = import_run_create(
                user=request.user,
                kind=form.cleaned_data["kind"],
                mode=form.cleaned_data["mode"],
                file_name=upload.name,
                path=path,
                # not a check only: the page previews every file and writes it when its user confirms
                dry_run=False,
            )
        except RunRefused as exc:
            add_service_errors(form, exc)
            return self._render(request, form, status=400)
        finally:
            path.unlink(missing_ok=True)  # moved into the imports directory when the run was made
        _enqueue(request, import_check, run, then="preview")
        return redirect("imports:run", pk=run.pk)


class ImportRunView(LoginRequiredMixin, View):
    """One run: the file's facts, then what its status calls for: progress, errors, the preview and its confirm
    button, or the outcome."""

    template_name = "imports/run.html"

    def get(self, request, pk: int):
        run = get_object_or_404(
            ImportRun.objects.visible_to(request.user).select_related("created_by", "same_as", "territory"), pk=pk
        )
        # Confirmed, the run stays `previewed` until a worker takes it up: the page waits with it rather than offer
        # the confirm button again.
        queued = run.status == ImportStatus.PREVIEWED and "confirmed" in request.GET
        working = queued or run.status in (ImportStatus.VALIDATING, ImportStatus.WRITING)
        rows_text, rows_of_text = _("%(done)s rows done"), _("%(done)s of %(total)s rows")
        texts = {
            "phases": {name: str(label) for name, label in PHASES.items()},
            "rows": rows_text,
            "rows_of": rows_of_text,
        }
        progress = progress_of(run) if working else None
        if progress is not None:
            phase = str(progress.get("phase") or "")
            progress["label"] = PHASES["queued"] if queued else PHASES.get(phase, run.get_status_display())
            done, total = progress.get("done") or 0, progress.get("total") or 0
            progress["text"] = (rows_of_text if total else rows_text) % {"done": f"{done:,}", "total": f"{total:,}"}
        context = {
            "run": run,
            "badge": STATUS_BADGES.get(run.status, "text-bg-secondary"),
            "write_duration": duration_text(run.write_seconds if run.write_seconds is not None else run.duration),
            "working": working,
            "progress": progress,
            "progress_texts": texts,
            "issues": run.issues.all()[:ERRORS_SHOWN] if run.status == ImportStatus.INVALID else [],
            "errors_shown": ERRORS_SHOWN,
            "removal": removal_text(run, done=run.status == ImportStatus.DONE)
            if run.mode == ImportMode.REPLACE
            else "",
            "tier_moves": run.preview.get("tier_moves"),
            "movers": run.preview.get("movers") or [],
            "new_tiers": _new_tiers(run.preview.get("new_tiers")),
            "retryable": _retryable(run),
            "preview_days": settings.IMPORTS_PREVIEW_DAYS,
        }
        return render(request, self.template_name, context)


def _new_tiers(counts: dict[str, int] | None) -> list[tuple[str, int]]:
    """The new customers' tiers in the order of the tiers, those without one last; empty when none were new."""
    if not counts:
        return []
    return [(tier, counts[tier]) for tier in (*Tier.values, "") if counts.get(tier)]


class ImportRunDiscardView(LoginRequiredMixin, View):
    """Drop a previewed run (or one whose write failed) unwritten; the run page says so."""

    def post(self, request, pk: int):
        run = get_object_or_404(ImportRun.objects.visible_to(request.user).select_related("territory"), pk=pk)
        try:
            import_run_discard(run=run, user=request.user)
        except RunRefused as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("imports:run", pk=run.pk)


class ImportRunConfirmView(LoginRequiredMixin, View):
    """Write a previewed run (or one whose write failed): the write goes to a worker; the run page follows it."""

    def post(self, request, pk: int):
        run = get_object_or_404(ImportRun.objects.visible_to(request.user), pk=pk)
        try:
            import_run_confirm(run=run, user=request.user)
        except RunRefused as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("imports:run", pk=run.pk)
        _enqueue(request, import_write, run)
        return redirect(reverse("imports:run", args=[run.pk]) + "?confirmed=1")
