"""The 10000 desk's pool (issue 20): a call list's numbers shared evenly among several agents, and the audit of the
whole numbers shown to the agent who calls them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from accounts.models import Customer
from crm import audit
from crm.models import AuditAction, User
from crm.permissions import require
from teams.selectors import staff_pool

from ..models import CallEntry, CallList, CallMode, CallOutcome
from ..notices import calls_dealt_notified
from ..selectors.calls import entry_done

# The most agents one list is shared among.
POOL_MAX = 200


def _pool_agents(user: User, call_list: CallList, agents: Sequence[User]) -> list[User]:
    """The agents named, each once, in the order given: active staff the user may give calls to (their pool of
    staff, themselves, the list's agent)."""
    chosen = list({agent.pk: agent for agent in agents}.values())
    if not chosen:
        raise ValidationError({"agents": _("Choose at least one agent to share the numbers among.")})
    if len(chosen) > POOL_MAX:
        raise ValidationError({"agents": _("A list is shared among %(max)d agents at most.") % {"max": POOL_MAX}})
    inactive = [agent.display_name for agent in chosen if not agent.is_active]
    if inactive:
        raise ValidationError({"agents": _("No longer active: %(names)s.") % {"names": "、".join(inactive)}})
    allowed = set(staff_pool(user).filter(pk__in=[agent.pk for agent in chosen]).values_list("pk", flat=True))
    allowed |= {user.pk, call_list.agent_id}
    outside = [agent.display_name for agent in chosen if agent.pk not in allowed]
    if outside:
        raise ValidationError(
            {"agents": _("Not among the staff you give calls to: %(names)s.") % {"names": "、".join(outside)}}
        )
    return chosen


@transaction.atomic
def call_list_distribute(*, user: User, call_list: CallList, agents: Sequence[User]) -> dict[str, int]:
    """Share the list's numbers still to call evenly among `agents` (one after the other in entry order: shares
    differ by one number at most), by whoever built the list or manages teams; each agent then calls, and sees whole,
    the numbers given to them. Numbers already done, and call-backs promised (kept by the agent who promised them),
    stay as they are; numbers of customers the user does not see are not theirs to give. Shared again, the numbers
    still to call are dealt anew. One UPDATE however many numbers; returns how many numbers each agent (username)
    got."""
    require(user, "campaigns.distribute_call_list", call_list)
    locked = CallList.objects.select_for_update().get(pk=call_list.pk)
    if not locked.is_open:
        raise ValidationError(_("The call list is closed: no more calls are recorded on it."))
    if locked.mode == CallMode.AUTO:
        raise ValidationError(_("An automatic list is called by the dialer: its numbers are not shared among agents."))
    chosen = _pool_agents(user, locked, agents)
    shared = (
        locked.entries.filter(customer__in=Customer.objects.visible_to(user))
        .exclude(entry_done())
        .exclude(last_outcome=CallOutcome.CALL_BACK)
        .values("id")
        .order_by()
    )
    ids_sql, ids_params = shared.query.sql_with_params()
    table = connection.ops.quote_name(CallEntry._meta.db_table)
    dealt = " ".join("WHEN %s THEN %s" for _agent in chosen)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET assigned_to_id = CASE (dealt.nth - 1) %% %s {dealt} END "
            f"FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS nth FROM ({ids_sql}) AS shared) AS dealt "
            f"WHERE {table}.id = dealt.id",
            [len(chosen), *[value for turn, agent in enumerate(chosen) for value in (turn, agent.pk)], *ids_params],
        )
        total = cursor.rowcount
    # dealt in turn: the first `total % agents` agents get one number more
    shares = {
        agent.username: total // len(chosen) + (1 if turn < total % len(chosen) else 0)
        for turn, agent in enumerate(chosen)
    }
    call_list_audited(
        user=user,
        call_list=locked,
        action=AuditAction.UPDATE,
        changes={"assigned_to": [None, sorted(shares)]},
        detail={"numbers": total, "shares": shares},
    )
    calls_dealt_notified(by=user, call_list=locked, shares={agent.pk: shares[agent.username] for agent in chosen})
    return shares


def call_numbers_shown(*, user: User, call_list: CallList, entry_ids: Sequence[int], where: str) -> None:
    """Whole numbers of the list were shown to the agent who calls them, who is not their customer's manager: on the
    audit trail, where and which entries. Nothing when none were."""
    if entry_ids:
        call_list_audited(
            user=user,
            call_list=call_list,
            action=AuditAction.REVEAL,
            object_repr=where,
            detail={"where": where, "numbers": len(entry_ids), "entries": list(entry_ids)},
        )


def call_list_audited(
    *,
    user: User,
    call_list: CallList,
    action: str,
    detail: Mapping[str, Any],
    object_repr: str = "",
    changes: Mapping[str, Any] | None = None,
) -> None:
    """One entry of the audit trail about a call list as a whole, in its campaign's region."""
    audit.record(
        user=user,
        action=action,
        obj=call_list,
        region_path=call_list.campaign.region.path,
        object_repr=object_repr,
        changes=changes,
        detail=detail,
    )
