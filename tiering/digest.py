"""Tiering's part of the morning digest (`crm.notifications.digest_items`): the tier overrides a member of provincial
staff set that expire within a week, so that they renew or let them go knowingly."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from crm.models import NotificationKind, User
from crm.notifications import DigestItem, phrase

from .models import TierOverride

WITHIN_DAYS = 7
NAMED = 5


def overrides_expiring(*, users: list[User], today: datetime.date) -> dict[int, list[DigestItem]]:
    rows = (
        TierOverride.objects.active(today)
        .filter(set_by_id__in=[user.pk for user in users], expires_on__lte=today + datetime.timedelta(days=WITHIN_DAYS))
        .order_by("expires_on", "pk")
        .values_list("set_by_id", "customer__code", "customer__name", "expires_on")
    )
    expiring: defaultdict[int, list[tuple[str, str, datetime.date]]] = defaultdict(list)
    for user_id, code, name, expires_on in rows:
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
                url=reverse("accounts:customer-detail", args=[overrides[0][0]]) if len(overrides) == 1 else "",
            )
        ]
    return items
