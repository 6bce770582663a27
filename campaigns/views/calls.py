"""Pages of the do-not-call list and of outbound call lists (SPEC §6.3)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View

from accounts.models import Customer
from crm import audit
from crm.forms import add_service_errors, style_form
from crm.paginator import CountedPaginator, EstimatingPaginator
from crm.permissions import may, require

from .. import selectors, services
from ..forms import CallListBuildForm, CallListDistributeForm, CallOutcomeForm, DialerResultsForm, DoNotCallForm
from ..models import MAX_ATTEMPTS, CallList, CallMode, CallOutcome, DoNotCall, LeftOutReason
from ..rules import mask_mobile
from ..touches import TouchRule, local_minute


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
        page = EstimatingPaginator(entries, self.page_size).get_page(request.GET.get("page"))
        whole = may(request.user, "campaigns.manage_do_not_call")
        for entry in page:
            entry.shown = entry.mobile if whole else mask_mobile(entry.mobile)
        if whole:
            audit.mobiles_shown(user=request.user, where=request.path, count=len(page.object_list))
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


CAMPAIGN_CALL_LISTS_SHOWN = 100


def _left_out_rows(counts: dict[str, int]) -> list[tuple[str, str, int]]:
    """(reason, its label, how many) of the reasons a build left numbers out for."""
    return [(reason.value, reason.label, counts[reason.value]) for reason in LeftOutReason if counts.get(reason.value)]


CALL_BACKS_SHOWN = 50


class CallListsView(LoginRequiredMixin, View):
    """My call lists (我的外呼): the call-backs I promised that are due by the end of today, the earliest first, and
    the lists I call (as their agent, or with numbers given to me from a pool), open ones first, with how many
    numbers are still to call."""

    template_name = "campaigns/call_lists.html"
    page_size = 50

    def get(self, request):
        lists = selectors.call_lists_ordered(
            selectors.call_lists_worked_by(request.user).select_related("campaign", "created_by")
        )
        page = Paginator(lists, self.page_size).get_page(request.GET.get("page"))
        page.object_list = selectors.call_lists_counted(request.user, page.object_list)
        end_of_today = timezone.localtime().replace(hour=23, minute=59, second=59, microsecond=999999)
        call_backs = selectors.my_call_backs(request.user, end_of_today)
        context = {
            "page": page,
            "query": "",
            "call_backs": call_backs[:CALL_BACKS_SHOWN],
            "call_backs_count": call_backs.count(),
            "now": timezone.now(),
        }
        return render(request, self.template_name, context)


class CallListView(LoginRequiredMixin, View):
    """One call list: its numbers (the ones still to call first), for the agent who calls each number a form to
    record a call's outcome, and a button to close the list; what its build left out, per reason; for a list shared
    among a pool, each agent's share, and the form that shares it (its builder, department heads, provincial staff);
    for an automatic list, its dialer file and the form of the dialer's results. Seen by its agent, its builder, its
    pool's agents (the numbers given to them) and those who see its campaign. Numbers are whole for the customer's
    customer manager and, on an open list, for the agent who calls them (a `tel:` link; each showing audited);
    masked for everyone else. A number the seven-touch rule rests now says until when, without a form."""

    template_name = "campaigns/call_list.html"
    page_size = 50

    def _render(self, request, call_list: CallList, form: CallOutcomeForm | None = None, status: int = 200, **extra):
        entries = selectors.call_entries_for(request.user, call_list)
        (counted,) = selectors.call_lists_counted(request.user, [call_list])  # both counts in one query
        page = CountedPaginator(entries, self.page_size, count=counted.entries_count).get_page(request.GET.get("page"))
        whole = selectors.entries_shown_whole(request.user, page.object_list, call_list)
        services.call_numbers_shown(
            user=request.user, call_list=call_list, entry_ids=whole.revealed, where=request.get_full_path()
        )
        now = timezone.now()
        open_entries = [entry for entry in page if not entry.done] if call_list.is_open else []
        resting = selectors.entries_resting(open_entries, now)
        rule = TouchRule.current()
        # a pool agent calls numbers of customers they may not see: no link to a page they would not find
        seen = set(
            Customer.objects.visible_to(request.user)
            .filter(pk__in={entry.customer_id for entry in page})
            .values_list("pk", flat=True)
        )
        for entry in page:
            entry.customer_seen = entry.customer_id in seen
            entry.shown = entry.mobile if entry.pk in whole.ids else mask_mobile(entry.mobile)
            entry.whole = entry.pk in whole.ids
            entry.mine = selectors.called_by_hand(request.user, entry, call_list)
            entry.resting = resting[entry.pk].message(rule) if entry.pk in resting else ""
        errors = [text for texts in form.errors.values() for text in texts] if form is not None else []
        failed = str(form.data.get("entry", "")) if errors else ""
        shares = selectors.pool_shares(request.user, call_list)
        may_distribute = (
            call_list.is_open
            and call_list.mode == CallMode.MANUAL
            and may(request.user, "campaigns.distribute_call_list", call_list)
        )
        context = {
            "call_list": call_list,
            "page": page,
            "query": "",
            "pending": counted.pending_count,
            "max_attempts": MAX_ATTEMPTS,
            "outcomes": CallOutcome.choices,
            "now": now,
            "may_record": any(entry.mine for entry in page),
            "may_close": call_list.is_open and may(request.user, "campaigns.close_call_list", call_list),
            "form": form,
            "failed_entry": int(failed) if failed.isdigit() else None,  # the row the errors belong to
            "errors": errors,
            "left_out": _left_out_rows(selectors.left_out_counts(request.user, call_list)),
            "shares": shares,
            "may_distribute": may_distribute,
            "distribute_form": style_form(extra.get("distribute_form") or CallListDistributeForm(), small=True),
            "may_run_dialer": call_list.is_open
            and call_list.mode == CallMode.AUTO
            and may(request.user, "campaigns.run_dialer", call_list),
            "results_form": extra.get("results_form") or DialerResultsForm(),
            "results_errors": extra.get("results_errors", []),
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
            # closing goes through its preview (what it ends), then the confirmation there
            require(request.user, "campaigns.close_call_list", call_list)
            return HttpResponseRedirect(reverse("campaigns:call-list-close", args=[call_list.pk]))
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
                user=request.user,
                entry=entry,
                outcome=outcome,
                note=form.cleaned_data["note"],
                call_back_at=form.cleaned_data.get("call_back_at"),
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self._render(request, call_list, form, status=400)
        if outcome == CallOutcome.DO_NOT_CALL:
            messages.success(
                request,
                _("%(name)s is on the do-not-call list now, and off every open call list.") % {"name": entry.name},
            )
        elif outcome == CallOutcome.CALL_BACK:
            messages.success(
                request,
                _("%(name)s: call back at %(time)s.")
                % {"name": entry.name, "time": local_minute(form.cleaned_data["call_back_at"])},
            )
        else:
            messages.success(
                request,
                _("%(name)s: %(outcome)s recorded.") % {"name": entry.name, "outcome": CallOutcome(outcome).label},
            )
        return HttpResponseRedirect(back)


class CallListCloseView(LoginRequiredMixin, View):
    """Close a call list: a preview of what closing ends (its numbers still to call, the call-backs promised on
    them), then the confirmation. The list's agent or its builder only."""

    template_name = "campaigns/call_list_close.html"

    def _list(self, request, pk: int) -> CallList:
        call_list = get_object_or_404(
            selectors.call_lists_for(request.user).select_related("campaign", "agent", "created_by"), pk=pk
        )
        require(request.user, "campaigns.close_call_list", call_list)
        return call_list

    def get(self, request, pk: int):
        call_list = self._list(request, pk)
        if not call_list.is_open:
            messages.info(request, _("The call list is already closed."))
            return HttpResponseRedirect(reverse("campaigns:call-list", args=[call_list.pk]))
        preview = selectors.call_list_close_preview(call_list, timezone.localdate())
        return render(request, self.template_name, {"call_list": call_list, "preview": preview})

    def post(self, request, pk: int):
        call_list = self._list(request, pk)
        preview = selectors.call_list_close_preview(call_list, timezone.localdate())
        was_open = call_list.is_open
        services.call_list_close(user=request.user, call_list=call_list)
        if was_open:
            messages.success(
                request,
                ngettext(
                    "The call list is closed: %(count)d number was still to call.",
                    "The call list is closed: %(count)d numbers were still to call.",
                    preview.pending,
                )
                % {"count": preview.pending},
            )
        return HttpResponseRedirect(reverse("campaigns:call-list", args=[call_list.pk]))


