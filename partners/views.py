"""Pages of commissions (酬金, issue 20, point 3): provincial staff list a month's settlements of their province,
compute them, open one with its lines and approve it; a partner's own staff read their company's, read-only."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views import View

from campaigns.models import Product
from crm.forms import add_service_errors, style_form
from crm.jobs import BrokerUnavailable
from crm.models import JobStatus, Partner, PartnerKind
from crm.permissions import ACTIONS, may, require
from crm.services import JobBusy
from crm.visibility import territory_region

from . import jobboard as partner_board
from . import months, selectors, services
from .forms import CommissionRuleForm, RuleEndForm, rule_scopes
from .models import CommissionBasis, CommissionRule, SettlementJobRun, SettlementStatus
from .rules import month_end
from .services.commissions import RULE_FIELDS
from .tasks import settlements_launch

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
        run = None
        if (asked := request.GET.get("run", "")).isdigit() and len(asked) < 19:
            run = selectors.settlement_runs_for(request.user).filter(pk=int(asked)).first()
        elif region is not None:
            run = selectors.settlement_run_running(request.user, region=region, month=month)
        row = partner_board.KIND.row(run) if run is not None else None
        if request.GET.get("poll"):
            if row is None:
                raise Http404
            return JsonResponse(row.as_json(), headers={"Cache-Control": "no-store"})
        page = Paginator(of_month, 50).get_page(request.GET.get("page"))
        context = {
            "run": run,
            "row": row,
            "outcome": run_outcome(run) if run is not None and run.status == JobStatus.SUCCEEDED else "",
            "page": page,
            "month": month,
            "period": months.format_month(month),
            "facts": facts,
            "unsettled": unsettled,
            "over": months.is_over(month, timezone.localdate()),
            "may_compute": region is not None and may(request.user, "partners.settle", region),
            "may_rules": may(request.user, "partners.view_commission_rules"),
            "query": f"period={months.format_month(month)}",
        }
        return render(request, "partners/settlement_list.html", context)


class SettlementsComputeView(LoginRequiredMixin, View):
    """Compute (again) the settlements of the month posted for the caller's territory: handed to the workers, a
    chunk of partners at a time; back at once to the month's list, which follows the computation's progress (and the
    starter is notified when it ends)."""

    def post(self, request):
        region = territory_region(request.user)
        require(request.user, "partners.settle", region)
        try:
            month = months.parse_month(request.POST.get("period"))
        except ValueError as wrong:
            messages.error(request, str(wrong))
            return redirect("partners:settlements")
        try:
            run = settlements_launch(
                user=request.user, month=month, region=region, language=translation.get_language() or ""
            )
        except ValidationError as refused:
            messages.error(request, " ".join(refused.messages))
        except (JobBusy, BrokerUnavailable) as refused:
            messages.error(request, str(refused))
        else:
            return redirect(run.get_absolute_url())
        return redirect(f"{reverse('partners:settlements')}?period={months.format_month(month)}")


def run_outcome(run: SettlementJobRun) -> str:
    """What a computation that ended found, in a sentence."""
    return _(
        "%(month)s computed: %(computed)s settlements, %(lines)s lines (%(corrections)s corrections of earlier "
        "months), %(total)s CNY; %(approved)s approved settlements left as they are."
    ) % {
        "month": months.format_month(run.period),
        "computed": run.computed,
        "lines": run.lines,
        "corrections": run.corrections,
        "total": f"{run.total:,.2f}",
        "approved": run.approved_left,
    }


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
            "may_rules": may(request.user, "partners.view_commission_rules"),
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


# -- commission rules (酬金规则): kept from the browser through the services the API uses ------------------------------


class RuleFilterForm(forms.Form):
    """The rules list's filters: partner kind, product, basis and whether the rule pays this month."""

    kind = forms.ChoiceField(label=_lazy("Partner kind"), required=False)
    product = forms.ChoiceField(label=_lazy("Product"), required=False)
    basis = forms.ChoiceField(label=_lazy("Basis"), required=False)
    state = forms.ChoiceField(
        label=_lazy("In force"),
        required=False,
        choices=[
            ("", _lazy("All")),
            ("current", _lazy("Pays this month")),
            ("future", _lazy("Starts later")),
            ("ended", _lazy("Ended")),
        ],
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        every = [("", _lazy("All"))]
        self.fields["kind"].choices = every + list(PartnerKind.choices)
        self.fields["basis"].choices = every + list(CommissionBasis.choices)
        self.fields["product"].choices = every + [
            (code, f"{code} {name}") for code, name in Product.objects.order_by("code").values_list("code", "name")
        ]

    def apply(self, rules, month: datetime.date):
        if not self.is_valid():
            return rules
        data = self.cleaned_data
        if data["kind"]:
            rules = rules.filter(partner_kind=data["kind"])
        if data["product"]:
            rules = rules.filter(product_id=data["product"])
        if data["basis"]:
            rules = rules.filter(basis=data["basis"])
        if data["state"] == "current":
            rules = rules.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=month), valid_from__lte=month)
        elif data["state"] == "future":
            rules = rules.filter(valid_from__gt=month)
        elif data["state"] == "ended":
            rules = rules.filter(valid_until__lt=month)
        return rules


