"""Teams' part of the morning digest (`crm.notifications.digest_items`): the customers each user still has to visit
this period, the most urgent named."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from crm.models import NotificationKind, User
from crm.notifications import DigestItem, phrase

from . import selectors
from .models import TeamRole
from .rules import urgency

NAMED = 3  # customers named in the digest line; the due-visits page has them all


def visits_due(*, users: list[User], today: datetime.date) -> dict[int, list[DigestItem]]:
    """For each user, the customers on whose team they hold a role and whose service standard is not met yet this
    period (as *due visits* counts them, in a province counting only verified on-site visits only those): two
    queries for the whole batch, and one for those provinces when a visit this period is not verified."""
    held = (
        TeamRole.objects.active(today)
        .filter(user_id__in=[user.pk for user in users], customer__tier__isnull=False)
        .values_list("user_id", "customer_id", "customer__tier", "customer__name")
    )
    customers_of: defaultdict[int, dict[int, str]] = defaultdict(dict)
    tiers: dict[int, str] = {}
    for user_id, customer_id, tier, name in held:
        customers_of[user_id][customer_id] = name
        tiers[customer_id] = tier
    statuses = selectors.visit_statuses(tiers.items(), today)
    url = reverse("teams:due-visits")
    items: dict[int, list[DigestItem]] = {}
    for user_id, customers in customers_of.items():
        due = [(statuses[pk], name) for pk, name in customers.items() if pk in statuses and not statuses[pk].met]
        if not due:
            continue
        due.sort(key=lambda item: urgency(item[0], today))
        named = "、".join(
            str(phrase(_("%(name)s (%(needed)d more, %(days)d days left)"), _values(status, name, today)))
            for status, name in due[:NAMED]
        )
        title = ngettext_lazy(
            "%(count)d customer still needs a visit this period",
            "%(count)d customers still need a visit this period",
            len(due),
        )
        items[user_id] = [
            DigestItem(
                kind=NotificationKind.VISIT_OVERDUE,
                title=phrase(title, {"count": len(due)}),
                body=phrase(_("Most urgent: %(names)s."), {"names": named}),
                url=url,
            )
        ]
    return items


def _values(status, name: str, today: datetime.date) -> dict:
    return {"name": name, "needed": status.needed, "days": (status.period_end - today).days}
