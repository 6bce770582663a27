"""The dashboards (SPEC §7): one page for any scope the user sees — the department head's team, a province's
cities side by side, a manager — read from the snapshots, every figure a link to the customers behind it."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Window
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views import View

from campaigns.selectors import departments_without_activity
from crm import versions
from crm.forms import add_service_errors, stale_shown, style_form
from crm.jobs import BrokerUnavailable
from crm.models import Department, Region, RegionLevel
from crm.periods import Period
from crm.permissions import is_headquarters, kept_scope, may
from crm.services import JobBusy
from crm.views import KeptScopeMixin
from crm.visibility import NATIONAL_CODE
from teams.rules import MANAGER_CAPACITY

from . import selectors, services, tasks
from .drills import DRILLS
from .forms import EDITABLE, KpiTargetsForm, ProductRevenueTargetForm
from .metrics import AGEING_METRICS, MANAGER_LOAD, METRIC_BY_CODE, METRICS, Metric
from .models import ScopeKind

TREND_MONTHS = 12
ROWS_PER_PAGE = 50
IDLE_SHOWN = 30  # departments without an activity named on the dashboard; the activities page lists them all
# Who may compute the KPIs again now from the dashboard: those who set their targets (provincial staff and
# headquarters), who also follow the computations on the jobs page.
RECOMPUTE_RULE = "kpis.compute_now"


def _page_number(text: str | None) -> int:
    return int(text) if text and text.isdigit() and int(text) > 0 else 1


def _pages(scope, period: Period, sort: str, descending: bool, page: int, total: int) -> dict | None:
    """Links to the drill-down table's neighbouring pages, keeping its order."""
    last = max((total + ROWS_PER_PAGE - 1) // ROWS_PER_PAGE, 1)
    if last == 1:
        return None
    order = {"sort": sort, "dir": "desc" if descending else "asc"} if sort else {}

    def url(number: int) -> str:
        return dashboard_url(scope, period, **order, page=str(number))

    return {
        "number": page,
        "last": last,
        "previous": url(page - 1) if page > 1 else None,
        "next": url(page + 1) if page < last else None,
    }


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


@functools.cache
def _reversed(name: str, prefix: str, urlconf: str) -> str:
    return reverse(name, urlconf=urlconf)


def _path(name: str) -> str:
    """The path of a view without arguments, reversed once per script prefix and URLconf (both in the key): a
    department's dashboard links every row and many cells to the customers or to a scope of its own, 236 reversals a
    page, 10 ms of it."""
    return _reversed(name, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)


def customers_url(scope: selectors.Scope, **filters: str) -> str:
    return f"{_path('accounts:customer-list')}?{urlencode({**scope.customer_filter, **filters})}"


def dashboard_url(scope: selectors.Scope, period: Period | None = None, **extra: str) -> str:
    query = {**scope.query, **({"period": str(period)} if period else {}), **extra}
    return f"{_path('kpis:dashboard')}?{urlencode(query)}"


@dataclass
class Card:
    figure: selectors.Figure
    value: str
    target: str
    status: str  # a Bootstrap colour: success on target, danger off, secondary without a target
    link: str | None = None
    link_count: int | None = None
    link_label: str = ""

    @property
    def metric(self) -> Metric:
        return self.figure.metric


# Figures that count staff rather than customers link to the staff behind them: the personal-VIP managers above the
# 400 line, on the manager load page (SPEC §4.3).
STAFF_DRILLS = {"vip_manager_overload_share": ("teams:manager-load", _lazy("overloaded personal-VIP managers"))}
# Shares of overloaded people, which for one person are 0 % or 100 % by construction.
PER_PERSON_SHARES = ("manager_overload_share", "vip_manager_overload_share")


def _shown_metrics(kind: str) -> tuple[Metric, ...]:
    """The measures a scope of `kind` is shown by. One customer manager is shown by their own load against the line,
    first, and never by the shares of overloaded managers, which for one person are 0 % or 100 % by construction."""
    carded = tuple(metric for metric in METRICS if metric.code not in AGEING_METRICS)  # the ageing: one table
    if kind != ScopeKind.MANAGER:
        return carded
    return (MANAGER_LOAD, *(metric for metric in carded if metric.code not in PER_PERSON_SHARES))


def _ageing(found: selectors.Figures, scope: selectors.Scope, period: Period, linked: bool) -> list[Card]:
    """The arrears by age (账龄): each bucket's amount and share of the arrears, linked to its customers."""
    return [_card(found.by_metric[code], scope, period, linked) for code in AGEING_METRICS if code in found.by_metric]


def _measure(found: selectors.Figures, metric: Metric) -> selectors.Figure | None:
    """The figure of `metric` among a scope's figures; the load is the customer count against the line."""
    figure = found.by_metric.get(metric.code)
    if figure is None or metric is not MANAGER_LOAD:
        return figure
    return selectors.Figure(metric, figure.numerator, None, figure.value, metric.default_target)


def _card(figure: selectors.Figure, scope: selectors.Scope, period: Period, linked: bool) -> Card:
    on_target = figure.on_target
    status = "secondary" if on_target is None else ("success" if on_target else "danger")
    card = Card(figure, figure.metric.display(figure.value), figure.metric.display(figure.target), status)
    if linked and figure.metric.code in STAFF_DRILLS:
        url, label = STAFF_DRILLS[figure.metric.code]
        card.link, card.link_label, card.link_count = (
            reverse(url) + "?vip=overloaded#vip-load",
            str(label),
            int(figure.numerator),
        )
        return card
    drill = DRILLS.get(figure.metric.code)
    if linked and drill is not None:
        card.link = customers_url(scope, **drill.filters(period))
        card.link_label = str(drill.label)
        if drill.count is not None:
            card.link_count = drill.count(figure.numerator, figure.denominator)
    return card


@dataclass
class Cell:
    display: str
    status: str = ""  # a CSS class: on target or off
    link: str | None = None  # the customers behind a count, when the figures are today's
    link_count: int | None = None

    def __html__(self) -> str:
        """The cell as `format_html` would write it, spelt with f-strings: 750 cells a page (see Row.cells_html)."""
        shown = conditional_escape(self.display)
        if self.link:
            link, count = conditional_escape(self.link), conditional_escape(self.link_count)
            shown = f'<a class="text-reset" data-drill-count="{count}" href="{link}">{shown}</a>'
        return f'<td class="num {conditional_escape(self.status)}">{shown}</td>'


@dataclass
class Row:
    """One scope of the drill-down table."""

    scope: selectors.Scope
    url: str
    cells: list[Cell]  # one per metric shown

    @property
    def cells_html(self) -> str:
        """The row's cells, marked up here rather than in the template: a department's page of 50 managers by 15
        metrics is 750 cells, whose lookups in the template took a sixth of the page's time."""
        return mark_safe("".join([cell.__html__() for cell in self.cells]))  # each cell escapes its own values


def _rows(
    scopes: list[selectors.Scope], period: Period, targets: dict, metrics: tuple[Metric, ...], linked: bool
) -> list[Row]:
    rows = []
    for found in selectors.figures_of_many(scopes, period, targets):
        cells = []
        for metric in metrics:
            figure = _measure(found, metric)
            if figure is None:
                cells.append(Cell("—"))
                continue
            on_target = figure.on_target
            status = "" if on_target is None else ("text-success" if on_target else "text-danger fw-semibold")
            cell = Cell(metric.display(figure.value), status)
            if metric is MANAGER_LOAD and linked:
                cell.link, cell.link_count = customers_url(found.scope), int(figure.numerator)
            cells.append(cell)
        rows.append(Row(found.scope, dashboard_url(found.scope, period), cells))
    return rows


def _managers_counted(scope: selectors.Scope, found: selectors.Figures) -> int | None:
    """How many customer managers a department's table lists: the managers its own overload figure counts, the
    same people (`selectors.department_managers`); None for other scopes, whose children are counted."""
    figure = found.by_metric.get("manager_overload_share")
    if scope.kind != ScopeKind.DEPARTMENT or figure is None or figure.denominator is None:
        return None
    return int(figure.denominator)


def _worst_gaps(scope: selectors.Scope, period: Period) -> list[dict]:
    """The scopes one level down with the most handsets of active customers not on our network (coverage gap)."""
    return [
        {
            "scope": child,
            "url": dashboard_url(child, period),
            "gap": f"{int(row.gap):,}",
            "rate": METRIC_BY_CODE[row.metric].display(row.value),
            "link": customers_url(child, status="active", ordering="-handset_count"),
        }
        for child, row in selectors.worst_coverage_gaps(scope, period)
    ]


def _idle_departments(scope: selectors.Scope, month: Period) -> dict | None:
    """The scope's departments that held no activity in the month shown (SPEC §6.2), counted live: the first
    IDLE_SHOWN and how many there are in one query (a window count); whether there are any departments at all only
    when none is idle."""
    if scope.kind == ScopeKind.MANAGER:
        return None
    if scope.kind == ScopeKind.DEPARTMENT:
        departments = Department.objects.filter(pk=scope.scoped_department.pk)
    else:
        departments = Department.objects.filter(region__path__startswith=scope.scoped_region.path)
    idle = departments_without_activity(departments, month)
    first = list(idle.annotate(idle_count=Window(Count("pk")))[:IDLE_SHOWN])
    if not first and scope.kind == ScopeKind.REGION and not departments.exists():
        return None
    count = first[0].idle_count if first else 0
    return {"month": month, "count": count, "first": first, "shown": IDLE_SHOWN}


def _staleness(user, scope: selectors.Scope, found: selectors.Figures, period: Period) -> dict | None:
    """When the figures were computed, and the jobs that rewrote their customers since (a tier recompute, an
    import), so that the page says they predate them; for those who may, the way to compute them again now."""
    if found.computed_at is None:
        return None
    changes = selectors.changes_since(found.computed_at, scope.extent) if scope.extent is not None else []
    return {
        "computed_at": found.computed_at,
        "as_of": found.as_of,
        "changes": changes,
        "may_recompute": bool(changes) and may(user, RECOMPUTE_RULE),
        "period": period,
    }


def _product_revenue(scope: selectors.Scope, period: Period) -> dict | None:
    """Revenue per product of a region's or department's territory in the month and the year so far, against the
    province's targets (issue 21); None for a manager."""
    if scope.kind == ScopeKind.MANAGER:
        return None
    region = scope.scoped_region if scope.kind == ScopeKind.REGION else scope.scoped_department.region
    rows = selectors.product_revenue(region, period)
    return {"rows": rows, "with_targets": region.level == RegionLevel.PROVINCE, "region": region} if rows else None


class DashboardView(LoginRequiredMixin, View):
    template_name = "kpis/dashboard.html"

    def get(self, request):
        user = request.user
        params = request.GET
        try:
            scope = selectors.scope_for(
                user, region=params.get("region"), department=params.get("department"), manager=params.get("manager")
            )
        except ValueError as exc:
            return render(request, self.template_name, {"error": str(exc)}, status=400)
        latest = selectors.latest_period()
        period = latest
        if params.get("period"):
            try:
                period = Period.parse(params["period"], timezone.localdate())
            except ValueError as exc:
                return render(request, self.template_name, {"scope": scope, "error": _("Period: %s") % exc}, status=400)
        context = {"scope": scope, "period": period, "job": selectors.job_state(), "capacity": MANAGER_CAPACITY}
        context["idle_departments"] = _idle_departments(scope, period or Period.of(timezone.localdate()))
        targets = selectors.targets_for(selectors.province_code(scope.extent))
        if period is None:
            context["empty"] = True
            return render(request, self.template_name, context)
        periods = period.months_back(TREND_MONTHS)
        found, trend = selectors.figures_and_trend(scope, periods, targets)
        if not found.by_metric:
            context["empty"] = True
            return render(request, self.template_name, context)
        linked = period == latest  # lists show today's customers: only the latest month's figures match them
        context["freshness"] = _staleness(user, scope, found, period) if linked else None
        metrics = _shown_metrics(scope.kind)
        measures = {m.code: figure for m in metrics if (figure := _measure(found, m)) is not None}
        cards = [_card(figure, scope, period, linked) for figure in measures.values()]
        facts = {code: _card(found[code], scope, period, linked) for code in ("customer_count", "visits_overdue")}
        sort, descending = params.get("sort", ""), params.get("dir") == "desc"
        page = _page_number(params.get("page"))
        children, children_total = selectors.child_scopes(
            scope,
            period,
            sort=sort,
            descending=descending,
            offset=(page - 1) * ROWS_PER_PAGE,
            limit=ROWS_PER_PAGE,
            total=_managers_counted(scope, found),
        )
        child_kind = children[0].kind if children else None
        row_metrics = _shown_metrics(child_kind or ScopeKind.REGION)
        rows = _rows(children, period, targets, row_metrics, linked)
        context.update(
            {
                "figures": found,
                "cards": cards,
                "facts": facts,
                "linked": linked,
                "months": [str(p) for p in periods],
                "trend_rows": [(str(p), [m.display(trend[m.code][i]) for m in metrics]) for i, p in enumerate(periods)],
                "metrics": metrics,
                "row_metrics": row_metrics,
                "chart_data": {
                    "months": [str(p) for p in periods],
                    "series": [
                        {
                            "code": m.code,
                            "label": str(m.label),
                            "unit": m.unit,
                            "values": [_number(v) for v in trend[m.code]],
                            "target": _number(measures[m.code].target) if m.code in measures else None,
                        }
                        for m in metrics
                    ],
                    "tiers": self._tier_mix(found),
                    "load": None,
                    "labels": {
                        "target": _("Target"),
                        "capacity": _("%(count)s customers") % {"count": MANAGER_CAPACITY},
                        "customers": _("Customers"),
                        "money": _("CNY per month"),
                    },
                },
                "rows": rows,
                "rows_total": children_total,
                "rows_pages": _pages(scope, period, sort, descending, page, children_total),
                "sort": sort,
                "descending": descending,
                "sort_urls": {
                    m.code: dashboard_url(
                        scope, period, sort=m.code, dir="asc" if sort == m.code and descending else "desc"
                    )
                    for m in row_metrics
                },
                "worst_gaps": _worst_gaps(scope, period),
                "ageing": _ageing(found, scope, period, linked),
                "child_kind": child_kind,
                "previous_url": dashboard_url(scope, period.previous()),
                "next_url": dashboard_url(scope, Period(period.end))
                if latest and period.start < latest.start
                else None,
            }
        )
        if scope.kind == ScopeKind.DEPARTMENT:
            load = selectors.department_load(scope.scoped_department, period, limit=selectors.LOAD_DRAWN)
            context["load"] = load
            context["load_rows"] = [
                {
                    "name": manager.display_name,
                    "customers": customers,
                    "overloaded": customers > MANAGER_CAPACITY,
                    "url": f"{_path('accounts:customer-list')}?{urlencode({'manager': manager.username})}"
                    if linked
                    else None,
                }
                for manager, customers in load.busiest
            ]
            context["load_drawn"] = selectors.LOAD_DRAWN
            context["chart_data"]["load"] = {
                "names": [row["name"] for row in context["load_rows"]],
                "customers": [row["customers"] for row in context["load_rows"]],
                "capacity": MANAGER_CAPACITY,
            }
        context["may_see_quota"] = may(user, "tiering.manage_rules") and scope.kind == ScopeKind.REGION
        context["product_revenue"] = _product_revenue(scope, period)
        return render(request, self.template_name, context)

    @staticmethod
    def _tier_mix(found: selectors.Figures) -> list[dict]:
        mix = []
        for code, label in (("tier_share_a", "A+/A"), ("tier_share_b", "B"), ("tier_share_c", "C")):
            figure = found.by_metric.get(code)
            if figure is not None:
                mix.append(
                    {
                        "label": label,
                        "customers": int(figure.numerator),
                        "share": _number(figure.value),
                        "share_display": figure.metric.display(figure.value),
                    }
                )
        return mix


class TargetsView(KeptScopeMixin, View):
    """KPI targets (考核目标) and the computations' record, for provincial staff (their province's targets) and
    headquarters (the national ones)."""

    template_name = "kpis/targets.html"
    scope_permission = "kpis.set_targets"
    scope_refusal = _lazy("Only provincial staff and headquarters keep the KPI targets.")

    def _render(self, request, region: Region, form, status: int = 200):
        own = selectors.own_targets(region)
        inherited = selectors.targets_for(None) if region.code != NATIONAL_CODE else None
        rows = [
            (form[metric.code], metric, own.get(metric.code), inherited and metric.display(inherited[metric.code]))
            for metric in EDITABLE
        ]
        context = {"region": region, "form": form, "rows": rows, "runs": selectors.runs_for(request.user)[:20]}
        return render(request, self.template_name, context, status=status)

    def get(self, request):
        region = self.kept_region(request)
        form = KpiTargetsForm(
            initial_targets=selectors.own_targets(region), initial={"version": services.kpi_targets_version(region)}
        )
        return self._render(request, region, style_form(form, small=True))

    def post(self, request):
        region = self.kept_region(request)
        form = KpiTargetsForm(request.POST, initial_targets=selectors.own_targets(region))
        if not form.is_valid():
            return self._render(request, region, style_form(form, small=True), status=400)
        targets = form.targets()
        try:
            services.kpi_targets_set(
                user=request.user, region=region, targets=targets, version=form.cleaned_data.get("version") or None
            )
        except versions.StaleVersion as refusal:
            refusal.now = form.shown(refusal.now)  # in the page's units (percent), beside the user's
            stale_shown(form, refusal, form.shown(targets))
            return self._render(request, region, style_form(form, small=True), status=400)
        messages.success(request, _("The targets of %(region)s are saved.") % {"region": region.name})
        return HttpResponseRedirect(reverse("kpis:targets"))


class RecomputeView(LoginRequiredMixin, View):
    """Compute the latest month's KPIs again now, on the workers, from the dashboard's notice that its figures
    predate a tier recompute or an import; the run is followed on the jobs page. POST only, from that notice, which
    states what it computes."""

    http_method_names = ["post"]

    def post(self, request):
        if not may(request.user, RECOMPUTE_RULE):
            raise PermissionDenied(_("Only provincial staff and headquarters compute the KPIs again."))
        latest = selectors.latest_period() or Period.of(timezone.localdate())
        if request.POST.get("period") != str(latest):
            messages.error(
                request,
                _("Not started: the latest month is now %(period)s, not the one shown. Look at the figures again.")
                % {"period": latest},
            )
            return HttpResponseRedirect(reverse("kpis:dashboard"))
        try:
            tasks.kpi_recompute_launch(period=latest, triggered_by=request.user)
        except (JobBusy, BrokerUnavailable) as refused:
            messages.error(request, str(refused))
            return HttpResponseRedirect(reverse("kpis:dashboard"))
        messages.success(request, _("The KPIs of %(period)s are being computed again.") % {"period": latest})
        return HttpResponseRedirect(reverse("jobs"))


class ProductTargetsView(LoginRequiredMixin, View):
    """A province's revenue targets per product (issue 21), for a year and its months: provincial staff set their
    province's, headquarters any province's (`?region=`)."""

    template_name = "kpis/product_targets.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not may(request.user, "kpis.set_targets"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def _province(self, request) -> Region:
        if is_headquarters(request.user):
            code = request.GET.get("region") or request.POST.get("region")
            provinces = Region.objects.filter(level=RegionLevel.PROVINCE)
            province = provinces.filter(code=code).first() if code else provinces.order_by("code").first()
            if province is None:
                raise Http404
            return province
        kept = kept_scope(request.user)
        if kept is None or kept.level != RegionLevel.PROVINCE:
            raise Http404
        return kept

    @staticmethod
    def _year(request) -> int:
        text = request.GET.get("year", "")
        return int(text) if text.isdigit() and 2000 <= int(text) <= 2100 else timezone.localdate().year

    def _render(self, request, province: Region, year: int, form, status: int = 200):
        context = {
            "province": province,
            "year": year,
            "form": form,
            "targets": selectors.product_targets(province, year),
            "provinces": Region.objects.filter(level=RegionLevel.PROVINCE).order_by("code")
            if request.user.sees_everything
            else None,
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request):
        province, year = self._province(request), self._year(request)
        initial = {"year": year, "product": request.GET.get("product"), "month": request.GET.get("month")}
        return self._render(request, province, year, style_form(ProductRevenueTargetForm(initial=initial)))

    def post(self, request):
        province = self._province(request)
        form = ProductRevenueTargetForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.product_revenue_target_set(
                    user=request.user,
                    region=province,
                    product=data["product"],
                    year=data["year"],
                    month=data["month"],
                    amount=data["amount"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    _("The revenue target of %(product)s in %(region)s is saved.")
                    % {"product": data["product"].name, "region": province.name},
                )
                query = urlencode(
                    {"year": data["year"], **({"region": province.code} if request.user.sees_everything else {})}
                )
                return HttpResponseRedirect(f"{reverse('kpis:product-targets')}?{query}")
        year = form.cleaned_data.get("year") if form.is_valid() else self._year(request)
        return self._render(request, province, year or self._year(request), style_form(form), status=400)
