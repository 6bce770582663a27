"""The customer's timeline events teams keeps (`accounts.hooks.customer_timeline`): its visits and the changes of
its team. Each is one query over an index that leads with the customer, stopping at `limit` rows."""

from __future__ import annotations

import datetime

from django.db.models import Case, F, When
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from accounts.hooks import TimelineEntry
from accounts.models import Customer
from crm.models import TeamRoleKind, User

from .models import TeamRole, Visit

SUMMARY_SHOWN = 200  # characters of a visit's summary on the timeline; the visit keeps it whole


def visit_entries(
    *, customer: Customer, user: User, before: datetime.datetime | None, limit: int
) -> list[TimelineEntry]:
    """The customer's visits, newest first (visit_customer_when_idx)."""
    visits = Visit.objects.filter(customer=customer)
    if before is not None:
        visits = visits.filter(visited_at__lt=before)
    now = timezone.now()
    entries = []
    for visit in visits.select_related("visitor").order_by("-visited_at", "-id")[:limit]:
        title = visit.get_kind_display()
        if visit.purpose:
            title = f"{title} · {visit.purpose}"
        body = Truncator(visit.summary).chars(SUMMARY_SHOWN)
        if visit.next_step:
            body += "\n" + _("Next: %(step)s") % {"step": visit.next_step}
        entries.append(
            TimelineEntry(
                at=visit.visited_at,
                kind="visit",
                title=title,
                body=body,
                url=reverse("teams:visit-edit", args=[visit.pk]) if visit.editable_by(user, now) else "",
                actor=visit.visitor.display_name,
            )
        )
    return entries


def _start_of(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_current_timezone())


def team_entries(
    *, customer: Customer, user: User, before: datetime.datetime | None, limit: int
) -> list[TimelineEntry]:
    """Each role on the team given (on its first day) and taken (on the day it ends), newest first. A role is held
    by days, so its events are at the start of those days; a role given or ended in the future is not yet history.

    The roles are taken by their latest event before the cutoff, newest first, `limit` of them: each holds at least
    one event newer than any role left out, so the newest `limit` events are among theirs."""
    if before is None:
        last_day = timezone.localdate()
    else:
        moment = timezone.localtime(before)
        # An event at midnight of `before`'s own day is before it unless `before` is that very midnight.
        last_day = moment.date() if moment.time() > datetime.time.min else moment.date() - datetime.timedelta(days=1)
    latest = Case(When(ends_on__isnull=False, ends_on__lte=last_day, then=F("ends_on")), default=F("starts_on"))
    roles = (
        TeamRole.objects.filter(customer=customer, starts_on__lte=last_day)
        .select_related("user")
        .annotate(latest=latest)
        .order_by("-latest", "-id")[:limit]
    )
    labels = dict(TeamRoleKind.choices)
    entries = []
    for role in roles:
        who, label = role.user.display_name, labels.get(role.role, role.role)
        entries.append(
            TimelineEntry(
                at=_start_of(role.starts_on),
                kind="team",
                title=_("%(who)s became %(role)s") % {"who": who, "role": label},
                actor="",
            )
        )
        if role.ends_on is not None and role.ends_on <= last_day:
            entries.append(
                TimelineEntry(
                    at=_start_of(role.ends_on),
                    kind="team",
                    title=_("%(who)s is no longer %(role)s") % {"who": who, "role": label},
                )
            )
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries[:limit]
