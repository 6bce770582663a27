"""Calendar months: the period of every KPI snapshot (SPEC §7) and of the lists filtered by one."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

PERIOD_RE = re.compile(r"^(\d{4})-(\d{2})$")

# How far past the server's clock a time given by a phone or a dialer may lie (their clocks drift): a visit logged,
# a dialer's call time. Further is a time still to come, refused.
CLOCK_SKEW = datetime.timedelta(minutes=5)


@dataclass(frozen=True)
class Period:
    """A calendar month, the period of every snapshot."""

    start: datetime.date  # the first day

    @property
    def end(self) -> datetime.date:
        """The first day of the next month (exclusive)."""
        year, month = divmod(self.start.month, 12)
        return datetime.date(self.start.year + year, month + 1, 1)

    @property
    def last_day(self) -> datetime.date:
        return self.end - datetime.timedelta(days=1)

    def as_of(self, today: datetime.date) -> datetime.date:
        """The day the period's figures describe: its last day, or today while it runs."""
        return min(self.last_day, today)

    def previous(self) -> Period:
        return Period.of(self.start - datetime.timedelta(days=1))

    def __str__(self) -> str:
        return f"{self.start:%Y-%m}"

    @classmethod
    def of(cls, day: datetime.date) -> Period:
        return cls(day.replace(day=1))

    @classmethod
    def parse(cls, text: str, today: datetime.date) -> Period:
        """A month written YYYY-MM, no later than today's; ValueError with the reason otherwise."""
        match = PERIOD_RE.match(text.strip())
        if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1900:
            raise ValueError(_("A period is a month written YYYY-MM, e.g. 2026-11."))
        period = cls(datetime.date(int(match[1]), int(match[2]), 1))
        if period.start > today:
            raise ValueError(
                _("%(period)s is in the future: KPIs exist for this month and earlier ones only.") % {"period": period}
            )
        return period

    def months_back(self, count: int) -> list[Period]:
        """This period and the `count - 1` before it, oldest first."""
        periods = [self]
        while len(periods) < count:
            periods.append(periods[-1].previous())
        return periods[::-1]
