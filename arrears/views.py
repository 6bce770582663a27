"""Pages of arrears collection (issue 21): the collection cases the reader sees (theirs first), the outcome of a
chase recorded from the customer page, and the thresholds kept by provincial staff and headquarters."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from accounts.models import Tier
from crm.forms import add_service_errors, style_form
from crm.models import Region
from crm.permissions import may
from crm.views import KeptScopeMixin
from crm.visibility import NATIONAL_CODE

from . import selectors, services
from .forms import OutcomeForm, ThresholdsForm
from .rules import DEFAULT_THRESHOLDS

CASES_PER_PAGE = 50


class CaseListView(LoginRequiredMixin, View):
    """Open collection cases of the customers the reader sees, the soonest due first: those assigned to the reader
    (`?mine=1`, the default for those who have any), or all of them; `?status=closed` the closed ones."""

    template_name = "arrears/cases.html"

    def get(self, request):
        user = request.user
        if not may(user, "arrears.view_cases"):
            raise PermissionDenied(_("Only the operator's staff read collection cases."))
        closed = request.GET.get("status") == "closed"
        mine_cases = selectors.cases_of_collector(user)
        mine = request.GET.get("mine", "1" if mine_cases.exists() else "0") == "1"
        cases = selectors.cases_for(user)
        if mine:
            cases = cases.filter(Q(billing_manager=user) | Q(second_manager=user))
        cases = cases.filter(closed_on__isnull=not closed).order_by(*(("-closed_on",) if closed else ("due_on", "pk")))
        page = Paginator(cases, CASES_PER_PAGE).get_page(request.GET.get("page"))
        query = urlencode({"mine": "1" if mine else "0", **({"status": "closed"} if closed else {})})
        context = {"page": page, "mine": mine, "closed": closed, "today": timezone.localdate(), "query": query}
        return render(request, self.template_name, context)


class OutcomeView(LoginRequiredMixin, View):
    """Record the outcome of chasing a case (POST from the customer page's arrears card, or this page's form)."""

    template_name = "arrears/outcome_form.html"

    def _case(self, request, pk: int):
        case = get_object_or_404(selectors.cases_for(request.user), pk=pk)
        if not may(request.user, "arrears.record_outcome", case):
            raise PermissionDenied(_("Only the customer's team and the managers over it record collection outcomes."))
        return case

    def get(self, request, pk: int):
        case = self._case(request, pk)
        return render(request, self.template_name, {"case": case, "form": style_form(OutcomeForm())})

    def post(self, request, pk: int):
        case = self._case(request, pk)
        form = OutcomeForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.arrears_outcome_record(
                    user=request.user,
                    case=case,
                    kind=data["kind"],
                    promised_on=data.get("promised_on"),
                    amount=data.get("amount"),
                    note=data.get("note") or "",
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The outcome is recorded."))
                return HttpResponseRedirect(reverse("accounts:customer-detail", args=[case.customer.code]) + "#arrears")
        return render(request, self.template_name, {"case": case, "form": style_form(form)}, status=400)


class ThresholdsView(KeptScopeMixin, View):
    """The thresholds of large arrears per tier: a province's own (provincial staff), or the national ones
    (headquarters); an empty field falls back on the level above."""

    template_name = "arrears/thresholds.html"
    scope_permission = "arrears.view_thresholds"
    scope_refusal = gettext_lazy("Only provincial staff and headquarters keep the arrears thresholds.")

    def _render(self, request, region: Region, form, status: int = 200):
        own = selectors.own_thresholds(region)
        national = selectors.thresholds_by_province()[None]
        rows = [
            (
                form[tier],
                label,
                own.get(tier),
                national[tier] if region.code != NATIONAL_CODE else DEFAULT_THRESHOLDS[tier],
            )
            for tier, label in Tier.choices
        ]
        context = {"region": region, "form": form, "rows": rows, "in_force": selectors.thresholds_for(region)}
        return render(request, self.template_name, context, status=status)

    def get(self, request):
        region = self.kept_region(request)
        own = selectors.own_thresholds(region)
        form = ThresholdsForm(initial={tier: row.amount for tier, row in own.items()})
        return self._render(request, region, style_form(form, small=True))

    def post(self, request):
        region = self.kept_region(request)
        form = ThresholdsForm(request.POST)
        if form.is_valid():
            try:
                services.arrears_thresholds_set(
                    user=request.user, region=region, amounts={tier: form.cleaned_data[tier] for tier in Tier.values}
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                saved = _("The arrears thresholds of %(region)s are saved.") % {"region": region.name}
                messages.success(request, saved)
                return HttpResponseRedirect(reverse("arrears:thresholds"))
        return self._render(request, region, style_form(form, small=True), status=400)
