"""The outbound desk's page (issue 20, point 6): for department heads and provincial staff, each agent's day —
attempts, effective contacts, acceptances, the acceptance rate, call-backs kept — and each call list's reach and
conversion, over the campaigns they see."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.views import View

from crm.forms import style_form
from crm.permissions import require

from ..models import Campaign
from ..selectors.campaigns import campaigns_for
from ..selectors.desk import agent_days, desk_calls, list_figures

DEFAULT_DAYS = 7
LONGEST = 92  # days a page adds up at most


class DeskFilter(forms.Form):
    since = forms.DateField(label=gettext_lazy("first day"), required=False, widget=forms.DateInput({"type": "date"}))
    until = forms.DateField(label=gettext_lazy("last day"), required=False, widget=forms.DateInput({"type": "date"}))
    campaign = forms.ModelChoiceField(label=gettext_lazy("campaign"), queryset=Campaign.objects.none(), required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = (
            campaigns_for(user).order_by("-starts_on", "-id") if user else Campaign.objects.none()
        )

    def clean(self):
        cleaned = super().clean()
        today = timezone.localdate()
        until = cleaned.get("until") or today
        if until > today:  # no call is logged on a day to come (and 9999-12-31 has no day after it to count to)
            self.add_error("until", gettext_lazy("The last day cannot be after today."))
            until = today
        since = cleaned.get("since") or until - datetime.timedelta(days=DEFAULT_DAYS - 1)
        if since > until:
            self.add_error("since", gettext_lazy("The first day comes before the last."))
        elif (until - since).days >= LONGEST:
            self.add_error("since", gettext_lazy("At most %(days)d days at a time.") % {"days": LONGEST})
        cleaned["since"], cleaned["until"] = since, until
        return cleaned


def desk_figures(user, data) -> tuple[DeskFilter, list, list]:
    """The filter, and when it is valid the agents' days and the lists' figures (both empty otherwise)."""
    require(user, "campaigns.view_desk")
    filters = DeskFilter(data or None, user=user)
    if data and not filters.is_valid():
        return filters, [], []
    if not data:
        filters = DeskFilter({}, user=user)
        filters.is_valid()
    values = filters.cleaned_data
    calls = desk_calls(user, since=values["since"], until=values["until"], campaign=values.get("campaign"))
    return filters, agent_days(calls), list_figures(user, campaign=values.get("campaign"))


class DeskView(LoginRequiredMixin, View):
    template_name = "campaigns/desk.html"

    def get(self, request):
        filters, days, lists = desk_figures(request.user, request.GET)
        totals: dict[str, dict] = {}
        for row in days:
            total = totals.setdefault(row.username, {"name": row.name, "days": 0, "attempts": 0, "effective": 0})
            total["days"] += 1
            total["attempts"] += row.attempts
            total["effective"] += row.effective
        for total in totals.values():
            total["per_day"] = round(total["effective"] / total["days"]) if total["days"] else 0
        status = 400 if filters.errors else 200
        context = {
            "filters": style_form(filters, small=True),
            "days": days,
            "lists": lists,
            "totals": sorted(totals.values(), key=lambda t: -t["per_day"]),
        }
        return render(request, self.template_name, context, status=status)
