"""What teams tells people (`crm.notifications`): a role on a customer's team given or taken, customers handed over.
Called by the team services inside their transactions; the one who made the change is not told of it."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import Customer
from crm.models import NotificationKind, User
from crm.notifications import notify, phrase

from .models import TeamRoleKind


def _holders(lineup: dict[str, Any]) -> set[tuple[str, str]]:
    """(role, username) for every role held in a team lineup (`services.team_lineup`)."""
    held = {(role, username) for role, username in lineup.items() if role != "assistants" and username}
    return held | {(TeamRoleKind.ASSISTANT.value, username) for username in lineup.get("assistants", [])}


def team_change_notified(*, by: User, customer: Customer, before: dict[str, Any], after: dict[str, Any]) -> None:
    """Each member of staff who got a role on the customer's team, or lost one, hears of it; becoming its customer
    manager is being assigned the customer."""
    given, taken = _holders(after) - _holders(before), _holders(before) - _holders(after)
    users = {
        user.username: user
        for user in User.objects.filter(username__in={name for _role, name in given | taken}).exclude(pk=by.pk)
    }
    url = reverse("accounts:customer-detail", args=[customer.code])
    changed_by = phrase(_("Changed by %(name)s."), {"name": by.display_name})
    for role, username in sorted(given):
        if username in users:
            manager = role == TeamRoleKind.CUSTOMER_MANAGER
            notify(
                recipients=[users[username]],
                kind=NotificationKind.CUSTOMER_ASSIGNED if manager else NotificationKind.TEAM_ROLE_GIVEN,
                title=phrase(
                    _("You are now the customer manager of %(customer)s")
                    if manager
                    else _("You are now %(role)s of %(customer)s"),
                    {"customer": customer.name, "role": TeamRoleKind(role).label},
                ),
                body=changed_by,
                url=url,
            )
    for role, username in sorted(taken):
        if username in users:
            notify(
                recipients=[users[username]],
                kind=NotificationKind.TEAM_ROLE_TAKEN,
                title=phrase(
                    _("You are no longer %(role)s of %(customer)s"),
                    {"customer": customer.name, "role": TeamRoleKind(role).label},
                ),
                body=changed_by,
                url=url,
            )


def reassign_notified(*, by: User, leaving: User, handed: dict[int, User]) -> None:
    """A leaving manager's customers handed over (`services.team_reassign`): each target hears how many are now
    theirs, the leaving manager that theirs were handed on."""
    counts = Counter(target.pk for target in handed.values())
    for target_id, count in counts.items():
        if target_id != by.pk:
            notify(
                recipients=[target_id],
                kind=NotificationKind.CUSTOMER_ASSIGNED,
                title=phrase(
                    _("%(count)d customers of %(name)s are now yours"), {"count": count, "name": leaving.display_name}
                ),
                body=phrase(_("Handed over by %(name)s."), {"name": by.display_name}),
                url=reverse("accounts:customer-list"),
            )
    if leaving.pk != by.pk:
        notify(
            recipients=[leaving],
            kind=NotificationKind.TEAM_ROLE_TAKEN,
            title=phrase(_("Your roles on %(count)d customers were handed over"), {"count": len(handed)}),
            body=phrase(_("Handed over by %(name)s."), {"name": by.display_name}),
        )
