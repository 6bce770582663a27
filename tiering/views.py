from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from accounts import selectors as customer_selectors
from crm import audit, versions
from crm.forms import stale_shown, style_form
from crm.jobs import BrokerUnavailable
from crm.models import AuditAction, Region, RegionLevel
from crm.paginator import CountedPaginator
from crm.permissions import may, require
from crm.services import JobBusy
from crm.visibility import territory_region

from . import exports, selectors, services
from .forms import OverrideDecisionForm, RuleFormSet, RuleSetForm, TierOverrideForm
from .models import RuleSetStatus
from .reasons import reasons_text, words_for
from .tasks import tier_recompute_launch

MOVERS_PAGE_SIZE = 50


class RuleSetStaffMixin(LoginRequiredMixin):
    """Tier rules are maintained by provincial staff and headquarters."""

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not may(user, "tiering.manage_rules"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_rule_set(self, pk: int):
        return get_object_or_404(selectors.rule_sets_for(self.request.user), pk=pk)


class RuleSetListView(RuleSetStaffMixin, View):
    def get(self, request):
        return render(
            request,
            "tiering/rule_set_list.html",
            {"rule_sets": selectors.rule_sets_for(request.user), "runs": selectors.job_runs_for(request.user)[:20]},
        )

    def post(self, request):
        draft = services.rule_set_draft_create(user=request.user)
        messages.success(
            request, _("Draft %(name)s v%(version)s created.") % {"name": draft.name, "version": draft.version}
        )
        return redirect("tiering:rule-set", pk=draft.pk)


class RecomputeView(RuleSetStaffMixin, View):
    """Recompute the tiers of the user's territory now, on the workers, like the nightly job; the run is listed on
    the tier rules page. A GET previews it (the scope and how many customers); the POST of that preview, which
    carries the scope shown, starts it (issue 18, point 7)."""

    def scope(self, request):
        scope = territory_region(request.user)
        if scope is None:
            raise PermissionDenied(_("You have no territory to recompute."))
        return scope

    def get(self, request):
        preview = selectors.recompute_preview(user=request.user, scope=self.scope(request))
        return render(request, "tiering/recompute_confirm.html", {"preview": preview})

    def post(self, request):
        scope = self.scope(request)
        if "confirm" not in request.POST:
            return redirect("tiering:recompute")  # nothing starts before its preview was seen and confirmed
        if request.POST.get("scope") != scope.code:
            messages.error(
                request,
                _("Not started: your territory is now %(scope)s, not the one previewed. Check the preview again.")
                % {"scope": scope.name},
            )
            return redirect("tiering:recompute")
        try:
            tier_recompute_launch(scope=scope, source="manual", triggered_by=request.user)
        except (JobBusy, BrokerUnavailable) as refused:
            messages.error(request, str(refused))
        else:
            messages.success(
                request, _("The recompute of %(scope)s has started; its run is listed below.") % {"scope": scope.name}
            )
        return redirect("tiering:rule-sets")


class QuotaReportView(RuleSetStaffMixin, View):
    """Tier shares against the quota principle (≈5 / 25 / 70 %) per province and city, deviations over 3 points
    flagged."""

    def get(self, request):
        report = selectors.quota_report(user=request.user)
        return render(request, "tiering/quota.html", {"rows": report.rows, "as_of": report.as_of})


class SimulationMoversExportView(RuleSetStaffMixin, View):
    """Every customer the user sees that a rule set would move, with its reasons, as CSV streamed in constant memory
    (the simulation's page shows them a page at a time)."""

    def get(self, request, pk: int):
        rule_set = self.get_rule_set(pk)
        try:
            city = selectors.simulation_city(rule_set=rule_set, code=request.GET.get("city"))
        except ValidationError as refused:
            return HttpResponseBadRequest(" ".join(refused.messages), content_type="text/plain; charset=utf-8")
        movers = selectors.simulation_movers(rule_set=rule_set, user=request.user, city=city)
        cities = dict(Region.objects.filter(level=RegionLevel.CITY).values_list("code", "name"))
        audit.record(
            user=request.user,
            action=AuditAction.EXPORT,
            obj=rule_set,
            region_path=rule_set.scope.path,
            detail={"format": "csv", "export": "simulation_movers", "city": city.code if city else None},
        )
        name, fallback = exports.movers_file_names(
            scope_name=(city or rule_set.scope).name,
            scope_code=(city or rule_set.scope).code,
            version=rule_set.version,
            day=timezone.localdate(),
        )
        response = StreamingHttpResponse(exports.MoversCSV(movers, cities), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = exports.attachment(name, fallback)
        return response


class RuleSetView(RuleSetStaffMixin, View):
    """A rule set: read it, or edit it while a draft, simulate it, and publish it."""

    template_name = "tiering/rule_set.html"

    def render_page(self, rule_set, form, formset, simulation=None, publish_preview=False):
        context = {
            "publish_preview": publish_preview,
            "query": "publish=1" if publish_preview else "simulate=1",
            "rule_set": rule_set,
            "form": form,
            "formset": formset,
            "editable": rule_set.editable_by(self.request.user),
            # the rules in force: the way on is a recompute now (its preview), for those who may start one
            "may_recompute": self.in_force_for_user(rule_set),
            # the version the publish button sends: the draft as this page shows it, or as it is now after a refusal
            "version": form["version"].value() or services.rule_set_version(rule_set),
        }
        if simulation is not None:
            movers = self.movers_page(rule_set, simulation)
            context.update(simulation=simulation, movers=movers, city=movers.city, mode=context["query"])
            if movers.city is not None:
                context["query"] += f"&city={movers.city.code}"
        return render(self.request, self.template_name, context)

    def in_force_for_user(self, rule_set) -> bool:
        """The set is published and the user's recompute would apply it: it lies within their territory (a province's
        own set, for its staff or headquarters), or it is the one in force there (the national set, for the staff of
        a province without its own)."""
        if rule_set.status != RuleSetStatus.PUBLISHED:
            return False
        territory = territory_region(self.request.user)
        if territory is None:
            return False
        return rule_set.scope.path.startswith(territory.path) or (
            selectors.rule_set_for_region(territory).pk == rule_set.pk
        )

    def movers_page(self, rule_set, simulation):
        """One page of the customers who would move, each with its reasons now and under the rule set as people read
        them (`tiering.reasons`); the count is the simulation's, not a second pass over the customers."""
        try:
            city = selectors.simulation_city(rule_set=rule_set, code=self.request.GET.get("city"))
        except ValidationError as refused:
            messages.error(self.request, " ".join(refused.messages))
            city = None
        rows = {row.code: row for row in simulation.rows if row.level == "city"}
        moved = simulation.moved if city is None else getattr(rows.get(city.code), "moved", 0)
        # nobody moves: no query at all (looking for the first mover would read every customer to find none)
        movers = selectors.simulation_movers(rule_set=rule_set, user=self.request.user, city=city) if moved else []
        page = CountedPaginator(movers, MOVERS_PAGE_SIZE, count=moved).get_page(self.request.GET.get("page"))
        page.city = city
        reasons = [reason for mover in page for reason in (*(mover.new_reasons or []), *(mover.tier_reasons or []))]
        words = words_for(reasons)
        cities = {row.code: row.name for row in simulation.rows}
        for mover in page:
            mover.city_name = cities.get(mover.city, "")
            mover.new_reasons_text = reasons_text(mover.new_reasons or [], words)
            mover.reasons_text = reasons_text(mover.tier_reasons or [], words)
        return page

    def get(self, request, pk: int):
        rule_set = self.get_rule_set(pk)
        form = style_form(RuleSetForm(instance=rule_set, initial={"version": services.rule_set_version(rule_set)}))
        formset = RuleFormSet(instance=rule_set)
        for rule_form in formset:
            style_form(rule_form, small=True)
        # publishing is previewed: the simulation's summary, then a confirmation that carries the version shown
        preview = "publish" in request.GET and rule_set.editable_by(request.user)
        simulation = None
        if preview or "simulate" in request.GET:
            simulation = selectors.simulate(rule_set=rule_set, user=request.user)
        return self.render_page(rule_set, form, formset, simulation, publish_preview=preview)

    def post(self, request, pk: int):
        rule_set = self.get_rule_set(pk)
        if not rule_set.editable_by(self.request.user):
            raise PermissionDenied
        if "publish" in request.POST:
            if "confirm" not in request.POST or not request.POST.get("version"):
                # nothing is published before the preview of what it does was seen, and confirmed for that version
                return redirect(f"{request.path}?publish=1")
            try:
                services.rule_set_publish(
                    rule_set=rule_set, user=request.user, version=request.POST.get("version") or None
                )
            except (ValidationError, versions.StaleVersion) as refused:
                text = refused.message if isinstance(refused, versions.StaleVersion) else " ".join(refused.messages)
                messages.error(request, _("Not published. %(reason)s") % {"reason": text})
                return redirect("tiering:rule-set", pk=rule_set.pk)
            messages.success(request, _("Published. The next recompute applies these rules."))
            return redirect("tiering:rule-set", pk=rule_set.pk)
        form = RuleSetForm(request.POST, instance=rule_set)
        formset = RuleFormSet(request.POST, instance=rule_set)
        if form.is_valid() and formset.is_valid():

            def save() -> None:
                form.save()
                formset.save()

            try:
                services.rule_set_draft_save(
                    user=request.user, rule_set=rule_set, save=save, version=form.cleaned_data.get("version") or None
                )
            except versions.StaleVersion as refusal:
                stale_shown(form, refusal, form.cleaned_data)
                messages.error(request, refusal.message)
                return self.render_page(rule_set, style_form(form), formset)
            messages.success(request, _("Draft saved."))
            return redirect(f"{request.path}?simulate=1")
        style_form(form)
        for rule_form in formset:
            style_form(rule_form, small=True)
        messages.error(request, _("Nothing was saved. Please correct the fields marked below."))
        return self.render_page(rule_set, form, formset)


# -- manual tier overrides (人工调级): requests, the staff's queue, decisions ----------------------------------------


class TierOverrideRequestView(LoginRequiredMixin, View):
    """Ask for a manual tier of a customer (its department head or customer manager), which provincial staff
    then approve or reject; provincial staff and headquarters set one here directly, in force at once."""

    template_name = "tiering/override_form.html"

    def get_customer(self, request, code: str):
        customer = customer_selectors.customer_get(user=request.user, code=code)  # outsiders: 404
        direct = may(request.user, "tiering.override_tier", customer)
        if not direct:
            require(request.user, "tiering.request_override", customer)
        return customer, direct

    def render_page(self, request, customer, direct: bool, form):
        overrides = selectors.customer_overrides(customer)
        context = {"customer": customer, "direct": direct, "form": style_form(form), "overrides": overrides}
        return render(request, self.template_name, context)

    def get(self, request, code: str):
        customer, direct = self.get_customer(request, code)
        today = timezone.localdate()
        initial = {"expires_on": today + datetime.timedelta(days=90)}
        renewed = self.renewed(request, customer)
        if renewed is not None:
            # a renewal (from the queue's list of overrides about to expire): the same tier and reason, 90 more days
            # from the day it would end, within the year a manual tier may last
            until = min(max(renewed.expires_on, today) + datetime.timedelta(days=90), services.one_year_after(today))
            initial = {"tier": renewed.tier, "reason": renewed.reason, "expires_on": until}
        return self.render_page(request, customer, direct, TierOverrideForm(initial=initial, direct=direct))

    @staticmethod
    def renewed(request, customer):
        """The customer's override in force that `?renew=<id>` names, or None (any other id is ignored)."""
        wanted = request.GET.get("renew", "")
        in_force = selectors.customer_overrides(customer)["in_force"] if wanted.isdigit() else None
        return in_force if in_force is not None and str(in_force.pk) == wanted else None

    def post(self, request, code: str):
        customer, direct = self.get_customer(request, code)
        form = TierOverrideForm(request.POST, direct=direct)
        if form.is_valid():
            service = services.tier_override_set if direct else services.tier_override_request
            try:
                override = service(customer=customer, user=request.user, **form.cleaned_data)
            except ValidationError as refused:
                form.add_error(None, refused)
            else:
                if direct:
                    text = _("Tier %(tier)s set by hand until %(until)s.")
                else:
                    text = _("Tier %(tier)s until %(until)s requested; provincial staff will decide.")
                messages.success(request, text % {"tier": override.tier, "until": override.expires_on})
                return redirect("accounts:customer-detail", code=customer.code)
        return self.render_page(request, customer, direct, form)


class OverrideQueueView(LoginRequiredMixin, View):
    """Provincial staff's queue: the requests waiting in their territory, each approved or rejected from here, and
    the overrides in force that expire within 7 days."""

    def get(self, request):
        require(request.user, "tiering.review_overrides")
        waiting = list(selectors.override_requests_waiting(request.user))
        for request_row in waiting:
            # `tiering.decide_override` without a query a row: the rows are within what the user sees, so only
            # whether they asked for it themselves is left to tell (the service asks the whole rule)
            request_row.may_decide = request_row.requested_by_id != request.user.pk
        context = {
            "waiting": waiting,
            "expiring": selectors.overrides_expiring(request.user),
            # ending or renewing one (`tiering.override_tier`: provincial staff or headquarters over the customer):
            # whoever reviews the queue holds that role, and its rows are within what they see (the services ask the
            # whole rule again)
            "may_set": True,
            "days": selectors.EXPIRING_WITHIN_DAYS,
            "form": style_form(OverrideDecisionForm(), small=True),
        }
        return render(request, "tiering/override_queue.html", context)


class OverrideDecideView(LoginRequiredMixin, View):
    """Approve or reject one request (the button pressed), with a note; back to the queue."""

    def post(self, request, pk: int):
        override = selectors.override_get(user=request.user, pk=pk)  # outsiders: 404
        form = OverrideDecisionForm(request.POST)
        note = form.cleaned_data["note"] if form.is_valid() else ""
        decision = request.POST.get("decision")
        try:
            if decision == "approve":
                services.tier_override_approve(override=override, user=request.user, note=note)
                text = _("Approved: %(customer)s is tier %(tier)s until %(until)s.")
            elif decision == "reject":
                services.tier_override_reject(override=override, user=request.user, note=note)
                text = _("Rejected: %(customer)s keeps its tier.")
            else:
                raise ValidationError(_("Choose to approve or to reject the request."))
        except ValidationError as refused:
            messages.error(
                request,
                _("Nothing was decided for %(customer)s. %(reason)s")
                % {"customer": override.customer.name, "reason": " ".join(refused.messages)},
            )
        else:
            facts = {"customer": override.customer.name, "tier": override.tier, "until": override.expires_on}
            messages.success(request, text % facts)
        return redirect("tiering:overrides")


class OverrideWithdrawView(LoginRequiredMixin, View):
    """The requester takes back their request while it waits."""

    def post(self, request, pk: int):
        override = selectors.override_get(user=request.user, pk=pk)  # outsiders: 404
        try:
            services.tier_override_withdraw(override=override, user=request.user)
        except ValidationError as refused:
            messages.error(request, " ".join(refused.messages))
        else:
            messages.success(request, _("Request withdrawn."))
        return redirect("accounts:customer-detail", code=override.customer.code)


class OverrideRemoveView(LoginRequiredMixin, View):
    """Provincial staff end the override in force; the customer takes the rules' tier again."""

    def post(self, request, pk: int):
        override = selectors.override_get(user=request.user, pk=pk)  # outsiders: 404
        require(request.user, "tiering.override_tier", override.customer)
        try:
            services.tier_override_remove(customer=override.customer, user=request.user)
        except ValidationError as refused:
            messages.error(request, " ".join(refused.messages))
        else:
            messages.success(request, _("The manual tier has ended; the rules' tier applies again."))
        if request.POST.get("next") == "queue":  # removed from the queue's list of overrides about to expire
            return redirect(f"{reverse('tiering:overrides')}#expiring")
        return redirect("accounts:customer-detail", code=override.customer.code)
