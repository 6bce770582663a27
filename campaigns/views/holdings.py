"""A customer's holding of a product (SPEC §6.1) kept from the browser: added, changed or ended through the services
the API uses (`campaigns.services.holding_set`, `holding_remove`), reached from the customer page's coverage card."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from accounts.selectors import customer_get
from crm import versions
from crm.forms import add_service_errors, date_picker, stale_shown, style_form
from crm.models import Partner
from crm.permissions import require
from crm.visibility import visible_partners

from .. import services
from ..models import CustomerProduct, Product
from ..services.holdings import HOLDING_FIELDS, SALE_FIELDS


class HoldingForm(forms.ModelForm):
    """The holding's own fields, checked as the model checks them (the API's messages); the service decides. The
    form carries the version of the holding it was opened on: saved over a change made meanwhile, it is refused
    with who made it and when."""

    version = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = CustomerProduct
        fields = [*HOLDING_FIELDS, *SALE_FIELDS]
        widgets = {
            "subscribed_on": date_picker(),
            "last_used_on": date_picker(),
            "active_users": forms.NumberInput(attrs={"inputmode": "numeric", "min": "0"}),
            "monthly_revenue": forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01", "min": "0"}),
        }

    def __init__(self, *args, user=None, product=None, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = versions.version_of(self.instance)
        # The partners offered: those the user sees that may sell the product (the service checks the rest).
        partners = visible_partners(user) if user is not None else Partner.objects.none()
        self.fields["partner"].queryset = partners.filter(products=product) if product is not None else partners
        self.fields["channel"].required = False
        self.conflicts: list[tuple[str, Any, Any]] = []

    def validate_unique(self) -> None:
        """One holding per customer and product: the service replaces the one there is."""


class HoldingView(LoginRequiredMixin, View):
    """GET the form of the customer's holding of a product (empty when it holds none), POST to save it. An outsider
    gets 404; an insider who does not keep the customer's records (`campaigns.change_holdings`) 403."""

    template_name = "campaigns/holding_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.customer = customer_get(user=request.user, code=kwargs["code"])
        self.product = get_object_or_404(Product, code=kwargs["product"])
        require(request.user, "campaigns.change_holdings", self.customer)
        self.holding = CustomerProduct.objects.filter(customer=self.customer, product=self.product).first()
        return super().dispatch(request, *args, **kwargs)

    def back(self) -> str:
        return reverse("accounts:customer-detail", args=[self.customer.code]) + "#products"

    def render_form(self, request, form: HoldingForm):
        context = {
            "customer": self.customer,
            "product": self.product,
            "holding": self.holding,
            "form": style_form(form),
        }
        return render(request, self.template_name, {**context, "back": self.back()})

    def get(self, request, code: str, product: str):
        return self.render_form(request, HoldingForm(instance=self.holding, user=request.user, product=self.product))

    def post(self, request, code: str, product: str):
        form = HoldingForm(
            request.POST,
            instance=self.holding or CustomerProduct(customer=self.customer),
            user=request.user,
            product=self.product,
        )
        if not form.is_valid():
            return self.render_form(request, form)
        data = {name: form.cleaned_data[name] for name in (*HOLDING_FIELDS, *SALE_FIELDS)}
        try:
            services.holding_set(
                customer=self.customer,
                product=self.product,
                data=data,
                user=request.user,
                version=form.cleaned_data.get("version") or None,
            )
        except versions.StaleVersion as stale:
            stale_shown(form, stale, data)
            return self.render_form(request, form)
        except ValidationError as error:
            add_service_errors(form, error)
            return self.render_form(request, form)
        messages.success(request, _("%(product)s saved.") % {"product": self.product.name})
        return HttpResponseRedirect(self.back())


class HoldingRemoveView(HoldingView):
    """The customer no longer holds the product (退订): the holding is deleted, as the API's DELETE does; the audit
    trail keeps what it was."""

    http_method_names = ["post"]

    def post(self, request, code: str, product: str):
        if self.holding is None:
            messages.info(request, _("The customer does not hold this product."))
            return HttpResponseRedirect(self.back())
        try:
            services.holding_remove(
                customer=self.customer,
                product=self.product,
                user=request.user,
                version=request.POST.get("version") or None,
            )
        except versions.StaleVersion as stale:
            messages.error(request, stale.message)
            return HttpResponseRedirect(reverse("campaigns:holding", args=[code, product]))
        messages.success(request, _("%(product)s ended.") % {"product": self.product.name})
        return HttpResponseRedirect(self.back())