class CommissionRuleListView(LoginRequiredMixin, View):
    """Provincial staff: the national rules and their province's, theirs to keep; headquarters every one. Filtered by
    partner kind, product, basis and whether a rule pays this month."""

    def get(self, request):
        require(request.user, "partners.view_commission_rules")
        this_month = timezone.localdate().replace(day=1)
        filters = RuleFilterForm(request.GET or None)
        rules = filters.apply(selectors.commission_rules_for(request.user), this_month)
        rules = rules.order_by("product_id", "partner_kind", "basis", "scope__path", "-valid_from", "pk")
        page = Paginator(rules, 50).get_page(request.GET.get("page"))
        rows = [
            {
                "rule": rule,
                "keeps": may(request.user, "partners.keep_commission_rules", rule),
                "in_force": rule.in_force(this_month),
                "ended": rule.valid_until is not None and rule.valid_until < this_month,
            }
            for rule in page
        ]
        query = request.GET.copy()
        query.pop("page", None)
        context = {
            "filters": style_form(filters if filters.is_bound else RuleFilterForm(), small=True),
            "page": page,
            "rows": rows,
            "query": query.urlencode(),
            "may_add": region_keeps_rules(request.user),
            "frozen_until": selectors.approved_until(request.user),
        }
        return render(request, "partners/commission_rule_list.html", context)


def region_keeps_rules(user) -> bool:
    """Whether the user keeps any scope's rules (their province's, or headquarters the national ones)."""
    return any(may(user, "partners.keep_commission_rules", CommissionRule(scope=scope)) for scope in rule_scopes(user))


class CommissionRuleFormView(LoginRequiredMixin, View):
    """GET the form of a new rule (no pk) or of one the user keeps, POST to save it through the service: a negative
    rate or amount, a field the basis does not take, an overlap with another rule or a change that would reach a
    month already approved is refused on its field, nothing saved. A rule the user does not read is 404; one they
    read but do not keep (a national rule, for provincial staff) 403."""

    template_name = "partners/commission_rule_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        require(request.user, "partners.view_commission_rules")
        self.rule = None
        if "pk" in kwargs:
            self.rule = get_object_or_404(selectors.commission_rules_for(request.user), pk=kwargs["pk"])
            require(request.user, "partners.keep_commission_rules", self.rule)
        elif not region_keeps_rules(request.user):
            raise PermissionDenied(str(ACTIONS["partners.keep_commission_rules"][1]))
        return super().dispatch(request, *args, **kwargs)

    def render_form(self, request, form: CommissionRuleForm, end_form: RuleEndForm | None = None, status: int = 200):
        context = {
            "rule": self.rule,
            "form": style_form(form),
            "end_form": style_form(end_form or RuleEndForm(initial=self.end_initial())) if self.rule else None,
            "frozen_until": selectors.approved_until(request.user, scope=self.rule.scope if self.rule else None),
            "lines": self.rule.lines.count() if self.rule else 0,
        }
        return render(request, self.template_name, context, status=status)

    def end_initial(self) -> dict:
        if self.rule is None:
            return {}
        return {"valid_until": self.rule.valid_until or max(self.rule.valid_from, timezone.localdate().replace(day=1))}

    def get(self, request, pk: int | None = None):
        return self.render_form(request, CommissionRuleForm(instance=self.rule, user=request.user))

    def post(self, request, pk: int | None = None):
        form = CommissionRuleForm(request.POST, instance=self.rule or CommissionRule(), user=request.user)
        if not form.is_valid():
            return self.render_form(request, form)
        data = {name: form.cleaned_data.get(name) for name in RULE_FIELDS}
        try:
            if self.rule is None:
                rule = services.commission_rule_create(user=request.user, data=data)
            else:
                rule = services.commission_rule_update(user=request.user, rule=self.rule, data=data)
        except ValidationError as refused:
            add_service_errors(form, refused)
            return self.render_form(request, form)
        messages.success(request, _("Commission rule #%(rule)s saved.") % {"rule": rule.pk})
        return redirect(f"{reverse('partners:commission-rules')}#rule-{rule.pk}")


class CommissionRuleEndView(CommissionRuleFormView):
    """POST the last month a rule pays (its `valid_until`), through the same service: a month already approved in
    its scope cannot be reached."""

    def get(self, request, pk: int | None = None):
        return redirect("partners:commission-rule", pk=pk)

    def post(self, request, pk: int | None = None):
        assert self.rule is not None
        end_form = RuleEndForm(request.POST)
        if end_form.is_valid():
            try:
                services.commission_rule_update(
                    user=request.user, rule=self.rule, data={"valid_until": end_form.cleaned_data["valid_until"]}
                )
            except ValidationError as refused:
                add_service_errors(end_form, refused)
            else:
                messages.success(
                    request,
                    _("Commission rule #%(rule)s ends with %(month)s.")
                    % {"rule": self.rule.pk, "month": months.format_month(end_form.cleaned_data["valid_until"])},
                )
                return redirect(f"{reverse('partners:commission-rules')}#rule-{self.rule.pk}")
        self.rule.refresh_from_db()
        return self.render_form(request, CommissionRuleForm(instance=self.rule, user=request.user), end_form)
