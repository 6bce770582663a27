"""The one timeline of a customer (时间线): what each floor keeps of the customer's events, through the hook
`accounts.hooks.customer_timeline`, merged newest first and paged by time (`before`).

Each receiver answers with one query stopping at `limit` rows over an indexed column; this module merges them and
adds the customers' own events: the customer filed, and its edits as the audit trail keeps them (its status among
them)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from crm.models import AuditAction, AuditEntry, User

from . import hooks
from .hooks import TimelineEntry
from .models import Customer, CustomerStatus

PAGE_SIZE = 20

# The kinds of event the floors give (`TimelineEntry.kind`), as the page labels them.
KIND_LABELS = {
    "visit": gettext_lazy("Visit"),
    "call": pgettext_lazy("timeline", "Call"),
    "plan": gettext_lazy("Campaign plan"),
    "opportunity": gettext_lazy("Opportunity"),
    "tier": gettext_lazy("Tier"),
    "team": gettext_lazy("Team"),
    "status": gettext_lazy("Status"),
    "customer": gettext_lazy("Profile"),
}


@dataclass(frozen=True)
class TimelinePage:
    entries: list[TimelineEntry]
    next_before: datetime.datetime | None  # the `before` of the next page; None when this is the last


def merge(answers: Sequence[Sequence[TimelineEntry]], limit: int) -> TimelinePage:
    """The newest `limit` entries of the receivers' answers (each newest first, at most `limit`), and where the
    next page starts.

    A page ends on a moment, and the next one asks for what came before it: so the entries at the page's last
    moment are all shown on this page (it may run a little over `limit`), never split across two. A receiver that
    answered a whole `limit` may hold more than it gave: then there is a next page even when the merge ran out."""
    merged = sorted((entry for answer in answers for entry in answer), key=lambda entry: entry.at, reverse=True)
    if limit <= 0 or not merged:
        return TimelinePage([], None)
    if len(merged) > limit:
        last = merged[limit - 1].at
        page = [entry for entry in merged if entry.at >= last]
    else:
        page = merged
    more = len(merged) > len(page) or any(len(answer) >= limit for answer in answers)
    return TimelinePage(page, page[-1].at if more else None)


def timeline_page(
    *, customer: Customer, user: User, before: datetime.datetime | None = None, limit: int = PAGE_SIZE
) -> TimelinePage:
    answers = hooks.customer_timeline(customer=customer, user=user, before=before, limit=limit)
    return merge([answer or [] for answer in answers], limit)


# -- the customers' own events ---------------------------------------------------------------------------------------

STATUS_LABELS = dict(CustomerStatus.choices)


def _field_label(name: str) -> str:
    try:
        field = Customer._meta.get_field(name)
    except FieldDoesNotExist:  # a field the trail kept that the model no longer has
        return name
    return str(getattr(field, "verbose_name", name))


def customer_edits(*, customer: Customer, user: User, before: datetime.datetime | None, limit: int) -> list:
    """The customer filed and each edit of its own fields, from the audit trail: one query over the trail's
    index of the customer's entries (customer, newest first), stopping at `limit`."""
    entries = AuditEntry.objects.filter(
        customer_id=customer.pk,
        object_type=Customer._meta.label_lower,
        object_id=str(customer.pk),
        action__in=[AuditAction.CREATE, AuditAction.UPDATE],
    )
    if before is not None:
        entries = entries.filter(at__lt=before)
    url = reverse("accounts:customer-history", args=[customer.code])
    timeline = []
    for entry in entries.order_by("-id").only("at", "action", "username", "changes")[:limit]:
        changes = entry.changes or {}
        if entry.action == AuditAction.CREATE:
            kind, title, body = "customer", _("Customer filed"), ""
        elif "status" in changes:
            old, new = changes["status"]
            kind = "status"
            title = _("Status: %(old)s → %(new)s") % {
                "old": STATUS_LABELS.get(old, old or "—"),
                "new": STATUS_LABELS.get(new, new or "—"),
            }
            body = "、".join(_field_label(name) for name in changes if name != "status")
        else:
            kind, title = "customer", _("Profile edited")
            body = "、".join(_field_label(name) for name in changes)
        timeline.append(TimelineEntry(at=entry.at, kind=kind, title=title, body=body, url=url, actor=entry.username))
    return timeline


def register() -> None:
    hooks.customer_timeline.register("accounts.edits", customer_edits)
