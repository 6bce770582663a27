"""Writes of the do-not-call list and of outbound call lists (SPEC §6.3)."""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypedDict, cast

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Case, F, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Customer, GroupMember, KeyPerson
from accounts.selectors import member_current
from crm import audit
from crm.bulk import analyze_after_load
from crm.models import AuditAction, User
from crm.permissions import require

from ..models import (
    FINAL_OUTCOMES,
    MAX_ATTEMPTS,
    CallAttempt,
    CallEntry,
    CallLeftOut,
    CallList,
    CallMode,
    CallOutcome,
    CallSource,
    Campaign,
    Channel,
    DoNotCall,
    LeftOutReason,
)
from ..models.channels import DIRECT, PARTNER
from ..notices import call_back_promised
from ..rules import OPEN_PLAN_STAGES
from ..selectors.calls import touches_of
from ..touches import TouchRule, local_minute, touch_refusal

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

# Additions to the do-not-call list and builds of call lists take turns (a transaction-scoped PostgreSQL advisory
# lock; SQLite writes one at a time anyway): a build reads the list and writes its entries while no number can go on
# it, and an addition then removes the number from every list built before it.
DO_NOT_CALL_LOCK = 630_003


def _do_not_call_turn() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [DO_NOT_CALL_LOCK])


@transaction.atomic
def do_not_call_add(*, user: User, mobile: str, reason: str) -> tuple[DoNotCall, bool]:
    """Put a number on the do-not-call list at once, and take it off every open call list of every campaign (the
    calls made stay); returns the entry and whether it is new (a number already on the list keeps its first entry)."""
    mobile = mobile.strip()
    _do_not_call_turn()
    existing = DoNotCall.objects.filter(mobile=mobile).first()
    if existing is not None:
        _off_open_call_lists(mobile)  # a list built while the number went on might still hold it
        return existing, False
    entry = DoNotCall(mobile=mobile, reason=reason.strip(), added_by=user)
    entry.full_clean()
    entry.save()
    audit.record_created(user=user, obj=entry, fields=("mobile", "reason"))
    _off_open_call_lists(mobile)
    return entry, True


@transaction.atomic
def do_not_call_remove(*, user: User, mobile: str) -> bool:
    """Take a number off the list: provincial staff and headquarters only."""
    require(user, "campaigns.manage_do_not_call")
    _do_not_call_turn()
    entry = DoNotCall.objects.filter(mobile=mobile.strip()).first()
    if entry is None:
        return False
    audit.record_deleted(user=user, obj=entry, fields=("mobile", "reason"))
    entry.delete()
    return True


# Plans still worth a call: those still in play.
CALLABLE_STAGES = OPEN_PLAN_STAGES
ENTRY_BATCH = 2000


def _off_open_call_lists(mobile: str) -> int:
    """Remove the number from every open call list of every campaign; its calls (`CallAttempt`) stay."""
    removed, _counts = CallEntry.objects.filter(mobile=mobile, call_list__closed_at__isnull=True).delete()
    return removed


# The numbers a build considers, each once with the reason it is left out (none: it goes on the list): a temporary
# table of the build's transaction, read by the two INSERT … SELECT that write the entries and the left-out numbers.
BUILD_TABLE = "call_build_numbers"


def _candidates_sql(source: str, customers: QuerySet) -> tuple[str, list[Any]]:
    """The SELECT of the customers' people of `source` with a number — key persons, then current group members (not
    those who left) — as (customer_id, name, mobile, kind, code, priority, person): the columns that order them, key
    persons before members, by customer code, decision makers first."""
    parts: list[tuple[str, tuple[Any, ...]]] = []
    columns = "customer_id, name, mobile, kind, code, priority, person"
    if source in (CallSource.KEY_PERSONS, CallSource.ALL):
        key_persons = (
            KeyPerson.objects.filter(customer__in=customers)
            .exclude(mobile="")
            .annotate(
                kind=Value(0),
                code=F("customer__code"),
                priority=Case(When(is_decision_maker=True, then=Value(0)), default=Value(1)),
                person=F("pk"),
            )
            .values("customer_id", "name", "mobile", "kind", "code", "priority", "person")
            .order_by()
        )
        parts.append(key_persons.query.sql_with_params())
    if source in (CallSource.MEMBERS, CallSource.ALL):
        members = (
            GroupMember.objects.filter(member_current(), customer__in=customers)  # nobody who has left is called
            .exclude(mobile="")
            .annotate(kind=Value(1), code=F("customer__code"), priority=Value(0), person=F("pk"))
            .values("customer_id", "name", "mobile", "kind", "code", "priority", "person")
            .order_by()
        )
        parts.append(members.query.sql_with_params())
    sql = " UNION ALL ".join(f"SELECT {columns} FROM ({part}) AS people" for part, _params in parts)
    return sql, [param for _part, params in parts for param in params]


