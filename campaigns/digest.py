"""Campaigns' part of the morning digest (`crm.notifications.digest_items`): each owner's campaign plans (in a
campaign still running) and open opportunities (商机) whose stage has not moved for PLAN_IDLE_DAYS days, and each
agent's call-backs due (回访) on their open call lists."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db.models import Count, Min
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from crm.models import NotificationKind, User
from crm.notifications import DigestItem, phrase

from .selectors import call_backs_due as call_backs_due_on
from .selectors import opportunities_idle, plans_idle


def due_items(*, users: list[User], today: datetime.date) -> dict[int, list[DigestItem]]:
    """The receiver: three grouped queries for the batch."""
    items: dict[int, list[DigestItem]] = {}
    for part in (idle_plans, idle_opportunities, call_backs_due):
        for user_id, given in part(users=users, today=today).items():
            items.setdefault(user_id, []).extend(given)
    return items


def idle_plans(*, users: list[User], today: datetime.date) -> dict[int, list[DigestItem]]:
    """One query for the batch: per owner, how many plans idle and since when the oldest has."""
    days = settings.PLAN_IDLE_DAYS
    rows = (
        plans_idle(today)
        .filter(owner_id__in=[user.pk for user in users])
        .values("owner_id")
        .annotate(count=Count("*"), oldest=Min("stage_changed_at"))
        .order_by()
    )
    url = reverse("campaigns:campaigns")
    items: dict[int, list[DigestItem]] = {}
    for row in rows:
        title = ngettext_lazy(
            "%(count)d campaign plan has not moved for %(days)d days",
            "%(count)d campaign plans have not moved for %(days)d days",
            row["count"],
        )
        items[row["owner_id"]] = [
            DigestItem(
                kind=NotificationKind.STAGE_IDLE,
                title=phrase(title, {"count": row["count"], "days": days}),
                body=phrase(
                    _("The oldest has been at its stage since %(date)s."),
                    {"date": timezone.localdate(row["oldest"]).isoformat()},
                ),
                url=url,
            )
        ]
    return items


def idle_opportunities(*, users: list[User], today: datetime.date) -> dict[int, list[DigestItem]]:
    """Per owner, how many open opportunities have not moved for PLAN_IDLE_DAYS days, and the oldest move."""
    days = settings.PLAN_IDLE_DAYS
    rows = (
        opportunities_idle()
        .filter(owner_id__in=[user.pk for user in users])
        .values("owner_id")
        .annotate(count=Count("*"), oldest=Min("stage_changed_at"))
        .order_by()
    )
    items: dict[int, list[DigestItem]] = {}
    for row in rows:
        title = ngettext_lazy(
            "%(count)d opportunity has not moved for %(days)d days",
            "%(count)d opportunities have not moved for %(days)d days",
            row["count"],
        )
        items[row["owner_id"]] = [
            DigestItem(
                kind=NotificationKind.OPPORTUNITY_IDLE,
                title=phrase(title, {"count": row["count"], "days": days}),
                body=phrase(
                    _("The oldest has been at its stage since %(date)s."),
                    {"date": timezone.localdate(row["oldest"]).isoformat()},
                ),
            )
        ]
    return items


def call_backs_due(*, users: list[User], today: datetime.date) -> dict[int, list[DigestItem]]:
    """Per agent, the numbers they call (given to them from a pool, or of their lists given to nobody) on open call
    lists whose last outcome asked to call back by today."""
    rows = (
        call_backs_due_on(today)
        .annotate(caller=Coalesce("assigned_to_id", "call_list__agent_id"))
        .filter(caller__in=[user.pk for user in users])
        .values("caller")
        .annotate(count=Count("*"), earliest=Min("call_back_on"))
        .order_by()
    )
    url = reverse("campaigns:call-lists")
    items: dict[int, list[DigestItem]] = {}
    for row in rows:
        title = ngettext_lazy("%(count)d call-back is due", "%(count)d call-backs are due", row["count"])
        items[row["caller"]] = [
            DigestItem(
                kind=NotificationKind.CALL_BACK_DUE,
                title=phrase(title, {"count": row["count"]}),
                body=phrase(_("The earliest was promised for %(date)s."), {"date": row["earliest"].isoformat()}),
                url=url,
            )
        ]
    return items
