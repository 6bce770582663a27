"""Reads of outbound call lists, their entries and the calls report (SPEC §6.3), within the reader's visibility."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict, cast

from django.db.models import (
    BooleanField,
    Case,
    Count,
    F,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import TruncDate

from accounts.models import Customer
from crm.models import User
from teams.models import TeamRole, TeamRoleKind

from ..models import (
    FINAL_OUTCOMES,
    MAX_ATTEMPTS,
    CallAttempt,
    CallEntry,
    CallList,
    CallOutcome,
    Campaign,
)
from .campaigns import campaigns_for

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


def call_lists_for(user: User) -> QuerySet[CallList]:
    """The call lists a user may open: those they work or built, and those of the campaigns they see. Their entries
    are still only the ones of customers the user sees (`call_entries_for`)."""
    if not user.is_authenticated:
        return CallList.objects.none()
    return CallList.objects.filter(
        Q(agent=user) | Q(created_by=user) | Q(campaign__in=campaigns_for(user).values("pk"))
    ).select_related("campaign", "agent")


def _entry_done() -> Q:
    return Q(last_outcome__in=FINAL_OUTCOMES) | Q(attempts__gte=MAX_ATTEMPTS)


def call_lists_ordered(call_lists: QuerySet[CallList]) -> QuerySet[CallList]:
    """Open lists first, newest first."""
    return call_lists.order_by(F("closed_at").desc(nulls_first=True), "-created_at", "-pk")


class EntryCounts(TypedDict):
    """What `call_lists_counted` sets on each list."""

    entries_count: int
    pending_count: int


def call_lists_counted(user: User, call_lists: Iterable[CallList]) -> list[WithAnnotations[CallList, EntryCounts]]:
    """The lists (a page of them), each with `entries_count` and `pending_count` over the entries of customers the
    user sees: one grouped query, the visibility rule applied once to all the lists' entries."""
    lists = list(call_lists)
    counts = (
        CallEntry.objects.filter(call_list__in=[call_list.pk for call_list in lists])
        .filter(customer__in=Customer.objects.visible_to(user))
        .values("call_list")
        .annotate(entries=Count("pk"), pending=Count("pk", filter=~_entry_done()))
        .order_by()
    )
    by_list = {row["call_list"]: row for row in counts}
    # The same objects, typed with the counts the loop sets on them.
    counted = cast("list[WithAnnotations[CallList, EntryCounts]]", lists)
    for call_list in counted:
        row: Mapping[str, Any] = by_list.get(call_list.pk, {})
        call_list.entries_count, call_list.pending_count = row.get("entries", 0), row.get("pending", 0)
    return counted


def call_entries_for(user: User, call_list: CallList) -> QuerySet[CallEntry]:
    """The list's entries of customers the user sees: the ones still to call first (never called, then called
    longest ago), then the done ones; each with `done`."""
    return (
        call_list.entries.filter(customer__in=Customer.objects.visible_to(user))
        .select_related("customer")
        .annotate(done=Case(When(_entry_done(), then=Value(True)), default=Value(False), output_field=BooleanField()))
        .order_by("done", F("last_called_at").asc(nulls_first=True), "pk")
    )


def customers_owned(user: User, customer_ids, today: datetime.date | None = None) -> set[int]:
    """Of these customers, those whose current customer manager the user is: they see the numbers whole; everyone
    else sees 138****1234 (SPEC §6.3). One query however many customers."""
    return set(
        TeamRole.objects.active(today)
        .filter(user_id=user.pk, role=TeamRoleKind.CUSTOMER_MANAGER, customer_id__in=customer_ids)
        .values_list("customer_id", flat=True)
    )


def _percent(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1")) if whole else None


@dataclass
class CallDay:
    """One agent's calls in a campaign on one day (`day` None: a total), and how many reached someone (every
    outcome but no answer) and were accepted."""

    agent: str
    username: str
    day: datetime.date | None
    calls: int
    reached: int
    accepted: int

    @property
    def rate(self) -> Decimal | None:
        """The acceptance rate in percent: accepted ÷ calls that reached someone."""
        return _percent(self.accepted, self.reached)

    @property
    def rate_of_calls(self) -> Decimal | None:
        """Accepted ÷ all calls, in percent."""
        return _percent(self.accepted, self.calls)


def call_report(*, user: User, campaign: Campaign) -> list[CallDay]:
    """Calls per agent per day (local days) of the campaign, newest day first, over the customers the user sees;
    one grouped query."""
    rows = (
        CallAttempt.objects.filter(campaign=campaign, customer__in=Customer.objects.visible_to(user))
        .annotate(day=TruncDate("called_at"))
        .values("day", "agent__username", "agent__last_name", "agent__first_name")
        .annotate(
            calls=Count("pk"),
            reached=Count("pk", filter=~Q(outcome=CallOutcome.NO_ANSWER)),
            accepted=Count("pk", filter=Q(outcome=CallOutcome.ACCEPTED)),
        )
        .order_by("-day", "agent__username")
    )
    return [
        CallDay(
            agent=f"{row['agent__last_name']}{row['agent__first_name']}" or row["agent__username"],
            username=row["agent__username"],
            day=row["day"],
            calls=row["calls"],
            reached=row["reached"],
            accepted=row["accepted"],
        )
        for row in rows
    ]


def call_total(rows: list[CallDay]) -> CallDay:
    """The sum of the rows."""
    return CallDay(
        agent="",
        username="",
        day=None,
        calls=sum(row.calls for row in rows),
        reached=sum(row.reached for row in rows),
        accepted=sum(row.accepted for row in rows),
    )


@dataclass
class ClosePreview:
    """What closing a call list ends: its numbers, how many are still to call, the call-backs promised on them."""

    entries: int
    pending: int
    call_backs: int
    call_backs_due: int


def call_list_close_preview(call_list: CallList, today: datetime.date) -> ClosePreview:
    """The counts over every entry of the list (closing ends them all): one query."""
    promised = Q(last_outcome=CallOutcome.CALL_BACK, call_back_on__isnull=False) & ~_entry_done()
    counts = call_list.entries.aggregate(
        entries=Count("pk"),
        pending=Count("pk", filter=~_entry_done()),
        call_backs=Count("pk", filter=promised),
        due=Count("pk", filter=promised & Q(call_back_on__lte=today)),
    )
    return ClosePreview(
        entries=counts["entries"],
        pending=counts["pending"],
        call_backs=counts["call_backs"],
        call_backs_due=counts["due"],
    )
