from __future__ import annotations

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import render
from django.utils import timezone
from django.views import View

from crm.permissions import may

from . import selectors


class TodayView(LoginRequiredMixin, View):
    """The workbench (今日工作台): what an account manager does today, phone first; a department head also sees the
    team, the furthest behind first."""

    def get(self, request):
        today = timezone.localdate()
        context = {"day": selectors.day_of(request.user, today), "today": today, "idle_days": settings.PLAN_IDLE_DAYS}
        if may(request.user, "workbench.team"):
            # the furthest behind; the whole department is on the manager load page
            team = selectors.team_rows(request.user, today)
            context.update(team=team.rows, team_count=team.count, team_as_of=team.as_of)
        return render(request, "workbench/today.html", context)