def _numbers_write(call_list: CallList, source: str, customers: QuerySet) -> dict[str | None, int]:
    """Write the list's entries and its left-out numbers from the customers' people, set-based (a few statements
    however many numbers); how many numbers per reason left out (None: on the list).

    The numbers go first into a temporary table, one row per number (its first person in the candidates' order),
    which PostgreSQL then analyses: the statements that follow are planned on its true size, not on a guess about a
    campaign whose plans were written a moment ago. Each reason is then set on the numbers that have none yet, in
    LeftOutReason's order: on the do-not-call list, done or tried MAX_ATTEMPTS times in the campaign, on another open
    list of the campaign, called CALL_TOUCH_MAX times in the window across all campaigns (the SQL twin of
    `touch_refusal`'s limit). Two INSERT … SELECT write the entries and the numbers left out."""
    campaign_id, rule = call_list.campaign_id, TouchRule.current()
    candidates, candidate_params = _candidates_sql(source, customers)
    q = connection.ops.quote_name
    calls, entries, lists, blocked = (
        q(model._meta.db_table) for model in (CallAttempt, CallEntry, CallList, DoNotCall)
    )
    numbers = BUILD_TABLE
    final = ", ".join(["%s"] * len(FINAL_OUTCOMES))
    since = connection.ops.adapt_datetimefield_value(rule.window_start(timezone.now()))
    reasons: list[tuple[str, str, list[Any]]] = [
        (LeftOutReason.DO_NOT_CALL, f"SELECT mobile FROM {blocked}", []),
        (
            LeftOutReason.DONE_IN_CAMPAIGN,
            f"SELECT mobile FROM {calls} WHERE campaign_id = %s AND outcome IN ({final})",
            [campaign_id, *FINAL_OUTCOMES],
        ),
        (LeftOutReason.TRIED_IN_CAMPAIGN, f"SELECT mobile FROM {numbers} WHERE tried >= %s", [MAX_ATTEMPTS]),
        (
            LeftOutReason.ON_OPEN_LIST,
            f"SELECT e.mobile FROM {entries} AS e JOIN {lists} AS l ON l.id = e.call_list_id "
            "WHERE l.campaign_id = %s AND l.closed_at IS NULL AND l.id <> %s",
            [campaign_id, call_list.pk],
        ),
        (
            LeftOutReason.TOUCH_LIMIT,
            f"SELECT a.mobile FROM {calls} AS a WHERE a.called_at >= %s AND a.mobile IN (SELECT mobile FROM {numbers}) "
            "GROUP BY a.mobile HAVING COUNT(*) >= %s",
            [since, rule.max_touches],
        ),
    ]
    order = "ORDER BY kind, code, priority, person"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {numbers}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {numbers} AS "
            "SELECT customer_id, SUBSTR(name, 1, 50) AS name, mobile, kind, code, priority, person, "
            "0 AS tried, CAST(NULL AS VARCHAR(20)) AS reason FROM ("
            "SELECT candidates.*, ROW_NUMBER() OVER (PARTITION BY mobile ORDER BY kind, code, priority, person) AS nth "
            f"FROM ({candidates}) AS candidates) AS ranked WHERE nth = 1",
            candidate_params,
        )
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {numbers}")
        # each number's calls in the campaign so far, which its entry starts at
        cursor.execute(
            f"UPDATE {numbers} SET tried = (SELECT COUNT(*) FROM {calls} AS a "
            f"WHERE a.campaign_id = %s AND a.mobile = {numbers}.mobile) "
            f"WHERE mobile IN (SELECT mobile FROM {calls} WHERE campaign_id = %s)",
            [campaign_id, campaign_id],
        )
        for reason, select, params in reasons:
            cursor.execute(
                f"UPDATE {numbers} SET reason = %s WHERE reason IS NULL AND mobile IN ({select})", [reason, *params]
            )
        cursor.execute(
            f"INSERT INTO {q(CallEntry._meta.db_table)} (call_list_id, customer_id, name, mobile, attempts, "
            f"last_outcome) SELECT %s, customer_id, name, mobile, tried, '' FROM {numbers} "
            f"WHERE reason IS NULL {order}",
            [call_list.pk],
        )
        cursor.execute(
            f"INSERT INTO {q(CallLeftOut._meta.db_table)} (call_list_id, customer_id, name, mobile, reason) "
            f"SELECT %s, customer_id, name, mobile, reason FROM {numbers} WHERE reason IS NOT NULL {order}",
            [call_list.pk],
        )
        cursor.execute(f"SELECT reason, COUNT(*) FROM {numbers} GROUP BY reason")
        counts = dict(cursor.fetchall())
        cursor.execute(f"DROP TABLE {numbers}")
    return counts


