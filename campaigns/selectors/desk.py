"""The outbound desk's productivity (issue 20, point 6; seed 001: agents reached 80–90 effective contacts a day): per
agent per day — attempts, effective contacts, acceptances, the acceptance rate, call-backs due and kept — and per
call list — reach and conversion — over the calls of the campaigns the reader sees, counted in the database.

An *effective contact* is a call that reached someone (any outcome but no answer); the *acceptance rate* is
acceptances over effective contacts. A *call-back* falls due on the day promised (Asia/Shanghai); it was *kept* when
the number was called again on that list between the promise and the end of that day. A list's *reach* is the share
of its numbers reached at least once, its *conversion* the share that accepted.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from crm.models import User

from ..models import CallAttempt, CallEntry, CallList, CallOutcome, Campaign
from .campaigns import campaigns_for

PERCENT = Decimal("100")


def _rate(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) * PERCENT / whole).quantize(Decimal("0.1")) if whole else None


@dataclass(frozen=True)
class AgentDay:
    username: str
    name: str
    day: datetime.date
    attempts: int
    effective: int
    accepted: int
    call_backs_due: int
    call_backs_kept: int

    @property
    def acceptance_rate(self) -> Decimal | None:
        return _rate(self.accepted, self.effective)


@dataclass(frozen=True)
class ListFigures:
    call_list: CallList
    numbers: int
    reached: int
    accepted: int

    @property
    def reach(self) -> Decimal | None:
        return _rate(self.reached, self.numbers)

    @property
    def conversion(self) -> Decimal | None:
        return _rate(self.accepted, self.numbers)


def desk_calls(user: User, *, since: datetime.date, until: datetime.date, campaign: Campaign | None = None) -> QuerySet:
    """The calls of the campaigns the user sees (one campaign's when given), made between the two days (Shanghai)."""
    campaigns = campaigns_for(user).values("pk")
    calls = CallAttempt.objects.filter(campaign__in=campaigns)
    if campaign is not None:
        calls = calls.filter(campaign=campaign)
    zone = timezone.get_current_timezone()
    start = datetime.datetime.combine(since, datetime.time.min, tzinfo=zone)
    end = datetime.datetime.combine(until + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone)
    return calls.filter(called_at__gte=start, called_at__lt=end)


def agent_days(calls: QuerySet) -> list[AgentDay]:
    """Per agent and day, newest day first: one grouped query over the calls, with the call-backs promised for that
    day by that agent and how many were kept."""
    kept = CallAttempt.objects.filter(
        entry_id=OuterRef("entry_id"),
        called_at__gt=OuterRef("called_at"),
        called_at__date__lte=OuterRef("call_back_on"),
    )
    rows = (
        calls.annotate(day=TruncDate("called_at"))
        .values("day", "agent__username", "agent__last_name", "agent__first_name")
        .annotate(
            attempts=Count("pk"),
            effective=Count("pk", filter=~Q(outcome=CallOutcome.NO_ANSWER)),
            accepted=Count("pk", filter=Q(outcome=CallOutcome.ACCEPTED)),
        )
        .order_by("-day", "agent__username")
    )
    # Call-backs, by the day they fall due and the agent who promised them.
    promises = (
        calls.model.objects.filter(
            pk__in=calls.filter(outcome=CallOutcome.CALL_BACK, call_back_on__isnull=False).values("pk")
        )
        .annotate(kept=Exists(kept))
        .values("call_back_on", "agent__username")
        .annotate(due=Count("pk"), kept_count=Count("pk", filter=Q(kept=True)))
        .order_by()
    )
    promised = {(row["call_back_on"], row["agent__username"]): (row["due"], row["kept_count"]) for row in promises}
    return [
        AgentDay(
            username=row["agent__username"],
            name=f"{row['agent__last_name']}{row['agent__first_name']}" or row["agent__username"],
            day=row["day"],
            attempts=row["attempts"],
            effective=row["effective"],
            accepted=row["accepted"],
            call_backs_due=promised.get((row["day"], row["agent__username"]), (0, 0))[0],
            call_backs_kept=promised.get((row["day"], row["agent__username"]), (0, 0))[1],
        )
        for row in rows
    ]


def list_figures(user: User, *, campaign: Campaign | None = None) -> list[ListFigures]:
    """Reach and conversion of the call lists of the campaigns the user sees, the newest first: one grouped query
    over their entries (an entry's last outcome says whether it was reached and whether it accepted)."""
    lists = CallList.objects.filter(campaign__in=campaigns_for(user).values("pk")).select_related("campaign", "agent")
    if campaign is not None:
        lists = lists.filter(campaign=campaign)
    lists = lists.order_by("-created_at", "-id")
    counts = (
        CallEntry.objects.filter(call_list__in=lists.values("pk"))
        .values("call_list_id")
        .annotate(numbers=Count("pk"), accepted=Count("pk", filter=Q(last_outcome=CallOutcome.ACCEPTED)))
        .order_by()
    )
    # Reached: a number answered at least once (its last call may have gone unanswered since).
    reached = (
        CallAttempt.objects.filter(entry__call_list__in=lists.values("pk"))
        .exclude(outcome=CallOutcome.NO_ANSWER)
        .values("entry__call_list_id")
        .annotate(numbers=Count("entry_id", distinct=True))
        .order_by()
    )
    by_list = {row["call_list_id"]: (row["numbers"], row["accepted"]) for row in counts}
    answered = {row["entry__call_list_id"]: row["numbers"] for row in reached}
    return [
        ListFigures(
            call_list=call_list,
            numbers=by_list.get(call_list.pk, (0, 0))[0],
            reached=answered.get(call_list.pk, 0),
            accepted=by_list.get(call_list.pk, (0, 0))[1],
        )
        for call_list in lists
    ]
