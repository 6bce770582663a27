"""Pages of campaigns, their plans and activities (SPEC §6.2)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View

from crm import jobboard, versions
from crm.forms import add_service_errors, style_form
from crm.jobs import BrokerUnavailable
from crm.paginator import CountedPaginator
from crm.periods import Period
from crm.permissions import may, require
from crm.visibility import territory_departments

from .. import jobboard as creation_board
from .. import selectors, services
from ..forms import ActivityForm, CampaignCancelForm, CampaignForm, PlanMoveForm
from ..models import PlanStage
from ..rules import COVERAGE_LABELS
from ..selectors.channels import credits_for
from ..services import creations
from ..tasks import campaign_creation_launch


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
            {"page": page, "today": today, "may_plan": may(request.user, "campaigns.plan")},
        )


class CampaignCreateView(LoginRequiredMixin, View):
    """Plan a campaign: creating it gives every matching customer a plan (一户一案)."""

    template_name = "campaigns/campaign_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:  # the anonymous are sent to log in
            require(request.user, "campaigns.plan")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return render(request, self.template_name, {"form": style_form(CampaignForm(user=request.user))})

    def post(self, request):
        """Two steps: the form posts to a preview (the plans and the conflicts, nothing created); the preview posts
        the same fields back with `step=confirm` and the preview's fingerprint, and only then is the campaign
        created, exactly as previewed, or the changed numbers shown again. `step=edit` goes back to the form."""
        form = CampaignForm(request.POST, user=request.user)
        step = request.POST.get("step", "preview")
        if not form.is_valid():
            return render(request, self.template_name, {"form": style_form(form)}, status=400)
        if step == "edit":
            return render(request, self.template_name, {"form": style_form(form)})
        data = form.service_data()
        try:
            if step == "confirm":
                plans, fingerprint = _previewed_plans(request), request.POST.get("fingerprint", "")
                if fingerprint and creations.background_wanted(plans):
                    return self._in_background(request, form, data, fingerprint, plans or 0)
                campaign = services.campaign_create(
                    user=request.user, data=data, expected=request.POST.get("fingerprint", "")
                )
                messages.success(
                    request,
                    _("Campaign %(name)s planned: %(count)s customer plans.")
                    % {"name": campaign.name, "count": campaign.plans.count()},
                )
                return HttpResponseRedirect(reverse("campaigns:campaign", args=[campaign.pk]))
            preview = services.campaign_preview(user=request.user, data=data)
            if not preview.plans:
                raise ValidationError(
                    {"segment": _("The segment matches no customer in the region: nothing to create.")}
                )
        except services.PreviewChanged as changed:
            return self._preview(request, form, data, changed.preview, changed=True)
        except ValidationError as error:
            add_service_errors(form, error)
            return render(request, self.template_name, {"form": style_form(form)}, status=400)
        return self._preview(request, form, data, preview)

    def _in_background(self, request, form, data: dict, fingerprint: str, plans: int):
        """A large campaign is created by a worker: the page answers at once with the run's page, which follows
        it. The same confirmation sent again lands on the same run."""
        try:
            run = campaign_creation_launch(
                user=request.user,
                data=data,
                fingerprint=fingerprint,
                plans=plans,
                language=translation.get_language() or "",
            )
        except BrokerUnavailable as down:
            form.add_error(None, str(down))
            return render(request, self.template_name, {"form": style_form(form)}, status=503)
        return HttpResponseRedirect(run.get_absolute_url())

    def _preview(self, request, form, data: dict, preview, changed: bool = False):
        context = {
            "form": form,
            "data": data,
            "department": data.get("department") or request.user.department,
            "preview": preview,
            "changed": changed,
            "background": creations.background_wanted(preview.plans),
            "coverage_labels": [COVERAGE_LABELS[status] for status in data["segment"]["coverage"]],
            "industries": form.cleaned_data["industries"],
        }
        # 409: the confirmation met numbers other than those the user confirmed; nothing was created
        return render(request, "campaigns/campaign_preview.html", context, status=409 if changed else 200)


def _previewed_plans(request) -> int | None:
    """The plan count of the preview being confirmed (the preview posts it back); None when not given."""
    value = request.POST.get("plans", "")
    return int(value) if value.isdigit() and len(value) <= 9 else None


class CampaignCreationView(LoginRequiredMixin, View):
    """A campaign being created by a worker: its step and progress, followed in place (`?poll=1` answers the run as
    JSON); once over, the campaign it created, or why it failed with a way to preview it again. Its starter and
    the planners of its territory see it; anyone else gets a 404."""

    template_name = "campaigns/campaign_creation.html"

    def get(self, request, pk: int):
        run = get_object_or_404(selectors.creation_runs_for(request.user), pk=pk)
        row = creation_board.KIND.row(run)
        campaign_url = reverse("campaigns:campaign", args=[run.campaign_id]) if run.campaign_id else ""
        if request.GET.get("poll"):
            return JsonResponse({**row.as_json(), "campaign_url": campaign_url}, headers={"Cache-Control": "no-store"})
        context = {
            "run": run,
            "row": row,
            "campaign_url": campaign_url,
            "again": _form_fields(run.data) if row.status == jobboard.FAILED else [],
            "may_plan": may(request.user, "campaigns.plan"),
        }
        return render(request, self.template_name, context)


def _form_fields(stored: dict) -> list[tuple[str, str]]:
    """A run's campaign as the campaign form's fields, to preview it again."""
    segment = stored.get("segment") or {}
    fields: list[tuple[str, str]] = [
        (name, "" if stored.get(name) is None else str(stored[name]))
        for name in ("name", "kind", "department", "region", "starts_on", "ends_on", "goal_openings", "goal_revenue")
    ]
    fields += [("target_products", code) for code in stored.get("target_products") or []]
    fields += [(key, str(value)) for key in ("tiers", "industries", "coverage") for value in segment.get(key) or []]
    return fields


class CampaignCancelView(LoginRequiredMixin, View):
    """Cancel a campaign: a preview of what it closes (its plans by where they stand, its open call lists), and a
    reason, then the confirmation. The plans are kept, closed."""

    template_name = "campaigns/campaign_cancel.html"

    def _campaign(self, request, pk: int):
        campaign = get_object_or_404(selectors.campaigns_for(request.user), pk=pk)
        if not services.campaign_may_cancel(request.user, campaign):
            raise PermissionDenied(_("Only department heads and provincial staff of its territory cancel a campaign."))
        return campaign

    def _render(self, request, campaign, form, status: int = 200):
        context = {"campaign": campaign, "form": style_form(form), "preview": selectors.cancel_preview(campaign)}
        return render(request, self.template_name, context, status=status)

    def get(self, request, pk: int):
        campaign = self._campaign(request, pk)
        if campaign.is_cancelled:
            messages.info(request, _("The campaign is already cancelled."))
            return HttpResponseRedirect(reverse("campaigns:campaign", args=[campaign.pk]))
        return self._render(request, campaign, CampaignCancelForm())

    def post(self, request, pk: int):
        campaign = self._campaign(request, pk)
        form = CampaignCancelForm(request.POST)
        if not form.is_valid():
            return self._render(request, campaign, form, status=400)
        try:
            services.campaign_cancel(user=request.user, campaign=campaign, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            add_service_errors(form, error)
            return self._render(request, campaign, form, status=400)
        messages.success(
            request,
            _("Campaign %(name)s cancelled: its %(count)s plans are closed and kept.")
            % {"name": campaign.name, "count": campaign.plans.count()},
        )
        return HttpResponseRedirect(reverse("campaigns:campaign", args=[campaign.pk]))


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
        # Beside each opening, who is credited with the sale (issue 20: the province's first- or last-touch rule).
        credits = credits_for(page)
        for plan in page:
            plan.credit = credits.get(plan.pk)
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
            "may_cancel": not campaign.is_cancelled and services.campaign_may_cancel(request.user, campaign),
            "chart_data": {
                "funnel": [{"label": str(label), "plans": count} for _stage, label, count in progress.funnel],
            },
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
        data = dict(form.cleaned_data)
        data["version"] = data.get("version") or None
        try:
            services.plan_stage_set(user=request.user, plan=found, **data)
        except versions.StaleVersion as refusal:
            now = dict(PlanStage.choices).get(refusal.now.get("stage"), refusal.now.get("stage"))
            messages.error(
                request,
                _("%(customer)s: not moved. %(error)s It is at %(stage)s now.")
                % {"customer": found.customer.name, "error": refusal.message, "stage": now},
            )
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


class ActivityListView(LoginRequiredMixin, View):
    """The month's activities in the user's territory, and the departments that have held none (SPEC §6.2)."""

    template_name = "campaigns/activity_list.html"

    def get(self, request):
        today = timezone.localdate()
        try:
            month = Period.parse(request.GET["month"], today) if request.GET.get("month") else Period.of(today)
        except ValueError as exc:
            return render(request, self.template_name, {"error": _("Month: %s") % exc}, status=400)
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
            "idle": selectors.departments_without_activity(territory_departments(request.user), month),
        }
        return render(request, self.template_name, context)


class ActivityCreateView(LoginRequiredMixin, View):
    """Record a site activity after the day: date, place, staff, attendance and results."""

    template_name = "campaigns/activity_form.html"

    def _form(self, request, data=None):
        campaigns = selectors.campaigns_for(request.user).filter(cancelled_at__isnull=True).order_by("-starts_on")
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