def left_out_text(counts: Mapping[str, int]) -> str:
    """ "On the do-not-call list: 3; …" over the reasons with numbers, in LeftOutReason's order."""
    return "; ".join(
        _("%(reason)s: %(count)d") % {"reason": reason.label, "count": counts[reason.value]}
        for reason in LeftOutReason
        if counts.get(reason.value)
    )


class BuildCounts(TypedDict):
    """What `call_list_build` sets on the list it builds: its entries, and the numbers left out per reason (every
    reason, zeros too)."""

    entries_count: int
    left_out_counts: dict[str, int]


@transaction.atomic
def call_list_build(
    *,
    user: User,
    campaign: Campaign,
    source: str = CallSource.ALL,
    agent: User | None = None,
    mode: str = CallMode.MANUAL,
    channel: Channel | str | None = None,
) -> WithAnnotations[CallList, BuildCounts]:
    """Build an outbound call list (外呼清单) of the campaign for `agent` (the builder by default; naming someone
    else is for department heads and provincial staff), `manual` (agents call) or `auto` (a dialer broadcasts it);
    sets its `entries_count` and `left_out_counts`.

    Entries: the key persons with a mobile and/or the current group members (not those who left) of the customers
    of the campaign's plans that are still open (not lost, not opened or in after-sales) and that both builder and
    agent see (SPEC §2); one entry per number. Left out, each with its reason (`CallLeftOut`): a number on the
    do-not-call list, one done or tried `MAX_ATTEMPTS` times in the campaign, one on another open list of the
    campaign, one called CALL_TOUCH_MAX times across all campaigns in the last CALL_TOUCH_WINDOW_DAYS days. An entry
    starts at the number's attempts so far in the campaign. Set-based: a few statements whatever the numbers. A list
    with nothing to call is not created; the refusal counts the numbers left out per reason.

    The list works through `channel` (issue 20): the 10000 desk's `hotline_10000`, a partner's staff's `partner`, the
    direct sale by default. The customers whose plans were given to a partner company are its to work: a list for
    anyone else leaves them out.
    """
    agent = agent or user
    if campaign.is_cancelled:
        raise ValidationError(_("The campaign is cancelled: nobody is called for it any more."))
    if agent.pk != user.pk:
        require(user, "campaigns.build_call_list_for_others")
    if source not in CallSource.values:
        raise ValidationError({"source": _("Call key persons, members or all.")})
    if mode not in CallMode.values:
        raise ValidationError({"mode": _("A call list is manual or automatic.")})
    if not agent.is_active:
        raise ValidationError({"agent": _("%(name)s is no longer active.") % {"name": agent.display_name}})
    # One build of a campaign at a time, so that "not on another open list" holds (PostgreSQL; SQLite serialises);
    # and no number goes on the do-not-call list while this one reads it and writes its entries.
    Campaign.objects.select_for_update().filter(pk=campaign.pk).values_list("pk").first()
    _do_not_call_turn()
    plans = campaign.plans.filter(stage__in=CALLABLE_STAGES, customer__in=Customer.objects.visible_to(user))
    if not agent.is_partner_staff:
        plans = plans.filter(partner__isnull=True)  # given to a partner: its staff call them
    if channel is None:
        channel = PARTNER if agent.is_partner_staff else DIRECT
    if not plans.exists():
        raise ValidationError(_("The campaign has no plan you see that is still open: nobody to call."))
    if agent.pk != user.pk:
        plans = plans.filter(customer__in=Customer.objects.visible_to(agent))
        if not plans.exists():
            raise ValidationError(
                {"agent": _("%(name)s sees none of the campaign's customers you see.") % {"name": agent.display_name}}
            )
    call_list = CallList(campaign=campaign, agent=agent, source=source, mode=mode, created_by=user)
    if isinstance(channel, Channel):
        call_list.channel = channel
    else:
        call_list.channel_id = channel
    call_list.full_clean(exclude=["campaign", "agent", "created_by", "channel"])  # given, not typed in
    call_list.save()
    counts = _numbers_write(call_list, source, plans.values("customer_id"))
    entries = counts.pop(None, 0)
    left_out = {reason: counts.get(reason, 0) for reason in LeftOutReason.values}
    if not entries:
        if not counts:
            raise ValidationError(_("No number to call: the customers have none on file."))
        raise ValidationError(
            _("No number to call: every one of the %(count)d numbers was left out (%(reasons)s).")
            % {"count": sum(counts.values()), "reasons": left_out_text(left_out)}
        )
    analyze_after_load(CallEntry._meta.db_table, entries)
    audit.record(
        user=user,
        action=AuditAction.CREATE,
        obj=call_list,
        region_path=campaign.region.path,
        changes=audit.diff({}, {"campaign": campaign.pk, "agent": agent.username, "source": source, "mode": mode}),
        detail={"entries": entries, "left_out": {reason: n for reason, n in left_out.items() if n}},
    )
    built = cast("WithAnnotations[CallList, BuildCounts]", call_list)
    built.entries_count = entries
    built.left_out_counts = left_out
    return built


