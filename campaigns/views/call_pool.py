"""Pages of issue 20's outbound calls, beside one call list's: sharing a list among a pool of agents, the numbers its
build left out as CSV, and an automatic list's dialer file and results."""

from __future__ import annotations

import csv
import io

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from crm.forms import add_service_errors
from crm.models import AuditAction
from crm.permissions import require

from .. import selectors, services
from ..api.calls import dialer_file_response
from ..forms import CallListDistributeForm, DialerResultsForm
from ..models import CallList, CallOutcome
from ..rules import mask_mobile
from .calls import CallListView


def _call_list(request, pk: int) -> CallList:
    return get_object_or_404(
        selectors.call_lists_for(request.user).select_related("campaign__region", "created_by"), pk=pk
    )


class CallListDistributeView(LoginRequiredMixin, View):
    """POST: share the list's numbers still to call among the agents named (its builder, department heads,
    provincial staff)."""

    def post(self, request, pk: int):
        call_list = _call_list(request, pk)
        require(request.user, "campaigns.distribute_call_list", call_list)
        form = CallListDistributeForm(request.POST)
        if form.is_valid():
            try:
                shares = services.call_list_distribute(
                    user=request.user, call_list=call_list, agents=form.cleaned_data["agents"]
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                given = "; ".join(f"{username} {count}" for username, count in shares.items())
                messages.success(request, _("Numbers shared among the agents: %(shares)s.") % {"shares": given})
                return HttpResponseRedirect(reverse("campaigns:call-list", args=[call_list.pk]))
        return CallListView()._render(request, call_list, status=400, distribute_form=form)


class CallLeftOutCsvView(LoginRequiredMixin, View):
    """The numbers the list's build left out and why, as CSV (UTF-8 with BOM), of customers the reader sees;
    numbers masked unless the reader is the customer's customer manager. On the audit trail as an export."""

    def get(self, request, pk: int):
        call_list = _call_list(request, pk)
        rows = list(selectors.left_out_for(request.user, call_list))
        owned = selectors.customers_owned(request.user, {row.customer_id for row in rows})
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([_("Customer code"), _("Customer name"), _("Full name"), _("Mobile"), _("Reason")])
        for row in rows:
            mobile = row.mobile if row.customer_id in owned else mask_mobile(row.mobile)
            writer.writerow([row.customer.code, row.customer.name, row.name, mobile, row.get_reason_display()])
        services.call_list_audited(
            user=request.user,
            call_list=call_list,
            action=AuditAction.EXPORT,
            object_repr=_("Numbers left out of call list %(id)d") % {"id": call_list.pk},
            detail={"rows": len(rows), "format": "csv"},
        )
        response = HttpResponse(("\ufeff" + buffer.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="call-list-{call_list.pk}-left-out.csv"'
        return response


class DialerFileView(LoginRequiredMixin, View):
    """The automatic list's file for the dialer (its agent or builder)."""

    def get(self, request, pk: int):
        try:
            return dialer_file_response(request, pk)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return HttpResponseRedirect(reverse("campaigns:call-list", args=[pk]))


class DialerResultsView(LoginRequiredMixin, View):
    """POST the dialer's results file of an automatic list: recorded whole, or refused whole with every bad line
    named on the list's page."""

    def post(self, request, pk: int):
        call_list = _call_list(request, pk)
        require(request.user, "campaigns.run_dialer", call_list)
        form = DialerResultsForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                services.dialer_results_size_check(upload.size)
                imported = services.dialer_results_import(user=request.user, call_list=call_list, data=upload.read())
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                counts = "; ".join(
                    f"{CallOutcome(outcome).label} {count}" for outcome, count in imported.outcomes.items() if count
                )
                messages.success(
                    request,
                    _("%(count)d calls recorded from the dialer's results: %(outcomes)s.")
                    % {"count": imported.calls, "outcomes": counts},
                )
                return HttpResponseRedirect(reverse("campaigns:call-list", args=[call_list.pk]))
        errors = [text for texts in form.errors.values() for text in texts]
        return CallListView()._render(request, call_list, status=400, results_form=form, results_errors=errors)
