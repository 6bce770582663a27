"""The ground floor's pages: the audit trail, and the icon browsers ask for at /favicon.ico."""

from __future__ import annotations

import json
from collections.abc import Iterator

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from . import audit
from .csvstream import BOM, csv_chunks
from .filters import AuditFilter
from .forms import style_form
from .models import AuditAction, AuditEntry
from .permissions import may, require

AUDIT_PAGE_SIZE = 50
# An export holds at most this many entries, newest first; a narrower filter gets the rest.
AUDIT_EXPORT_LIMIT = 200_000


def home(request):
    """Account managers and department heads start on the workbench (今日工作台), everyone else on the customers."""
    return redirect("workbench:today" if may(request.user, "workbench.home") else "accounts:customer-list")


def favicon(request):
    """Pages name their icon (base.html); a browser still asks for /favicon.ico where nothing names one (the API's
    JSON, a downloaded file): it is sent on to the same icon among our static files."""
    return redirect(static("favicon.ico"))


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
        page = Paginator(entries, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
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
