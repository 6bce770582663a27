"""Reads of outbound call lists, their entries and the calls report (SPEC §6.3), within the reader's visibility."""

from __future__ import annotations

import datetime
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict, cast

from django.db.models import (
    BooleanField,
    Case,
    Count,
    F,
    Max,
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
    CallLeftOut,
    CallList,
    CallMode,
    CallOutcome,
    Campaign,
    LeftOutReason,
)
from ..touches import TouchRefusal, TouchRule, touch_refusal
from .campaigns import campaigns_for

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


def call_lists_for(user: User) -> QuerySet[CallList]:
    """The call lists a user may open: those they work or built, those with numbers given to them (a pool's), and
    those of the campaigns they see. Their entries are still only the ones the user sees (`call_entries_for`)."""
    if not user.is_authenticated:
        return CallList.objects.none()
    return CallList.objects.filter(
        Q(agent=user)
        | Q(created_by=user)
        | Q(pk__in=_assigned_lists(user))
        | Q(campaign__in=campaigns_for(user).values("pk"))
    ).select_related("campaign", "agent")


def _assigned_lists(user: User) -> QuerySet:
    return CallEntry.objects.filter(assigned_to=user).values("call_list_id")


def call_lists_worked_by(user: User) -> QuerySet[CallList]:
    """The lists the user calls: as their agent, or with numbers given to them from a pool."""
    return CallList.objects.filter(Q(agent=user) | Q(pk__in=_assigned_lists(user)))


def entries_seen(user: User) -> Q:
    """The entries a user sees on a list they may open: those of customers they see (SPEC §2), and the numbers
    given to them from a pool — an agent of the 10000 desk calls numbers of customers on nobody's team of theirs."""
    return Q(customer__in=Customer.objects.visible_to(user)) | Q(assigned_to=user)


def called_by(user: User) -> Q:
    """The entries the user calls: those assigned to them, and those of their lists assigned to nobody."""
    return Q(assigned_to=user) | Q(assigned_to__isnull=True, call_list__agent=user)


