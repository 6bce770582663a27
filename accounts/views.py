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

from crm.forms import style_form
from crm.permissions import may

from . import hooks, selectors
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
        query = request.GET.copy()
        query.pop("page", None)
        # What the floors above add: each customer's visit status and one's due visits (teams), an account
        # manager's own figures (kpis).
        extra: dict = {"mine": None, "due_count": None}
        for context in hooks.customer_list_context(request=request, page=page):
            extra.update(context)
        return render(
            request,
            self.template_name,
            {
                **extra,
                "filter": filterset,
                "page": page,
                "query": query.urlencode(),
                "can_export": may(request.user, "tiering.export_tier_lists"),
                # On a phone the filters other than search fold away unless one is in use or wrong.
                "filters_open": any(query.get(name) for name in filterset.form.fields if name != "search")
                or bool(filterset.errors),
            },
        )


class CustomerDetailView(LoginRequiredMixin, View):
    template_name = "accounts/customer_detail.html"

    def get(self, request, code: str):
        customer = selectors.customer_get(user=request.user, code=code)
        # The current members, counted as the KPIs count them; those who left are kept for history, and only counted.
        current = selectors.member_current()
        members = customer.members.aggregate(
            total=Count("id", filter=current),
            on_net=Count("id", filter=current & Q(on_net=True)),
            verified=Count("id", filter=current & Q(verified=True)),
            left=Count("id", filter=~current),
            **{level: Count("id", filter=current & Q(vip_level=level)) for level in VipLevel.values},
        )
        vip_counts = [(label, members[level]) for level, label in VipLevel.choices]
        key_persons = list(customer.key_persons.all())
        selectors.mobiles_shown(
            user=request.user,
            customer=customer,
            where=request.path,
            mobiles=sum(1 for person in key_persons if person.mobile),
        )
        context = {
            "customer": customer,
            "key_persons": key_persons,
            "members": members,
            "vip_counts": vip_counts,
        }
        # The tier and its history, the team and visits, coverage and campaigns come from the floors above.
        for extra in hooks.customer_page_context(request=request, customer=customer):
            context.update(extra)
        return render(request, self.template_name, context)


class CustomerHistoryView(LoginRequiredMixin, View):
    """The customer's history tab: the audit trail's writes about it, newest first."""

    template_name = "accounts/customer_history.html"

    def get(self, request, code: str):
        customer = selectors.customer_get(user=request.user, code=code)
        page = Paginator(selectors.customer_history(customer), HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
        return render(request, self.template_name, {"customer": customer, "page": page, "query": ""})


HISTORY_PAGE_SIZE = 50


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
