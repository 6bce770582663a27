"""Pages of commissions (酬金, issue 20, point 3): provincial staff list a month's settlements of their province,
compute them, open one with its lines and approve it; a partner's own staff read their company's, read-only."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views import View

from crm.models import Partner
from crm.permissions import may, require
from crm.visibility import territory_region

from . import months, selectors, services
from .models import CommissionBasis, SettlementStatus
from .rules import month_end

LINES_PER_PAGE = 100


def _month_asked(request) -> tuple[datetime.date, str | None]:
    """The month of `?period=` (the last one over by default), and what was wrong with it if anything."""
    default = months.last_closed(timezone.localdate())
    text = request.GET.get("period")
    if not text:
        return default, None
    try:
        return months.parse_month(text), None
    except ValueError as wrong:
        return default, str(wrong)


class SettlementListView(LoginRequiredMixin, View):
    """Provincial staff and headquarters: the month's settlements of the partners of their territory, with the
    button that computes them; partner staff: their company's settlements, month by month."""

    def get(self, request):
        require(request.user, "partners.list_settlements")
        settlements = selectors.settlements_for(request.user)
        if request.user.is_partner_staff:
            page = Paginator(settlements.order_by("-period"), 24).get_page(request.GET.get("page"))
            return render(request, "partners/settlement_list.html", {"page": page, "own": True})
        month, wrong = _month_asked(request)
        if wrong:
            messages.error(request, wrong)
        of_month = settlements.filter(period=month).order_by("partner__name", "pk")
        facts = of_month.aggregate(
            count=Count("pk"), total=Sum("total"), approved=Count("pk", filter=Q(status=SettlementStatus.APPROVED))
        )
        region = territory_region(request.user)
        unsettled = 0
        if region is not None:
            under_contract = Partner.objects.filter(
                region__path__startswith=region.path,
                contract_starts_on__lt=month_end(month),
                contract_ends_on__gte=month,
            )
            unsettled = under_contract.exclude(settlements__period=month).count()
        page = Paginator(of_month, 50).get_page(request.GET.get("page"))
        context = {
            "page": page,
            "month": month,
            "period": months.format_month(month),
            "facts": facts,
            "unsettled": unsettled,
            "over": months.is_over(month, timezone.localdate()),
            "may_compute": region is not None and may(request.user, "partners.settle", region),
            "query": f"period={months.format_month(month)}",
        }
        return render(request, "partners/settlement_list.html", context)


class SettlementsComputeView(LoginRequiredMixin, View):
    """Compute (again) the settlements of the month posted for the caller's territory; back to the list."""

    def post(self, request):
        region = territory_region(request.user)
        require(request.user, "partners.settle", region)
        try:
            month = months.parse_month(request.POST.get("period"))
        except ValueError as wrong:
            messages.error(request, str(wrong))
            return redirect("partners:settlements")
        try:
            run = services.settlements_compute(user=request.user, month=month, region=region)
        except ValidationError as refused:
            messages.error(request, " ".join(refused.messages))
        else:
            messages.success(
                request,
                _(
                    "%(month)s computed: %(computed)s settlements, %(lines)s lines (%(corrections)s corrections of "
                    "earlier months), %(total)s CNY; %(approved)s approved settlements left as they are."
                )
                % {
                    "month": run.period,
                    "computed": run.computed,
                    "lines": run.lines,
                    "corrections": run.corrections,
                    "total": f"{run.total:,.2f}",
                    "approved": run.approved_left,
                },
            )
        return redirect(f"{reverse('partners:settlements')}?period={months.format_month(month)}")


class SettlementView(LoginRequiredMixin, View):
    """One settlement with its lines, a page of them at a time, the downloads, and for provincial staff of the
    partner's territory the approval."""

    def get(self, request, pk: int):
        settlement = selectors.settlement_get(user=request.user, pk=pk)  # outsiders: 404
        require(request.user, "partners.view_settlement", settlement.partner)
        lines = selectors.settlement_lines(settlement)
        page = Paginator(lines, LINES_PER_PAGE).get_page(request.GET.get("page"))
        by_basis = lines.order_by().values("basis").annotate(amount=Sum("amount"), count=Count("pk"))
        context = {
            "settlement": settlement,
            "period": months.format_month(settlement.period),
            "page": page,
            "by_basis": [
                {"label": CommissionBasis(row["basis"]).label, "count": row["count"], "amount": row["amount"]}
                for row in by_basis.order_by("basis")
            ],
            "corrections": lines.filter(corrects_period__isnull=False).aggregate(
                amount=Sum("amount"), count=Count("pk")
            ),
            "may_approve": not settlement.is_approved
            and may(request.user, "partners.approve_settlement", settlement.partner),
            "query": "",
        }
        return render(request, "partners/settlement_detail.html", context)


class SettlementApproveView(LoginRequiredMixin, View):
    """Approve the settlement as reviewed (the computation the page showed); back to it."""

    def post(self, request, pk: int):
        settlement = selectors.settlement_get(user=request.user, pk=pk)  # outsiders: 404
        require(request.user, "partners.approve_settlement", settlement.partner)
        try:
            seen = parse_datetime(request.POST.get("computed_at", "") or "")
        except ValueError:
            seen = None
        try:
            services.settlement_approve(user=request.user, settlement=settlement, computed_at=seen)
        except ValidationError as refused:
            messages.error(request, " ".join(refused.messages))
        else:
            messages.success(
                request,
                _("The settlement of %(month)s of %(partner)s is approved; it no longer changes.")
                % {"month": months.format_month(settlement.period), "partner": settlement.partner.name},
            )
        return redirect("partners:settlement", pk=settlement.pk)