def entry_done() -> Q:
    """The entries whose number is done: a final outcome, or tried MAX_ATTEMPTS times in the campaign."""
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
        .filter(entries_seen(user))
        .values("call_list")
        .annotate(entries=Count("pk"), pending=Count("pk", filter=~entry_done()))
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
    """The list's entries the user sees (`entries_seen`): the ones still to call first (never called, then called
    longest ago), then the done ones; each with `done`."""
    return (
        call_list.entries.filter(entries_seen(user))
        .select_related("customer", "assigned_to")
        .annotate(done=Case(When(entry_done(), then=Value(True)), default=Value(False), output_field=BooleanField()))
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


@dataclass
class WholeNumbers:
    """Of some entries, those whose number the reader sees whole (`ids`), and of them those shown whole only because
    the reader calls them (`revealed`: not the customer's manager; each showing goes on the audit trail)."""

    ids: set[int]
    revealed: list[int]


def entries_shown_whole(user: User, entries: Collection[CallEntry], call_list: CallList) -> WholeNumbers:
    """Numbers are whole for the customer's customer manager (SPEC §6.3), and for the agent who dials them now
    (`called_by_hand`: issue 20); masked (138****1234) for everyone else. One query however many entries."""
    owned = customers_owned(user, {entry.customer_id for entry in entries})
    calls = {entry.pk for entry in entries if called_by_hand(user, entry, call_list)}
    managed = {entry.pk for entry in entries if entry.customer_id in owned}
    return WholeNumbers(ids=managed | calls, revealed=sorted(calls - managed))


def called_by_hand(user: User, entry: CallEntry, call_list: CallList) -> bool:
    """Whether the user dials this number now: the list is open and the user calls the entry (the pool agent it is
    given to, else the list's agent); on an automatic list, whose numbers the dialer calls, only a promised
    call-back is dialled by hand."""
    if not call_list.is_open or (entry.assigned_to_id or call_list.agent_id) != user.pk:
        return False
    return call_list.mode == CallMode.MANUAL or entry.last_outcome == CallOutcome.CALL_BACK


def touches_of(
    mobiles: Iterable[str], now: datetime.datetime, rule: TouchRule | None = None
) -> dict[str, tuple[int, datetime.datetime | None]]:
    """Per number (of those given that were ever called), its calls across all campaigns in the seven-touch window
    that ends `now`, and its latest call: what `touch_refusal` takes. One grouped query per 5000 numbers."""
    rule = rule or TouchRule.current()
    since = rule.window_start(now)
    numbers = sorted(set(mobiles))
    found: dict[str, tuple[int, datetime.datetime | None]] = {}
    for start in range(0, len(numbers), TOUCH_BATCH):
        rows = (
            CallAttempt.objects.filter(mobile__in=numbers[start : start + TOUCH_BATCH])
            .values("mobile")
            .annotate(touches=Count("pk", filter=Q(called_at__gte=since)), last=Max("called_at"))
            .order_by()
        )
        found.update({row["mobile"]: (row["touches"], row["last"]) for row in rows})
    return found


TOUCH_BATCH = 5000


def entries_resting(entries: Iterable[CallEntry], now: datetime.datetime) -> dict[int, TouchRefusal]:
    """Of the entries, those whose number may not be called now under the seven-touch rule, and why."""
    return numbers_resting([(entry.pk, entry.mobile, entry.last_outcome) for entry in entries], now)


def numbers_resting(numbers: Collection[tuple[int, str, str]], now: datetime.datetime) -> dict[int, TouchRefusal]:
    """Of the (entry id, number, last outcome) given, the entries whose number may not be called now under the
    seven-touch rule (a promised call-back keeps to the limit only), and why. One query per 5000 numbers."""
    rule = TouchRule.current()
    touches = touches_of([mobile for _pk, mobile, _outcome in numbers], now, rule)
    resting = {}
    for pk, mobile, last_outcome in numbers:
        count, last = touches.get(mobile, (0, None))
        promised = last_outcome == CallOutcome.CALL_BACK
        refusal = touch_refusal(rule, touches=count, last_touch=last, now=now, call_back=promised)
        if refusal is not None:
            resting[pk] = refusal
    return resting


def left_out_for(user: User, call_list: CallList) -> QuerySet[CallLeftOut]:
    """The numbers the list's build left out, of customers the user sees, in the build's order."""
    return (
        call_list.left_out.filter(customer__in=Customer.objects.visible_to(user))
        .select_related("customer")
        .order_by("pk")
    )


def left_out_counts(user: User, call_list: CallList) -> dict[str, int]:
    """How many numbers the build left out per reason (every reason, zeros too), of customers the user sees."""
    rows = left_out_for(user, call_list).order_by().values("reason").annotate(n=Count("pk"))
    counts = {row["reason"]: row["n"] for row in rows}
    return {reason: counts.get(reason, 0) for reason in LeftOutReason.values}


@dataclass
class PoolShare:
    """One agent's share of a list distributed among a pool: numbers given, and how many are still to call."""

    agent: User
    entries: int
    pending: int


def pool_shares(user: User, call_list: CallList) -> list[PoolShare]:
    """The agents the list's numbers (those the reader sees) are assigned to, by name; empty for a list never
    distributed. One grouped query and one for the agents."""
    rows = (
        call_list.entries.filter(entries_seen(user), assigned_to__isnull=False)
        .values("assigned_to")
        .annotate(entries=Count("pk"), pending=Count("pk", filter=~entry_done()))
        .order_by()
    )
    agents = User.objects.in_bulk([row["assigned_to"] for row in rows])
    shares = [PoolShare(agents[row["assigned_to"]], row["entries"], row["pending"]) for row in rows]
    return sorted(shares, key=lambda share: share.agent.username)


def my_call_backs(user: User, until: datetime.datetime) -> QuerySet[CallEntry]:
    """The call-backs the user promised on open lists (the numbers they call whose last outcome is `call_back`) due
    by `until`, the earliest first."""
    return (
        CallEntry.objects.filter(
            called_by(user),
            entries_seen(user),
            call_list__closed_at__isnull=True,
            last_outcome=CallOutcome.CALL_BACK,
            attempts__lt=MAX_ATTEMPTS,
            call_back_at__lte=until,
        )
        .select_related("customer", "call_list__campaign")
        .order_by("call_back_at", "pk")
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
    promised = Q(last_outcome=CallOutcome.CALL_BACK, call_back_on__isnull=False) & ~entry_done()
    counts = call_list.entries.aggregate(
        entries=Count("pk"),
        pending=Count("pk", filter=~entry_done()),
        call_backs=Count("pk", filter=promised),
        due=Count("pk", filter=promised & Q(call_back_on__lte=today)),
    )
    return ClosePreview(
        entries=counts["entries"],
        pending=counts["pending"],
        call_backs=counts["call_backs"],
        call_backs_due=counts["due"],
    )
