"""Pages of products and coverage (SPEC §6.1)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View

from crm.forms import add_service_errors, style_form
from crm.models import Department, RegionLevel, Role
from crm.paginator import CountedPaginator
from crm.periods import Period
from crm.visibility import territory_path, visible_customers, visible_regions
from teams.selectors import staff_pool

from . import selectors, services
from .forms import ActivityForm, CallListBuildForm, CallOutcomeForm, CampaignForm, DoNotCallForm, PlanMoveForm
from .models import MAX_ATTEMPTS, CallList, CallOutcome, CoverageThresholds, DoNotCall, PlanStage
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


# -- campaigns (SPEC §6.2) -----------------------------------------------------------------------------------------


class CampaignListView(LoginRequiredMixin, View):
    """The campaigns the user sees, newest first, with their plans and how many are opened."""

    template_name = "campaigns/campaign_list.html"
    page_size = 30

    def get(self, request):
        campaigns = selectors.campaigns_for(request.user).order_by("-starts_on", "-id")
        page = Paginator(campaigns, self.page_size).get_page(request.GET.get("page"))
        page.object_list = selectors.plan_counts(request.user, page.object_list)
        today = timezone.localdate()
        return render(
            request,
            self.template_name,
            {"page": page, "today": today, "may_plan": request.user.may_manage_teams},
        )


class CampaignCreateView(LoginRequiredMixin, View):
    """Plan a campaign: creating it gives every matching customer a plan (一户一案)."""

    template_name = "campaigns/campaign_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.may_manage_teams:
            raise PermissionDenied(_("Campaigns are planned by department heads and provincial staff."))
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return render(request, self.template_name, {"form": style_form(CampaignForm(user=request.user))})

    def post(self, request):
        form = CampaignForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                campaign = services.campaign_create(user=request.user, data=form.service_data())
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Campaign %(name)s planned: %(count)s customer plans.")
                    % {"name": campaign.name, "count": campaign.plans.count()},
                )
                return HttpResponseRedirect(reverse("campaigns:campaign", args=[campaign.pk]))
        return render(request, self.template_name, {"form": style_form(form)}, status=400)


# The owner filter's value for plans without an owner: no username can be it (usernames are letters, digits, @.+-_).
NO_OWNER = "(none)"


class CampaignDetailView(LoginRequiredMixin, View):
    """A campaign: the funnel by stage, results against the goal, progress per manager, channel conflicts, its
    activities, and its plans (the reader's customers only), each movable along the path."""

    template_name = "campaigns/campaign_detail.html"
    page_size = 50
    managers_shown = 30  # the busiest owners; the plans table filters by any owner

    def get(self, request, pk: int):
        campaign = get_object_or_404(selectors.campaigns_for(request.user), pk=pk)
        plans = selectors.plans_for(request.user, campaign)
        progress, managers = selectors.campaign_progress(campaign, plans)
        shown, count = plans, progress.plans
        stage, owner = request.GET.get("stage", ""), request.GET.get("owner", "")
        if stage in PlanStage.values:
            shown, count = shown.filter(stage=stage), progress.by_stage.get(stage, 0)
        if owner:
            # the plans nobody owns (their customer had no customer manager when the campaign was planned)
            username = None if owner == NO_OWNER else owner
            mine = next((row for row in managers if row.username == username), None)
            shown = shown.filter(owner__isnull=True) if username is None else shown.filter(owner__username=owner)
            count = (mine.stages.get(stage, 0) if stage in PlanStage.values else mine.total) if mine else 0
        # the counts above are those of the plans shown: no COUNT(*) of the plans again
        page = CountedPaginator(shown, self.page_size, count=count).get_page(request.GET.get("page"))
        conflicts = (
            selectors.campaigns_for(request.user)
            .filter(pk__in=selectors.conflicts_of(campaign))
            .select_related("department")
        )
        query = urlencode({key: value for key, value in (("stage", stage), ("owner", owner)) if value})
        context = {
            "campaign": campaign,
            "progress": progress,
            "managers": managers[: self.managers_shown],
            "managers_count": len(managers),
            "stages": PlanStage.choices,
            "page": page,
            "stage": stage,
            "owner": owner,
            "query": query,
            "conflicts": conflicts,
            "segment_coverage": [COVERAGE_LABELS[status] for status in campaign.segment.get("coverage", [])],
            "activities": campaign.activities.prefetch_related("staff")[:20],
            "openable": {campaign.pk},
            "move_form": PlanMoveForm(),
            "chart_data": {
                "funnel": [{"label": str(label), "plans": count} for _stage, label, count in progress.funnel],
            },
            "may_record": request.user.may_manage_teams or request.user.role == Role.ACCOUNT_MANAGER,
        }
        return render(request, self.template_name, context)


class PlanMoveView(LoginRequiredMixin, View):
    """Move one plan along the path from the campaign page (or the customer page): back only with a reason."""

    def post(self, request, pk: int, plan: int):
        campaign = get_object_or_404(selectors.campaigns_for(request.user), pk=pk)
        found = get_object_or_404(selectors.plans_for(request.user, campaign), pk=plan)
        form = PlanMoveForm(request.POST)
        back = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = reverse("campaigns:campaign", args=[campaign.pk])
        if not form.is_valid():
            messages.error(request, _("Choose a stage."))
            return HttpResponseRedirect(back)
        try:
            services.plan_stage_set(user=request.user, plan=found, **form.cleaned_data)
        except ValidationError as error:
            messages.error(
                request,
                _("%(customer)s: not moved. %(error)s") % {"customer": found.customer.name, "error": error.messages[0]},
            )
        else:
            messages.success(
                request,
                _("%(customer)s: moved to %(stage)s.")
                % {"customer": found.customer.name, "stage": found.get_stage_display()},
            )
        return HttpResponseRedirect(back)


# -- activities (现场活动) -------------------------------------------------------------------------------------------


class ActivityListView(LoginRequiredMixin, View):
    """The month's activities in the user's territory, and the departments that have held none (SPEC §6.2)."""

    template_name = "campaigns/activity_list.html"

    def get(self, request):
        today = timezone.localdate()
        try:
            month = Period.parse(request.GET["month"], today) if request.GET.get("month") else Period.of(today)
        except ValueError as exc:
            return render(request, self.template_name, {"error": _("Month: %s") % exc}, status=400)
        path = territory_path(request.user)
        departments = Department.objects.none() if path is None else Department.objects.all()
        if path:
            departments = departments.filter(region__path__startswith=path)
        activities = list(
            selectors.activities_for(request.user).filter(held_on__gte=month.start, held_on__lt=month.end)
        )
        # the campaigns the reader may open, to link to (an activity of the territory may belong to one beyond it)
        openable = set(
            selectors.campaigns_for(request.user)
            .filter(pk__in={activity.campaign_id for activity in activities if activity.campaign_id})
            .values_list("pk", flat=True)
        )
        context = {
            "month": month,
            "previous": month.previous(),
            "next": Period(month.end) if month.end <= today else None,
            "activities": activities,
            "openable": openable,
            "idle": selectors.departments_without_activity(departments, month),
            "may_record": request.user.may_manage_teams or request.user.role == Role.ACCOUNT_MANAGER,
        }
        return render(request, self.template_name, context)


class ActivityCreateView(LoginRequiredMixin, View):
    """Record a site activity after the day: date, place, staff, attendance and results."""

    template_name = "campaigns/activity_form.html"

    def _form(self, request, data=None):
        campaigns = selectors.campaigns_for(request.user).order_by("-starts_on")
        form = ActivityForm(data, user=request.user, campaigns=campaigns)
        if data is None and request.GET.get("campaign", "").isdigit():
            form.initial["campaign"] = campaigns.filter(pk=request.GET["campaign"]).first()
        return form

    def get(self, request):
        return render(request, self.template_name, {"form": style_form(self._form(request))})

    def post(self, request):
        form = self._form(request, request.POST)
        if form.is_valid():
            data = {key: value for key, value in form.cleaned_data.items() if key != "department" or value}
            try:
                activity = services.activity_record(user=request.user, data=data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Activity at %(place)s recorded.") % {"place": activity.place})
                if activity.campaign_id:
                    return HttpResponseRedirect(reverse("campaigns:campaign", args=[activity.campaign_id]))
                return HttpResponseRedirect(reverse("campaigns:activities"))
        return render(request, self.template_name, {"form": style_form(form)}, status=400)


# -- outbound call lists (外呼, SPEC §6.3) --------------------------------------------------------------------------

STAFF_SUGGESTIONS = 2000
CAMPAIGN_CALL_LISTS_SHOWN = 100


class CallListsView(LoginRequiredMixin, View):
    """My call lists (我的外呼): the lists I call, open ones first, with how many numbers are still to call."""

    template_name = "campaigns/call_lists.html"
    page_size = 50

    def get(self, request):
        lists = selectors.call_lists_ordered(
            CallList.objects.filter(agent=request.user).select_related("campaign", "created_by")
        )
        page = Paginator(lists, self.page_size).get_page(request.GET.get("page"))
        page.object_list = selectors.call_lists_counted(request.user, page.object_list)
        return render(request, self.template_name, {"page": page, "query": ""})


class CallListView(LoginRequiredMixin, View):
    """One call list: its numbers (the ones still to call first), and for its agent a form per number to record a
    call's outcome, and a button to close the list. Seen by its agent, its builder and those who see its campaign;
    numbers whole only for the customer's customer manager."""

    template_name = "campaigns/call_list.html"
    page_size = 50

    def _render(self, request, call_list: CallList, form: CallOutcomeForm | None = None, status: int = 200):
        entries = selectors.call_entries_for(request.user, call_list)
        (counted,) = selectors.call_lists_counted(request.user, [call_list])  # both counts in one query
        page = CountedPaginator(entries, self.page_size, count=counted.entries_count).get_page(request.GET.get("page"))
        owned = selectors.customers_owned(request.user, {entry.customer_id for entry in page})
        for entry in page:
            entry.shown = entry.mobile if entry.customer_id in owned else mask_mobile(entry.mobile)
        errors = [text for texts in form.errors.values() for text in texts] if form is not None else []
        failed = str(form.data.get("entry", "")) if errors else ""
        context = {
            "call_list": call_list,
            "page": page,
            "query": "",
            "pending": counted.pending_count,
            "max_attempts": MAX_ATTEMPTS,
            "outcomes": CallOutcome.choices,
            "may_record": call_list.is_open and call_list.agent_id == request.user.pk,
            "may_close": call_list.is_open and request.user.pk in (call_list.agent_id, call_list.created_by_id),
            "form": form,
            "failed_entry": int(failed) if failed.isdigit() else None,  # the row the errors belong to
            "errors": errors,
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request, pk: int):
        call_list = get_object_or_404(selectors.call_lists_for(request.user).select_related("created_by"), pk=pk)
        return self._render(request, call_list)

    def post(self, request, pk: int):
        call_list = get_object_or_404(selectors.call_lists_for(request.user).select_related("created_by"), pk=pk)
        back = reverse("campaigns:call-list", args=[call_list.pk])
        if request.GET.get("page", "").isdigit():
            back += f"?page={request.GET['page']}"
        if "close" in request.POST:
            services.call_list_close(user=request.user, call_list=call_list)
            messages.success(request, _("The call list is closed."))
            return HttpResponseRedirect(back)
        form = CallOutcomeForm(request.POST)
        if not form.is_valid():
            return self._render(request, call_list, form, status=400)
        entry = selectors.call_entries_for(request.user, call_list).filter(pk=form.cleaned_data["entry"]).first()
        if entry is None:
            form.add_error(None, _("This number is no longer on the list."))
            return self._render(request, call_list, form, status=400)
        outcome = form.cleaned_data["outcome"]
        try:
            services.call_outcome_record(
                user=request.user, entry=entry, outcome=outcome, note=form.cleaned_data["note"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self._render(request, call_list, form, status=400)
        if outcome == CallOutcome.DO_NOT_CALL:
            messages.success(
                request,
                _("%(name)s is on the do-not-call list now, and off every open call list.") % {"name": entry.name},
            )
        else:
            messages.success(
                request,
                _("%(name)s: %(outcome)s recorded.") % {"name": entry.name, "outcome": CallOutcome(outcome).label},
            )
        return HttpResponseRedirect(back)


class CampaignCallsView(LoginRequiredMixin, View):
    """A campaign's outbound calls: calls per agent per day with the acceptance rate (over the customers the reader
    sees), its call lists, and a form to build one."""

    template_name = "campaigns/calls.html"

    def _form(self, request, data=None) -> CallListBuildForm:
        return CallListBuildForm(data, may_name_agent=request.user.may_manage_teams)

    def _render(self, request, campaign, form: CallListBuildForm, status: int = 200):
        rows = selectors.call_report(user=request.user, campaign=campaign)
        lists = selectors.call_lists_ordered(
            selectors.call_lists_for(request.user).filter(campaign=campaign).select_related("created_by")
        )
        staff = []
        if request.user.may_manage_teams:
            staff = (
                staff_pool(request.user)
                .order_by("username")
                .only("username", "first_name", "last_name")[:STAFF_SUGGESTIONS]
            )
        context = {
            "campaign": campaign,
            "rows": rows,
            "total": selectors.call_total(rows),
            "call_lists": selectors.call_lists_counted(request.user, lists[:CAMPAIGN_CALL_LISTS_SHOWN]),
            "form": style_form(form, small=True),
            "staff": staff,
            "max_attempts": MAX_ATTEMPTS,
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request, pk: int):
        campaign = get_object_or_404(selectors.campaigns_for(request.user), pk=pk)
        return self._render(request, campaign, self._form(request))

    def post(self, request, pk: int):
        campaign = get_object_or_404(selectors.campaigns_for(request.user), pk=pk)
        form = self._form(request, request.POST)
        if not form.is_valid():
            return self._render(request, campaign, form, status=400)
        try:
            call_list = services.call_list_build(
                user=request.user,
                campaign=campaign,
                source=form.cleaned_data["source"],
                agent=form.cleaned_data.get("agent"),
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self._render(request, campaign, form, status=400)
        messages.success(
            request,
            ngettext(
                "Call list built: %(count)d number for %(agent)s.",
                "Call list built: %(count)d numbers for %(agent)s.",
                call_list.entries_count,
            )
            % {"count": call_list.entries_count, "agent": call_list.agent.display_name},
        )
        if call_list.agent_id == request.user.pk:
            return HttpResponseRedirect(reverse("campaigns:call-list", args=[call_list.pk]))
        return HttpResponseRedirect(reverse("campaigns:calls", args=[campaign.pk]))
