"""Tiering's part of the morning digest (`crm.notifications.digest_items`): the tier overrides that expire within a
week, told to whoever asked for them (the member of provincial staff who set one, the head or customer manager who
requested it) and to whoever approved them, so that they renew or let them go knowingly."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from crm.models import NotificationKind, User
from crm.notifications import DigestItem, phrase
from crm.permissions import may

from .models import TierOverride

WITHIN_DAYS = 7
NAMED = 5


def overrides_expiring(*, users: list[User], today: datetime.date) -> dict[int, list[DigestItem]]:
    ids = [user.pk for user in users]
    rows = (
        TierOverride.objects.active(today)
        .filter(Q(set_by_id__in=ids) | Q(decided_by_id__in=ids))
        .filter(expires_on__lte=today + datetime.timedelta(days=WITHIN_DAYS))
        .order_by("expires_on", "pk")
        .values_list("set_by_id", "decided_by_id", "customer__code", "customer__name", "expires_on")
    )
    wanted = set(ids)
    by_id = {user.pk: user for user in users}
    expiring: defaultdict[int, list[tuple[str, str, datetime.date]]] = defaultdict(list)
    for requester_id, decider_id, code, name, expires_on in rows:
        for user_id in {requester_id, decider_id} & wanted:
            expiring[user_id].append((code, name, expires_on))
    items: dict[int, list[DigestItem]] = {}
    for user_id, overrides in expiring.items():
        title = ngettext_lazy(
            "%(count)d tier override expires within %(days)d days",
            "%(count)d tier overrides expire within %(days)d days",
            len(overrides),
        )
        names = "、".join(f"{name}（{expires_on.isoformat()}）" for _code, name, expires_on in overrides[:NAMED])
        items[user_id] = [
            DigestItem(
                kind=NotificationKind.OVERRIDE_EXPIRING,
                title=phrase(title, {"count": len(overrides), "days": WITHIN_DAYS}),
                body=phrase(_("Expiring: %(names)s."), {"names": names}),
                url=_where(overrides, by_id[user_id]),
            )
        ]
    return items


def _where(overrides: list[tuple[str, str, datetime.date]], user: User) -> str:
    """The one customer's page; for several, the staff's list of those expiring (others have none to go to)."""
    if len(overrides) == 1:
        return reverse("accounts:customer-detail", args=[overrides[0][0]])
    return reverse("tiering:overrides") + "#expiring" if may(user, "tiering.review_overrides") else ""
