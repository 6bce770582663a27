"""The gap matrix of products × coverage status (SPEC §6.1)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.views import View

from accounts.models import Customer
from crm.models import RegionLevel
from crm.visibility import territory_path, visible_regions

from ..models import CoverageThresholds
from ..rules import COVERAGE_LABELS, COVERED, FAKE, THIN, UNCOVERED
from ..selectors import gap_matrix, gap_matrix_counted

STATUSES = (UNCOVERED, FAKE, THIN, COVERED)


class GapMatrixView(LoginRequiredMixin, View):
    """Products × coverage status over the active customers of a province or city the user sees, each count a
    link to those customers."""

    template_name = "campaigns/gap_matrix.html"

    def get(self, request):
        regions = visible_regions(request.user).filter(level__in=[RegionLevel.PROVINCE, RegionLevel.CITY])
        customers = Customer.objects.visible_to(request.user)
        region = None
        if request.GET.get("region"):
            region = regions.filter(code=request.GET["region"]).first()
            if region is None:
                raise Http404
            customers = customers.filter(region__path__startswith=region.path)
        # A territory's matrix is added up from the night's counts, said as of when (issue 19); an account
        # manager's own customers, or an install whose night has not run, are counted now.
        counted = None
        path = region.path if region else territory_path(request.user)  # the picker offers the territory's regions
        if not request.user.sees_own_customers_only and path is not None:
            counted = gap_matrix_counted(path or None)  # headquarters': every region
        matrix, as_of = counted if counted is not None else (gap_matrix(customers), None)
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
            for row in matrix
        ]
        context = {
            "regions": regions.order_by("path"),
            "region": region,
            "rows": rows,
            "as_of": as_of,
            "statuses": [(status, COVERAGE_LABELS[status]) for status in STATUSES],
            "thresholds": CoverageThresholds.current(),
        }
        return render(request, self.template_name, context)
