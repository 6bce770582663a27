"""Months as commissions know them (酬金, issue 20): a settlement's month, a rule's first and last months. A month is
kept as its first day and written YYYY-MM."""

from __future__ import annotations

import datetime

from django.utils.translation import gettext as _

from crm.periods import PERIOD_RE

from .rules import month_end


def parse_month(text: str | None) -> datetime.date:
    """The first day of the month written YYYY-MM; ValueError with the reason otherwise."""
    match = PERIOD_RE.match((text or "").strip())
    if not match or not 1 <= int(match[2]) <= 12 or not 1900 <= int(match[1]) <= 2100:
        raise ValueError(_("A month is written YYYY-MM, from 1900-01 to 2100-12, e.g. 2026-11."))
    return datetime.date(int(match[1]), int(match[2]), 1)


def format_month(month: datetime.date | None) -> str | None:
    return None if month is None else f"{month:%Y-%m}"


def is_over(month: datetime.date, today: datetime.date) -> bool:
    """Whether the month has ended by `today` (a month is settled from the first day of the next)."""
    return month_end(month) <= today


def last_closed(today: datetime.date) -> datetime.date:
    """The latest month that is over."""
    return (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


def months_before(month: datetime.date, count: int) -> list[datetime.date]:
    """The `count` months before `month`, the nearest first."""
    found, current = [], month
    for _step in range(count):
        current = (current - datetime.timedelta(days=1)).replace(day=1)
        found.append(current)
    return found


def open_month_message(month: datetime.date) -> str:
    return _("%(month)s is not over yet: its commissions are settled from %(day)s on.") % {
        "month": format_month(month),
        "day": month_end(month).isoformat(),
    }