# A number's calls are counted and written one recording at a time (PostgreSQL advisory locks: shared by each
# recording with a lock on its own number; a dialer's results file takes the whole space, its numbers being many).
TOUCH_LOCK = 630_004
NUMBER_LOCK = 630_005
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def _number_turn(mobile: str) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [TOUCH_LOCK])
            cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [NUMBER_LOCK, mobile])


def touches_turn() -> None:
    """Every number's turn at once: no single recording runs while the caller writes many."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TOUCH_LOCK])


def call_back_day(call_back_at: datetime.datetime | None) -> datetime.date | None:
    """The day of a call-back in Asia/Shanghai: what the day's lists (`call_back_on`) read."""
    return call_back_at.astimezone(SHANGHAI).date() if call_back_at is not None else None


def outcome_refusal(
    *, entry: CallEntry, outcome: str, call_back_at: datetime.datetime | None, now: datetime.datetime
) -> dict[str, str] | str | None:
    """Why this outcome cannot be recorded on the entry now, before its number's calls are counted: a message on
    a field (`{field: message}`), one on the whole, or None. Shared by the agents' recordings and the dialer's
    results file."""
    if entry.last_outcome in FINAL_OUTCOMES:
        return _("This number is done: its last outcome, “%(outcome)s”, is final.") % {
            "outcome": entry.get_last_outcome_display()
        }
    if entry.attempts >= MAX_ATTEMPTS:
        return _("This number was tried %(max)d times in the campaign: no more calls.") % {"max": MAX_ATTEMPTS}
    if outcome not in CallOutcome.values:
        return {"outcome": _("Choose an outcome of the call.")}
    if outcome == CallOutcome.CALL_BACK and call_back_at is None:
        return {"call_back_at": _("A call back needs the date and time to call again.")}
    if outcome == CallOutcome.CALL_BACK and call_back_at is not None and call_back_at <= now:
        return {
            "call_back_at": _("The time to call back, %(time)s, is in the past.") % {"time": local_minute(call_back_at)}
        }
    if outcome != CallOutcome.CALL_BACK and call_back_at is not None:
        return {"call_back_at": _("Only a call back takes a time to call again.")}
    return None


