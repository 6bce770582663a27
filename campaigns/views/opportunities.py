"""Pages of opportunities (商机, issue 17): the board by stage with the weighted forecast, and the form that records
or changes one (opened from a customer or a visit: found in one tap)."""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views import View

from accounts.filters import staff_picker_attrs
from accounts.models import Customer
from accounts.selectors import customer_get
from crm import versions
from crm.forms import add_service_errors, stale_shown, style_form
from crm.models import User
from crm.permissions import may, require
from teams.models import Visit
from teams.selectors import visits_visible

from .. import selectors, services
from ..filters import OpportunityFilter
from ..forms import OpportunityForm
from ..models import OpportunityStage


class OpportunityBoardView(LoginRequiredMixin, View):
    """The board by stage (found → opened, lost apart) and the weighted forecast by month: an account manager's own
    opportunities by default, a department head's department (filtered by owner), all within what they see."""

    template_name = "campaigns/opportunity_board.html"

    def get(self, request):
        params = request.GET.copy()
        if "owner" not in params and request.user.sees_own_customers_only:
            params["owner"] = request.user.username  # my opportunities
        filters = OpportunityFilter(params, queryset=selectors.opportunities_for(request.user).order_by())
        if not filters.is_valid():
            colon = pgettext("label separator", ": ")
            errors = [
                f"{filters.form[name].label}{colon}{text}" for name, texts in filters.errors.items() for text in texts
            ]
            return render(request, self.template_name, {"errors": errors, "filters": filters}, status=400)
        opportunities = filters.qs
        owner = params.get("owner", "")
        # Whoever sees more than their own customers picks the owner among the staff of their territory as they
        # type (thousands in a province: a list of them all was most of the page's time, and cut at 2 000).
        owner_field = None
        if not request.user.sees_own_customers_only:
            attrs = {**staff_picker_attrs(), "id": "owner", "class": "form-control form-control-sm", "type": "search"}
            owner_field = forms.TextInput(attrs={**attrs, "placeholder": _("Everyone")}).render("owner", owner)
        totals = selectors.opportunity_totals(opportunities)  # the columns' counts and the forecast, in one query
        context = {
            "filters": filters,
            "owner": owner,
            "mine": owner == request.user.username,
            "owner_field": owner_field,
            "stages": OpportunityStage.choices,
            "today": timezone.localdate(),
            "board": selectors.opportunity_board(opportunities, totals=totals),
            "forecast": selectors.opportunity_forecast(opportunities, totals=totals),
            "query": urlencode({key: value for key, value in params.items() if value and key != "page"}),
        }
        return render(request, self.template_name, context)


def _next_url(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def _team(customer: Customer):
    """The staff on the customer's team today: whom the form offers as owner."""
    return (
        User.objects.filter(team_roles__in=customer.team_roles.active())  # type: ignore[attr-defined]
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


# How recent the reader's visit must be for `visit=latest` (the customer page's button) to link an opportunity to it.
VISIT_FOUND_WITHIN = datetime.timedelta(days=7)


class OpportunityFormView(LoginRequiredMixin, View):
    """Record an opportunity (`?customer=CODE`, and `&visit=ID` when found on a visit: the form comes prefilled)
    or change one (its owner, the customer's team and their managers)."""

    template_name = "campaigns/opportunity_form.html"

    def _objects(self, request, pk):
        """The opportunity (when changing one), its customer (None when the page must ask for it), and the visit,
        plan or call it comes from."""
        if pk is not None:
            opportunity = get_object_or_404(selectors.opportunities_for(request.user), pk=pk)
            require(request.user, "campaigns.change_opportunity", opportunity)
            return opportunity, opportunity.customer, {}
        code = request.GET.get("customer", "").strip()
        customer = customer_get(user=request.user, code=code) if code else None
        links = {}
        visit_id = request.GET.get("visit", "")
        if customer is not None and visit_id == "latest":  # the customer page's button: the reader's latest visit
            links["visit"] = (
                Visit.objects.filter(
                    customer=customer, visitor=request.user, visited_at__gte=timezone.now() - VISIT_FOUND_WITHIN
                )
                .order_by("-visited_at", "-pk")
                .first()
            )
        elif customer is not None and visit_id.isdigit():
            links["visit"] = (
                visits_visible(request.user).filter(customer=customer, pk=visit_id).first()
            )  # a visit of another customer is ignored
        plan_id = request.GET.get("plan", "")
        if customer is not None and plan_id.isdigit():
            links["plan"] = customer.plans.filter(pk=plan_id).first()  # type: ignore[attr-defined]
        return None, customer, {key: value for key, value in links.items() if value is not None}

    def _form(self, request, opportunity, customer, links, data=None) -> OpportunityForm:
        initial = {}
        if opportunity is not None:
            initial = {
                "title": opportunity.title,
                "stage": opportunity.stage,
                "lost_reason": opportunity.lost_reason,
                "expected_monthly_revenue": opportunity.expected_monthly_revenue,
                "expected_one_off_revenue": opportunity.expected_one_off_revenue,
                "probability": opportunity.probability,
                "expected_close_on": opportunity.expected_close_on,
                "products": list(opportunity.products.all()),
                "competitor": opportunity.competitor,
                "source": opportunity.source,
                "owner": opportunity.owner,
                "version": versions.version_of(opportunity),
            }
        elif customer is not None:
            initial = services.opportunity_initial_from(customer=customer, **links)
        owners = _team(customer) if customer is not None else None
        return OpportunityForm(data, initial=initial, owners=owners, ask_customer=customer is None)

    def get(self, request, pk=None):
        opportunity, customer, links = self._objects(request, pk)
        return self._render(request, opportunity, customer, links, self._form(request, opportunity, customer, links))

    def post(self, request, pk=None):
        opportunity, customer, links = self._objects(request, pk)
        form = self._form(request, opportunity, customer, links, data=request.POST)
        if form.is_valid():
            try:
                if customer is None:
                    try:
                        customer = customer_get(user=request.user, code=form.cleaned_data["customer"])
                    except Http404:
                        raise ValidationError(
                            {"customer": _("No customer with this code is on your team or in your territory.")}
                        ) from None
                data = form.service_data()
                if opportunity is None:
                    for name, linked in links.items():
                        data[f"source_{name}"] = linked
                    opportunity = services.opportunity_create(user=request.user, customer=customer, data=data)
                    messages.success(request, _("Opportunity %(title)s recorded.") % {"title": opportunity.title})
                else:
                    services.opportunity_update(
                        user=request.user,
                        opportunity=opportunity,
                        data=data,
                        version=form.cleaned_data.get("version") or None,
                    )
                    messages.success(request, _("Opportunity %(title)s saved.") % {"title": opportunity.title})
            except versions.StaleVersion as refusal:
                stale_shown(form, refusal, form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                return HttpResponseRedirect(
                    _next_url(request, reverse("accounts:customer-detail", args=[customer.code]))
                )
        return self._render(request, opportunity, customer, links, form, status=400)

    def _render(self, request, opportunity, customer, links, form, status=200):
        back = (
            reverse("accounts:customer-detail", args=[customer.code])
            if customer
            else reverse("campaigns:opportunities")
        )
        context = {
            "form": style_form(form),
            "opportunity": opportunity,
            "customer": customer,
            "links": links,
            "history": opportunity.changes.select_related("changed_by").order_by("-changed_at", "-pk")[:20]
            if opportunity is not None
            else [],
            "back": _next_url(request, back),
            "may_change": opportunity is None or may(request.user, "campaigns.change_opportunity", opportunity),
        }
        return render(request, self.template_name, context, status=status)