class CampaignCallsView(LoginRequiredMixin, View):
    """A campaign's outbound calls: calls per agent per day with the acceptance rate (over the customers the reader
    sees), its call lists, and a form to build one."""

    template_name = "campaigns/calls.html"

    def _form(self, request, data=None) -> CallListBuildForm:
        return CallListBuildForm(data, may_name_agent=may(request.user, "campaigns.build_call_list_for_others"))

    def _render(self, request, campaign, form: CallListBuildForm, status: int = 200):
        rows = selectors.call_report(user=request.user, campaign=campaign)
        lists = selectors.call_lists_ordered(
            selectors.call_lists_for(request.user).filter(campaign=campaign).select_related("created_by")
        )
        context = {
            "campaign": campaign,
            "rows": rows,
            "total": selectors.call_total(rows),
            "call_lists": selectors.call_lists_counted(request.user, lists[:CAMPAIGN_CALL_LISTS_SHOWN]),
            "form": style_form(form, small=True),
            "max_attempts": MAX_ATTEMPTS,
            "touch_rule": TouchRule.current(),
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
                mode=form.cleaned_data.get("mode") or CallMode.MANUAL,
                channel=form.cleaned_data.get("channel"),
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
        if any(call_list.left_out_counts.values()):
            messages.info(
                request,
                _("Left out: %(reasons)s.") % {"reasons": services.left_out_text(call_list.left_out_counts)},
            )
        if call_list.agent_id == request.user.pk:
            return HttpResponseRedirect(reverse("campaigns:call-list", args=[call_list.pk]))
        return HttpResponseRedirect(reverse("campaigns:calls", args=[campaign.pk]))