@transaction.atomic
def call_outcome_record(
    *,
    user: User,
    entry: CallEntry,
    outcome: str,
    note: str = "",
    call_back_at: datetime.datetime | None = None,
) -> CallEntry:
    """Record a call of an entry (外呼结果) by the agent who calls it (the pool agent it is assigned to, else the
    list's agent): a `CallAttempt`, and the entry's attempts, last outcome and time. `call_back` needs the moment
    agreed to call again (`call_back_at`, in the future), which the entry keeps until its next call (with its day,
    `call_back_on`) and which becomes a notification to the agent; no other outcome takes one. A number called
    CALL_TOUCH_MAX times in the window, or within CALL_TOUCH_INTERVAL_HOURS, across all campaigns, is refused (the
    seven-touch rule). `do_not_call` puts the number on the do-not-call list at once, which takes it off every open
    call list (this entry included: the returned entry is then gone from the database)."""
    locked = CallEntry.objects.select_for_update(of=("self",)).select_related("call_list").filter(pk=entry.pk).first()
    if locked is None:  # its number went on the do-not-call list meanwhile
        raise ValidationError(_("This number is no longer on the list."))
    entry = locked
    call_list = entry.call_list
    require(user, "campaigns.record_call", entry)
    if not call_list.is_open:
        raise ValidationError(_("The call list is closed: no more calls are recorded on it."))
    if call_list.mode == CallMode.AUTO and entry.last_outcome != CallOutcome.CALL_BACK:
        raise ValidationError(
            _("The dialer calls this list: its results come back in its file; only call-backs are dialled by hand.")
        )
    if call_back_at is not None and timezone.is_naive(call_back_at):
        call_back_at = timezone.make_aware(call_back_at)
    _number_turn(entry.mobile)
    # the calls themselves are counted, not only the entry's copy: the number may have been called on an earlier
    # list of the campaign while this one was built
    entry.attempts = max(
        entry.attempts, CallAttempt.objects.filter(campaign_id=call_list.campaign_id, mobile=entry.mobile).count()
    )
    now = timezone.now()
    refusal = outcome_refusal(entry=entry, outcome=outcome, call_back_at=call_back_at, now=now)
    if refusal is not None:
        raise ValidationError(refusal)
    if outcome != CallOutcome.DO_NOT_CALL and DoNotCall.objects.filter(mobile=entry.mobile).exists():
        raise ValidationError(_("This number is on the do-not-call list: it is not called."))
    rule = TouchRule.current()
    touches, last_touch = touches_of([entry.mobile], now, rule).get(entry.mobile, (0, None))
    promised = entry.last_outcome == CallOutcome.CALL_BACK
    too_many = touch_refusal(rule, touches=touches, last_touch=last_touch, now=now, call_back=promised)
    if too_many is not None:
        raise ValidationError(too_many.message(rule))
    note = note.strip()
    call = CallAttempt(
        campaign_id=call_list.campaign_id,
        entry=entry,
        customer_id=entry.customer_id,
        mobile=entry.mobile,
        agent=user,
        outcome=outcome,
        note=note,
        call_back_on=call_back_day(call_back_at),
        call_back_at=call_back_at,
        channel_id=call_list.channel_id,
    )
    call.full_clean(exclude=["campaign", "entry", "customer", "agent", "channel"])  # taken from the entry
    call.save()
    entry.attempts += 1
    entry.last_outcome = outcome
    entry.last_called_at = call.called_at
    entry.call_back_at, entry.call_back_on = call.call_back_at, call.call_back_on
    entry.save(update_fields=["attempts", "last_outcome", "last_called_at", "call_back_on", "call_back_at"])
    audit.record(
        user=user,
        action=AuditAction.CREATE,
        obj=call,
        customer=Customer.objects.select_related("region").get(pk=entry.customer_id),
        object_repr=f"{entry.name} · {call_list.pk}",
        changes={
            "outcome": [None, outcome],
            **({"call_back_at": [None, audit.plain(call_back_at)]} if call_back_at else {}),
        },
        detail={"call_list": call_list.pk, "attempt": entry.attempts},
    )
    if call_back_at is not None:
        call_back_promised(entries=[entry], call_list=call_list)
    if outcome == CallOutcome.DO_NOT_CALL:
        # the agent's note stays with the call: the do-not-call list is national, and a note names the customer
        do_not_call_add(
            user=user, mobile=entry.mobile, reason=_("Asked during an outbound call not to be called again")
        )
    return entry


@transaction.atomic
def call_list_close(*, user: User, call_list: CallList) -> CallList:
    """Close a call list (its agent or its builder): no more calls on it, and its numbers may go on a new list."""
    require(user, "campaigns.close_call_list", call_list)
    if call_list.is_open:
        call_list.closed_at = timezone.now()
        call_list.save(update_fields=["closed_at"])
        audit.record(
            user=user,
            action=AuditAction.UPDATE,
            obj=call_list,
            changes={"closed_at": [None, audit.plain(call_list.closed_at)]},
        )
    return call_list
