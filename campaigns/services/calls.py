"""Writes of the do-not-call list and of outbound call lists (SPEC §6.3)."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, TypedDict, cast

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Q
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
    CallList,
    CallOutcome,
    CallSource,
    Campaign,
    DoNotCall,
)
from ..rules import OPEN_PLAN_STAGES

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


def _candidates(source: str, customers, excluded: Q) -> list[tuple]:
    """(customer id, name, mobile) of the customers' people of `source` with a number, minus the excluded numbers:
    key persons (decision makers first) before group members, each by customer code. Two queries at most."""
    rows: list[tuple] = []
    if source in (CallSource.KEY_PERSONS, CallSource.ALL):
        key_persons = (
            KeyPerson.objects.filter(customer__in=customers)
            .exclude(mobile="")
            .exclude(excluded)
            .order_by("customer__code", "-is_decision_maker", "pk")
            .values_list("customer_id", "name", "mobile")
        )
        rows += list(key_persons)
    if source in (CallSource.MEMBERS, CallSource.ALL):
        members = (
            GroupMember.objects.filter(member_current(), customer__in=customers)  # nobody who has left is called
            .exclude(excluded)
            .order_by("customer__code", "pk")
            .values_list("customer_id", "name", "mobile")
        )
        rows += list(members)
    return rows


class EntriesCount(TypedDict):
    """What `call_list_build` sets on the list it builds."""

    entries_count: int


@transaction.atomic
def call_list_build(
    *, user: User, campaign: Campaign, source: str = CallSource.ALL, agent: User | None = None
) -> WithAnnotations[CallList, EntriesCount]:
    """Build an outbound call list (外呼清单) of the campaign for `agent` (the builder by default; naming someone
    else is for department heads and provincial staff), sets its `entries_count`.

    Entries: the key persons with a mobile and/or the current group members (not those who left) of the customers
    of the campaign's plans that are still open (not lost, not opened or in after-sales) and that both builder and
    agent see (SPEC §2); one entry per number. Never a number on the do-not-call list, one tried `MAX_ATTEMPTS`
    times in the campaign or whose call in the campaign had a final outcome, or one on another open list of the
    campaign. An entry starts at the number's attempts so far in the campaign. A list with nothing to call is not
    created.
    """
    agent = agent or user
    if campaign.is_cancelled:
        raise ValidationError(_("The campaign is cancelled: nobody is called for it any more."))
    if agent.pk != user.pk:
        require(user, "campaigns.build_call_list_for_others")
    if source not in CallSource.values:
        raise ValidationError({"source": _("Call key persons, members or all.")})
    if not agent.is_active:
        raise ValidationError({"agent": _("%(name)s is no longer active.") % {"name": agent.display_name}})
    # One build of a campaign at a time, so that "not on another open list" holds (PostgreSQL; SQLite serialises);
    # and no number goes on the do-not-call list while this one reads it and writes its entries.
    Campaign.objects.select_for_update().filter(pk=campaign.pk).values_list("pk").first()
    _do_not_call_turn()
    plans = campaign.plans.filter(stage__in=CALLABLE_STAGES, customer__in=Customer.objects.visible_to(user))
    if not plans.exists():
        raise ValidationError(_("The campaign has no plan you see that is still open: nobody to call."))
    if agent.pk != user.pk:
        plans = plans.filter(customer__in=Customer.objects.visible_to(agent))
        if not plans.exists():
            raise ValidationError(
                {"agent": _("%(name)s sees none of the campaign's customers you see.") % {"name": agent.display_name}}
            )
    calls = CallAttempt.objects.filter(campaign=campaign).values("mobile").order_by()
    spent = (
        calls.annotate(n=Count("pk"), final=Count("pk", filter=Q(outcome__in=FINAL_OUTCOMES)))
        .filter(Q(n__gte=MAX_ATTEMPTS) | Q(final__gt=0))
        .values("mobile")
    )
    on_open_list = CallEntry.objects.filter(call_list__campaign=campaign, call_list__closed_at__isnull=True)
    excluded = (
        Q(mobile__in=DoNotCall.objects.values("mobile"))
        | Q(mobile__in=spent)
        | Q(mobile__in=on_open_list.values("mobile"))
    )
    candidates = _candidates(source, plans.values("customer_id"), excluded)
    if not candidates:
        raise ValidationError(
            _(
                "No number to call: the customers have none on file, or every one is on the do-not-call list, "
                "done in this campaign, tried %(max)d times or on another open list of it."
            )
            % {"max": MAX_ATTEMPTS}
        )
    attempts = dict(calls.annotate(n=Count("pk")).values_list("mobile", "n"))
    call_list = CallList(campaign=campaign, agent=agent, source=source, created_by=user)
    call_list.full_clean(exclude=["campaign", "agent", "created_by"])  # given, not typed in
    call_list.save()
    seen: set[str] = set()
    entries = []
    for customer_id, name, mobile in candidates:
        if mobile in seen:
            continue
        seen.add(mobile)
        entries.append(
            CallEntry(
                call_list=call_list,
                customer_id=customer_id,
                name=name[:50],
                mobile=mobile,
                attempts=attempts.get(mobile, 0),
            )
        )
    CallEntry.objects.bulk_create(entries, batch_size=ENTRY_BATCH)
    analyze_after_load(CallEntry._meta.db_table, len(entries))
    audit.record(
        user=user,
        action=AuditAction.CREATE,
        obj=call_list,
        region_path=campaign.region.path,
        changes=audit.diff({}, {"campaign": campaign.pk, "agent": agent.username, "source": source}),
        detail={"entries": len(entries)},
    )
    built = cast("WithAnnotations[CallList, EntriesCount]", call_list)
    built.entries_count = len(entries)
    return built


@transaction.atomic
def call_outcome_record(
    *, user: User, entry: CallEntry, outcome: str, note: str = "", call_back_on: datetime.date | None = None
) -> CallEntry:
    """Record a call of an entry (外呼结果) by the list's agent: a `CallAttempt`, and the entry's attempts, last
    outcome and time. `call_back` needs the day agreed to call again (`call_back_on`, today or later), which the
    entry keeps until its next call; no other outcome takes one. `do_not_call` puts the number on the do-not-call
    list at once, which takes it off every open call list (this entry included: the returned entry is then gone
    from the database)."""
    locked = CallEntry.objects.select_for_update(of=("self",)).select_related("call_list").filter(pk=entry.pk).first()
    if locked is None:  # its number went on the do-not-call list meanwhile
        raise ValidationError(_("This number is no longer on the list."))
    entry = locked
    call_list = entry.call_list
    require(user, "campaigns.record_call", call_list)
    if not call_list.is_open:
        raise ValidationError(_("The call list is closed: no more calls are recorded on it."))
    if entry.last_outcome in FINAL_OUTCOMES:
        raise ValidationError(
            _("This number is done: its last outcome, “%(outcome)s”, is final.")
            % {"outcome": entry.get_last_outcome_display()}
        )
    # the calls themselves are counted, not only the entry's copy: the number may have been called on an earlier
    # list of the campaign while this one was built
    tried = CallAttempt.objects.filter(campaign_id=call_list.campaign_id, mobile=entry.mobile).count()
    if max(entry.attempts, tried) >= MAX_ATTEMPTS:
        raise ValidationError(
            _("This number was tried %(max)d times in the campaign: no more calls.") % {"max": MAX_ATTEMPTS}
        )
    if outcome != CallOutcome.DO_NOT_CALL and DoNotCall.objects.filter(mobile=entry.mobile).exists():
        raise ValidationError(_("This number is on the do-not-call list: it is not called."))
    if outcome not in CallOutcome.values:
        raise ValidationError({"outcome": _("Choose an outcome of the call.")})
    if outcome == CallOutcome.CALL_BACK and call_back_on is None:
        raise ValidationError({"call_back_on": _("A call back needs the day to call again.")})
    if outcome == CallOutcome.CALL_BACK and call_back_on is not None and call_back_on < timezone.localdate():
        raise ValidationError(
            {"call_back_on": _("The day to call back, %(day)s, is in the past.") % {"day": call_back_on.isoformat()}}
        )
    if outcome != CallOutcome.CALL_BACK and call_back_on is not None:
        raise ValidationError({"call_back_on": _("Only a call back takes a day to call again.")})
    note = note.strip()
    call = CallAttempt(
        campaign_id=call_list.campaign_id,
        entry=entry,
        customer_id=entry.customer_id,
        mobile=entry.mobile,
        agent=user,
        outcome=outcome,
        note=note,
        call_back_on=call_back_on,
    )
    call.full_clean(exclude=["campaign", "entry", "customer", "agent"])  # taken from the entry, not typed in
    call.save()
    entry.attempts = max(entry.attempts, tried) + 1
    entry.last_outcome = outcome
    entry.last_called_at = call.called_at
    entry.call_back_on = call_back_on
    entry.save(update_fields=["attempts", "last_outcome", "last_called_at", "call_back_on"])
    audit.record(
        user=user,
        action=AuditAction.CREATE,
        obj=call,
        customer=Customer.objects.select_related("region").get(pk=entry.customer_id),
        object_repr=f"{entry.name} · {call_list.pk}",
        changes={
            "outcome": [None, outcome],
            **({"call_back_on": [None, audit.plain(call_back_on)]} if call_back_on else {}),
        },
        detail={"call_list": call_list.pk, "attempt": entry.attempts},
    )
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
