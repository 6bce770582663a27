"""The ground floor's pages: the audit trail, the one jobs page, and the icon browsers ask for at /favicon.ico."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from . import audit, audit_display, jobboard
from .csvstream import BOM, csv_chunks
from .filters import AuditFilter
from .forms import JobFilterForm, style_form
from .models import AuditAction, AuditEntry, Region, RegionLevel
from .paginator import EstimatingPaginator
from .permissions import kept_scope, may, require

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

AUDIT_PAGE_SIZE = 50
JOBS_PAGE_SIZE = 30
# The runs one poll of the jobs page may ask about ("tiers-12,imports-3"), at most this many.
JOB_KEY_RE = re.compile(r"^[a-z_]+-[0-9]{1,18}$")
JOB_KEYS_MAX = 100
# An export holds at most this many entries, newest first; a narrower filter gets the rest.
AUDIT_EXPORT_LIMIT = 200_000


def home(request):
    """Account managers and department heads start on the workbench (今日工作台), everyone else on the customers."""
    return redirect("workbench:today" if may(request.user, "workbench.home") else "accounts:customer-list")


def favicon(request):
    """Pages name their icon (base.html); a browser still asks for /favicon.ico where nothing names one (the API's
    JSON, a downloaded file): it is sent on to the same icon among our static files."""
    return redirect(static("favicon.ico"))


class KeptScopeMixin(LoginRequiredMixin):
    """A page of the settings a scope keeps (`permissions.kept_scope`: headquarters the national ones, provincial
    staff their province's): who may open it (`scope_permission`, refused with `scope_refusal`) and the scope it
    keeps (`kept_region`). With `scope_picks_province`, headquarters open a province's by `?region=` (or the form's
    `region`); another province's is none of provincial staff's (404)."""

    scope_permission: str
    scope_refusal: StrOrPromise
    scope_picks_province = False

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not may(request.user, self.scope_permission):
            raise PermissionDenied(self.scope_refusal)
        return super().dispatch(request, *args, **kwargs)

    def kept_region(self, request) -> Region:
        kept = kept_scope(request.user)  # the national root or the user's province
        if kept is None:  # staff without a home region keep no scope
            raise PermissionDenied(self.scope_refusal)
        code = (request.GET.get("region") or request.POST.get("region")) if self.scope_picks_province else None
        if not code or code == kept.code:
            return kept
        return get_object_or_404(
            Region.objects.filter(level=RegionLevel.PROVINCE, path__startswith=kept.path), code=code
        )


class AuditListView(LoginRequiredMixin, View):
    """The audit trail of the user's province (provincial staff) or of all (headquarters): filterable by user,
    action, channel, customer and time; exported as CSV (the export is itself recorded)."""

    template_name = "crm/audit.html"

    def get(self, request):
        require(request.user, "crm.view_audit")
        filterset = AuditFilter(request.GET, queryset=audit.visible_to(request.user).order_by("-id"))
        entries = filterset.qs if filterset.is_valid() else filterset.queryset.none()
        if request.GET.get("export") == "csv" and filterset.is_valid():
            return self.export(request, filterset, entries)
        style_form(filterset.form, small=True)
        # provincial staff and headquarters: a long trail as a rule, estimated first
        page = EstimatingPaginator(entries, AUDIT_PAGE_SIZE, estimate_first=True).get_page(request.GET.get("page"))
        page.object_list = audit_display.readable(page.object_list, request.user)
        query = request.GET.copy()
        query.pop("page", None)
        return render(request, self.template_name, {"filter": filterset, "page": page, "query": query.urlencode()})

    def export(self, request, filterset, entries) -> StreamingHttpResponse:
        rows = entries[:AUDIT_EXPORT_LIMIT]
        audit.record(
            user=request.user,
            action=AuditAction.EXPORT,
            object_type="crm.auditentry",
            object_repr=_("Audit trail"),
            detail={"filter": {k: v for k, v in filterset.form.cleaned_data.items() if v}, "rows": rows.count()},
        )
        response = StreamingHttpResponse(_csv(rows), content_type="text/csv; charset=utf-8")
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
        return response


def _csv(entries) -> Iterator[bytes]:
    yield BOM.encode()
    header = [_("At"), _("User"), _("Channel"), _("Action"), _("Object type"), _("Object"), _("Customer code")]
    header += [_("Changes"), _("Detail"), _("Address")]
    sources, actions = dict(AuditEntry._meta.get_field("source").choices), dict(AuditAction.choices)
    rows = (
        [
            timezone.localtime(entry.at).strftime("%Y-%m-%d %H:%M:%S"),
            entry.username,
            sources.get(entry.source, entry.source),
            actions.get(entry.action, entry.action),
            entry.object_type,
            entry.object_repr,
            entry.customer_code,
            json.dumps(entry.changes, ensure_ascii=False),
            json.dumps(entry.detail, ensure_ascii=False),
            entry.address or "",
        ]
        for entry in entries.iterator(chunk_size=2000)
    )
    yield from csv_chunks([header])
    yield from csv_chunks(rows)


class JobsView(LoginRequiredMixin, View):
    """One page for every job run the user may review (tier recomputes, KPI computations, imports: `crm.jobboard`),
    newest first, filterable by kind and status; the running ones follow their progress (`JobProgressView`)."""

    template_name = "crm/jobs.html"

    def get(self, request):
        require(request.user, "crm.view_jobs")
        visible = jobboard.kinds(request.user)
        form = JobFilterForm(
            request.GET, kinds=[(kind.key, kind.label) for kind in visible], statuses=jobboard.STATUS_CHOICES
        )
        valid = form.is_valid()
        kind, status = (form.cleaned_data["kind"], form.cleaned_data["status"]) if valid else ("", "")
        chosen = [job_kind for job_kind in visible if not kind or job_kind.key == kind] if valid else []
        style_form(form, small=True)
        page = Paginator(jobboard.MergedRuns(request.user, chosen, status), JOBS_PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        query = request.GET.copy()
        query.pop("page", None)
        # Something running anywhere the user sees (not only on this page) keeps the page polling.
        running = any(row.running for row in page) or any(
            job_kind.visible(request.user, jobboard.RUNNING).exists() for job_kind in visible
        )
        return render(
            request,
            self.template_name,
            {"form": form, "page": page, "query": query.urlencode(), "running": running, "kinds": visible},
        )


class JobProgressView(LoginRequiredMixin, View):
    """What the jobs page polls while something runs: the runs it names (`?runs=tiers-12,imports-3`) as they are
    now, and the keys of the other runs running that the user sees. Runs the user does not see are left out."""

    def get(self, request):
        require(request.user, "crm.view_jobs")
        keys = [key for key in request.GET.get("runs", "").split(",") if key]
        if len(keys) > JOB_KEYS_MAX or not all(JOB_KEY_RE.match(key) for key in keys):
            message = _("runs: give at most %(max)d runs, each as its kind and number (tiers-12), separated by commas.")
            return JsonResponse({"errors": {"runs": [message % {"max": JOB_KEYS_MAX}]}}, status=400)
        rows = jobboard.rows_by_key(request.user, keys)
        running = [row.key for row in jobboard.running_rows(request.user)]
        return JsonResponse(
            {
                "running": bool(running) or any(row.running for row in rows.values()),
                "runs": {key: row.as_json() for key, row in rows.items()},
                "others": [key for key in running if key not in rows],
            },
            headers={"Cache-Control": "no-store"},
        )
