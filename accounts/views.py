from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView

from campaigns import selectors as campaign_selectors
from crm.forms import style_form
from crm.models import Role
from crm.visibility import visible_customers
from kpis import selectors as kpi_selectors
from teams import selectors as team_selectors

from . import selectors
from .filters import CustomerFilter
from .forms import CustomerForm
from .models import VipLevel


class CustomerListView(LoginRequiredMixin, View):
    """*My customers*: the customers the user may see, searchable, filterable, sortable and paginated."""

    template_name = "accounts/customer_list.html"

    def get(self, request):
        filterset = CustomerFilter(request.GET, queryset=selectors.customer_list(user=request.user), request=request)
        customers = filterset.qs if filterset.is_valid() else filterset.queryset.none()
        style_form(filterset.form, small=True)
        page = Paginator(customers, settings.CUSTOMER_LIST_PAGE_SIZE).get_page(request.GET.get("page"))
        standards = team_selectors.standards()
        statuses = team_selectors.visit_statuses([(c.pk, c.tier) for c in page], by_tier=standards)
        for customer in page:
            customer.visit_status = statuses.get(customer.pk)
        query = request.GET.copy()
        query.pop("page", None)
        mine = None
        if request.user.role == Role.ACCOUNT_MANAGER and not request.user.sees_everything:
            # An account manager's own figures on their home page, counted live over their few customers.
            targets = kpi_selectors.targets_for(kpi_selectors.province_code(request.user.region))
            mine = kpi_selectors.live_figures(visible_customers(request.user), targets, standards)
        return render(
            request,
            self.template_name,
            {
                "filter": filterset,
                "page": page,
                "query": query.urlencode(),
                "can_export": request.user.may_export_tier_lists,
                "mine": mine,
                # Only staff on teams have customers of their own that fall due.
                "due_count": (
                    team_selectors.due_visit_count(request.user, by_tier=standards)
                    if request.user.team_roles.exists()
                    else None
                ),
                # On a phone the filters other than search fold away unless one is in use or wrong.
                "filters_open": any(query.get(name) for name in filterset.form.fields if name != "search")
                or bool(filterset.errors),
            },
        )


class CustomerDetailView(LoginRequiredMixin, View):
    template_name = "accounts/customer_detail.html"

    def get(self, request, code: str):
        customer = selectors.customer_get(user=request.user, code=code)
        members = customer.members.aggregate(
            total=Count("id"),
            on_net=Count("id", filter=Q(on_net=True)),
            verified=Count("id", filter=Q(verified=True)),
            **{level: Count("id", filter=Q(vip_level=level)) for level in VipLevel.values},
        )
        vip_counts = [(label, members[level]) for level, label in VipLevel.choices]
        visits = team_selectors.customer_visits(user=request.user, customer=customer)
        return render(
            request,
            self.template_name,
            {
                "customer": customer,
                "key_persons": customer.key_persons.all(),
                "members": members,
                "vip_counts": vip_counts,
                "team": team_selectors.team_status(customer),
                "visits": visits.recent,
                "visit_status": visits.status,
                "second_manager_duties": visits.second_manager,
                "tier_changes": customer.tier_changes.select_related("rule_set")[:12],
                "tier_override": customer.tier_overrides.active().select_related("set_by").first(),
                "coverage": campaign_selectors.customer_coverage(customer),
                "campaigns": campaign_selectors.customer_campaigns(customer, request.user),
            },
        )


class CustomerFormView(LoginRequiredMixin, FormView):
    template_name = "accounts/customer_form.html"
    form_class = CustomerForm

    def get_customer(self):
        code = self.kwargs.get("code")
        return selectors.customer_get(user=self.request.user, code=code) if code else None

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        kwargs["instance"] = self.get_customer()
        return kwargs

    def get_form(self, form_class=None):
        return style_form(super().get_form(form_class))

    def form_valid(self, form: CustomerForm):
        try:
            customer = form.save()
        except ValidationError:
            return self.form_invalid(style_form(form))
        messages.success(self.request, _("Customer %(name)s saved.") % {"name": customer.name})
        return HttpResponseRedirect(reverse("accounts:customer-detail", args=[customer.code]))
