from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View

from crm import versions
from crm.forms import stale_shown, style_form
from crm.jobs import BrokerUnavailable
from crm.permissions import may
from crm.services import JobBusy
from crm.visibility import territory_region

from . import selectors, services
from .forms import RuleFormSet, RuleSetForm
from .tasks import tier_recompute_launch


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
    the tier rules page."""

    def post(self, request):
        scope = territory_region(request.user)
        if scope is None:
            raise PermissionDenied(_("You have no territory to recompute."))
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
        return render(request, "tiering/quota.html", {"rows": selectors.quota_report(user=request.user)})


class RuleSetView(RuleSetStaffMixin, View):
    """A rule set: read it, or edit it while a draft, simulate it, and publish it."""

    template_name = "tiering/rule_set.html"

    def render_page(self, rule_set, form, formset, simulation=None):
        context = {
            "rule_set": rule_set,
            "form": form,
            "formset": formset,
            "editable": rule_set.editable_by(self.request.user),
            # the version the publish button sends: the draft as this page shows it, or as it is now after a refusal
            "version": form["version"].value() or services.rule_set_version(rule_set),
        }
        if simulation is not None:
            mixes, movers = simulation
            context.update(mixes=mixes, movers=movers, tiers=["A+", "A", "B", "C"])
        return render(self.request, self.template_name, context)

    def get(self, request, pk: int):
        rule_set = self.get_rule_set(pk)
        form = style_form(RuleSetForm(instance=rule_set, initial={"version": services.rule_set_version(rule_set)}))
        formset = RuleFormSet(instance=rule_set)
        for rule_form in formset:
            style_form(rule_form, small=True)
        simulation = selectors.simulate(rule_set=rule_set, user=request.user) if "simulate" in request.GET else None
        return self.render_page(rule_set, form, formset, simulation)

    def post(self, request, pk: int):
        rule_set = self.get_rule_set(pk)
        if not rule_set.editable_by(self.request.user):
            raise PermissionDenied
        if "publish" in request.POST:
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
