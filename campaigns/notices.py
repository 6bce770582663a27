"""What campaigns tells people (`crm.notifications`): campaign plans (一户一案) that became theirs, and call-backs
(回拨) promised, when promised and again when due. Called by the campaign services inside their transactions; the one
who made a change is not told of it, but an agent who promises a call-back is: it is their to-do."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import NotificationKind, User
from crm.notifications import notify, phrase

from .models import MAX_ATTEMPTS, CallEntry, CallList, CallOutcome, Campaign, CustomerPlan
from .touches import local_minute


def campaign_plans_notified(*, by: User, campaign: Campaign) -> None:
    """Each owner of the new campaign's plans hears how many are theirs: one notification per owner, however many
    plans (a province's campaign writes a couple of hundred thousand)."""
    owners = campaign.plans.exclude(owner=None).exclude(owner=by).values("owner_id").annotate(n=Count("*")).order_by()
    url = reverse("campaigns:campaign", args=[campaign.pk])
    for row in owners:
        notify(
            recipients=[row["owner_id"]],
            kind=NotificationKind.PLAN_ASSIGNED,
            title=phrase(
                _("%(count)d customer plans of the campaign %(campaign)s are yours"),
                {"count": row["n"], "campaign": campaign.name},
            ),
            body=phrase(_("Campaign by %(name)s, %(start)s to %(end)s."), _period(by, campaign)),
            url=url,
            dedupe_key=f"campaign:{campaign.pk}:plans",
        )


def _period(by: User, campaign: Campaign) -> dict[str, str]:
    return {"name": by.display_name, "start": campaign.starts_on.isoformat(), "end": campaign.ends_on.isoformat()}


def plan_owner_notified(*, by: User, plan: CustomerPlan) -> None:
    """A plan handed to a new owner: the owner hears of it."""
    if plan.owner_id is None or plan.owner_id == by.pk:
        return
    notify(
        recipients=[plan.owner_id],
        kind=NotificationKind.PLAN_ASSIGNED,
        title=phrase(
            _("The plan for %(customer)s in %(campaign)s is yours"),
            {"customer": plan.customer.name, "campaign": plan.campaign.name},
        ),
        body=phrase(_("Handed over by %(name)s."), {"name": by.display_name}),
        url=reverse("campaigns:campaign", args=[plan.campaign_id]),
    )


def call_back_promised(*, entries: Iterable[CallEntry], call_list: CallList) -> None:
    """Call-backs just promised on entries of the list become a to-do of the agent who calls each: one notification
    naming the number's person and the time, or, for many at once (a dialer's results), one per agent counting them
    from the earliest."""
    by_agent: dict[int, list[CallEntry]] = defaultdict(list)
    for entry in entries:
        if entry.call_back_at is not None:
            by_agent[entry.assigned_to_id or call_list.agent_id].append(entry)
    url = reverse("campaigns:call-list", args=[call_list.pk])
    for agent_id, promised in by_agent.items():
        promised.sort(key=lambda entry: entry.call_back_at or timezone.now())
        first = promised[0]
        if len(promised) == 1:
            _call_back_told(first, agent_id, url, due=False)
            continue
        notify(
            recipients=[agent_id],
            kind=NotificationKind.CALL_BACK_DUE,
            title=phrase(
                _("%(count)d call-backs promised, the first at %(time)s"),
                {"count": len(promised), "time": local_minute(first.call_back_at)},
            ),
            body=phrase(_("Campaign %(campaign)s."), {"campaign": call_list.campaign.name}),
            url=url,
        )


def _call_back_told(entry: CallEntry, agent_id: int, url: str, *, due: bool) -> None:
    title = _("Call back %(name)s now (promised for %(time)s)") if due else _("Call back %(name)s at %(time)s")
    notify(
        recipients=[agent_id],
        kind=NotificationKind.CALL_BACK_DUE,
        title=phrase(title, {"name": entry.name, "time": local_minute(entry.call_back_at)}),
        body=phrase(
            _("%(customer)s · campaign %(campaign)s."),
            {"customer": entry.customer.name, "campaign": entry.call_list.campaign.name},
        ),
        url=f"{url}#entry-{entry.pk}",
        # once per promise: a promise renewed for another time is told again
        dedupe_key=f"call-back:{'due' if due else 'set'}:{entry.pk}:{entry.call_back_at:%Y%m%d%H%M}",
    )


# A promise is recalled this long before its time, and no more once this long past it (the workbench and the
# morning digest list it meanwhile).
REMIND_AHEAD = datetime.timedelta(minutes=10)
REMIND_UNTIL = datetime.timedelta(hours=12)


def call_backs_remind(now: datetime.datetime | None = None) -> int:
    """The call-backs whose time has come (or comes within REMIND_AHEAD), on open lists, each told to the agent who
    calls it, once per promise; returns how many were due. One query, run every few minutes by beat."""
    now = now or timezone.now()
    due = (
        CallEntry.objects.filter(
            call_list__closed_at__isnull=True,
            last_outcome=CallOutcome.CALL_BACK,
            call_back_at__lte=now + REMIND_AHEAD,
            call_back_at__gt=now - REMIND_UNTIL,
            attempts__lt=MAX_ATTEMPTS,
        )
        .select_related("customer", "call_list__campaign")
        .order_by("call_back_at", "pk")
    )
    count = 0
    for entry in due:
        url = reverse("campaigns:call-list", args=[entry.call_list_id])
        _call_back_told(entry, entry.calling_agent_id, url, due=True)
        count += 1
    return count


def calls_dealt_notified(*, by: User, call_list: CallList, shares: dict[int, int]) -> None:
    """Each agent a pool's numbers were just dealt to hears how many of which list are now theirs to call, with a
    link to the list: one notification per agent, however many numbers. The one who dealt them is not told."""
    campaign = call_list.campaign
    url = reverse("campaigns:call-list", args=[call_list.pk])
    for agent_id, count in shares.items():
        if count <= 0 or agent_id == by.pk:
            continue
        notify(
            recipients=[agent_id],
            kind=NotificationKind.CALLS_DEALT,
            title=phrase(
                _("%(count)d numbers of the call list %(list)s of %(campaign)s are yours to call"),
                {"count": count, "list": f"#{call_list.pk}", "campaign": campaign.name},
            ),
            body=phrase(_("Dealt by %(name)s from the desk's pool."), {"name": by.display_name}),
            url=url,
        )
