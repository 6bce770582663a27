"""Pages of products and coverage (SPEC §6.1)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from crm.forms import style_form
from crm.models import RegionLevel
from crm.visibility import visible_customers, visible_regions

from . import services
from .forms import DoNotCallForm
from .models import CoverageThresholds, DoNotCall
from .rules import COVERAGE_LABELS, COVERED, FAKE, THIN, UNCOVERED, mask_mobile
from .selectors import gap_matrix

STATUSES = (UNCOVERED, FAKE, THIN, COVERED)


class GapMatrixView(LoginRequiredMixin, View):
    """Products × coverage status over the active customers of a province or city the user sees, each count a
    link to those customers."""

    template_name = "campaigns/gap_matrix.html"

    def get(self, request):
        regions = visible_regions(request.user).filter(level__in=[RegionLevel.PROVINCE, RegionLevel.CITY])
        customers = visible_customers(request.user)
        region = None
        if request.GET.get("region"):
            region = regions.filter(code=request.GET["region"]).first()
            if region is None:
                raise Http404
            customers = customers.filter(region__path__startswith=region.path)
        base = {"status": "active", **({"region": region.code} if region else {})}
        rows = [
            {
                "product": row.product,
                "gaps": row.gaps,
                "cells": [
                    (
                        status,
                        row.counts[status],
                        f"{reverse('accounts:customer-list')}?"
                        + urlencode({**base, "product": row.product.code, "coverage": status}),
                    )
                    for status in STATUSES
                ],
            }
            for row in gap_matrix(customers)
        ]
        context = {
            "regions": regions.order_by("path"),
            "region": region,
            "rows": rows,
            "statuses": [(status, COVERAGE_LABELS[status]) for status in STATUSES],
            "thresholds": CoverageThresholds.current(),
        }
        return render(request, self.template_name, context)


class DoNotCallView(LoginRequiredMixin, View):
    """The do-not-call list (营销黑名单): every member of staff adds a number at once; provincial staff take one
    off. Numbers are shown whole to provincial staff, masked to everyone else."""

    template_name = "campaigns/do_not_call.html"
    page_size = 50

    def _render(self, request, form, status: int = 200):
        entries = DoNotCall.objects.select_related("added_by")
        search = request.GET.get("mobile", "").strip()
        if search:
            entries = entries.filter(mobile=search)
        page = Paginator(entries, self.page_size).get_page(request.GET.get("page"))
        whole = request.user.is_provincial_or_above
        for entry in page:
            entry.shown = entry.mobile if whole else mask_mobile(entry.mobile)
        context = {
            "form": style_form(form, small=True),
            "page": page,
            "search": search,
            "query": urlencode({"mobile": search}) if search else "",  # kept by the pagination links
            "may_remove": whole,
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request):
        return self._render(request, DoNotCallForm())

    def post(self, request):
        if "remove" in request.POST:
            removed = services.do_not_call_remove(user=request.user, mobile=request.POST["remove"])
            if removed:
                messages.success(request, _("The number is off the do-not-call list."))
            return HttpResponseRedirect(reverse("campaigns:do-not-call"))
        form = DoNotCallForm(request.POST)
        if not form.is_valid():
            return self._render(request, form, status=400)
        entry, created = services.do_not_call_add(user=request.user, **form.cleaned_data)
        if created:
            messages.success(request, _("The number is on the do-not-call list: no call list will include it."))
        else:
            messages.info(request, _("The number was already on the do-not-call list."))
        return HttpResponseRedirect(reverse("campaigns:do-not-call"))
