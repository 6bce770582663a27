"""Pages of inbound leads (来电商机, issue 20): the form a hotline agent fills while the caller is on the line, and
the list of leads — assigned to the reader, recorded by them, of their territory — each closed or turned into an
opportunity in one step."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from accounts.validators import validate_mobile
from crm.forms import add_service_errors, style_form
from crm.models import Region
from crm.permissions import may, require
from crm.visibility import visible_regions

from .. import services
from ..models import Channel, LeadStatus, Product
from ..models.channels import HOTLINE
from ..selectors.leads import leads_for

LEADS_SHOWN = 100


class LeadForm(forms.Form):
    """What the caller says: who they are, the customer (its code) or the company (its name, its USCC, its region),
    the products, what they want."""

    caller_name = forms.CharField(label=gettext_lazy("caller"), max_length=50)
    caller_mobile = forms.CharField(
        label=gettext_lazy("caller's mobile"),
        max_length=11,
        validators=[validate_mobile],
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    customer = forms.CharField(
        label=gettext_lazy("customer code"),
        max_length=32,
        required=False,
        help_text=gettext_lazy("If the caller's company is a customer and its code is known."),
    )
    company = forms.CharField(label=gettext_lazy("company"), max_length=200, required=False)
    uscc = forms.CharField(label=gettext_lazy("unified social credit code"), max_length=18, required=False)
    region = forms.ModelChoiceField(label=gettext_lazy("region"), queryset=Region.objects.none(), required=False)
    products = forms.ModelMultipleChoiceField(
        label=gettext_lazy("products"),
        queryset=Product.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    notes = forms.CharField(
        label=gettext_lazy("what the caller said"), max_length=2000, required=False, widget=forms.Textarea({"rows": 3})
    )
    channel = forms.ModelChoiceField(label=gettext_lazy("channel"), queryset=Channel.objects.all(), required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        regions = visible_regions(user).order_by("path") if user is not None else Region.objects.none()
        self.fields["region"].queryset = regions
        self.fields["channel"].initial = HOTLINE


class LeadListView(LoginRequiredMixin, View):
    """The leads the reader sees, the new ones first, and the form that records one."""

    template_name = "campaigns/leads.html"

    def render_page(self, request, form: LeadForm, status: int = 200):
        leads = leads_for(request.user).prefetch_related("products")
        new_only = request.GET.get("status", "new") == "new"
        if new_only:
            leads = leads.filter(status=LeadStatus.NEW)
        rows = list(leads.order_by("-created_at", "-id")[:LEADS_SHOWN])
        for lead in rows:
            lead.workable = lead.status == LeadStatus.NEW and may(request.user, "campaigns.work_lead", lead)
        context = {
            "form": style_form(form),
            "leads": rows,
            "new_only": new_only,
            "shown": LEADS_SHOWN,
            "close_by": timezone.localdate() + datetime.timedelta(days=30),
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request):
        return self.render_page(request, LeadForm(user=request.user))

    def post(self, request):
        require(request.user, "campaigns.record_lead")
        form = LeadForm(request.POST, user=request.user)
        if not form.is_valid():
            return self.render_page(request, form, status=400)
        try:
            lead = services.lead_record(user=request.user, data=dict(form.cleaned_data))
        except ValidationError as error:
            add_service_errors(form, error)
            return self.render_page(request, form, status=400)
        if lead.assigned_to is not None:
            messages.success(
                request,
                _("Lead recorded and sent to %(name)s.") % {"name": lead.assigned_to.display_name},
            )
        else:
            messages.warning(request, _("Lead recorded; nobody heads the department over its region to send it to."))
        return HttpResponseRedirect(reverse("campaigns:leads"))


class LeadWorkView(LoginRequiredMixin, View):
    """Close a lead with a note, or record the opportunity it is (`convert`, with an expected close date)."""

    http_method_names = ["post"]

    action = "close"

    def post(self, request, pk: int):
        action = self.action
        lead = get_object_or_404(leads_for(request.user), pk=pk)
        try:
            if action == "close":
                # a form's text, so that a NUL character is refused as in every form (a multipart body is not
                # checked before the view), and the note's rules are the service's
                note = forms.CharField(required=False, strip=True).clean(request.POST.get("note", ""))
                services.lead_close(user=request.user, lead=lead, note=note)
                messages.success(request, _("Lead closed."))
            else:
                close_on = forms.DateField().clean(request.POST.get("expected_close_on"))
                opportunity = services.lead_convert(user=request.user, lead=lead, data={"expected_close_on": close_on})
                messages.success(request, _("Opportunity recorded."))
                return HttpResponseRedirect(reverse("campaigns:opportunity", args=[opportunity.pk]))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return HttpResponseRedirect(reverse("campaigns:leads"))
