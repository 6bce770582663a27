"""The seven-touch rule (七次触达, issue 20): how often one number may be called, across every campaign at once.

Every call recorded is a touch, whatever its outcome and whoever made it (an agent, or a dialer whose results came
back as a file). A number is touched at most `max_touches` times in any `window_days` days, and never twice within
`interval_hours`. The rule is read from the settings (CALL_TOUCH_WINDOW_DAYS, CALL_TOUCH_MAX,
CALL_TOUCH_INTERVAL_HOURS).

`touch_refusal` is the rule itself, over plain values; the call-list build applies its window part in SQL
(`campaigns.services.calls`), the pages and the dialer file read the two values it takes per number from the calls
(`campaigns.selectors.touches_of`), and the tests hold the SQL to this function.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

LIMIT = "limit"
INTERVAL = "interval"


@dataclass(frozen=True)
class TouchRule:
    window_days: int
    max_touches: int
    interval_hours: int

    @classmethod
    def current(cls) -> TouchRule:
        return cls(
            window_days=settings.CALL_TOUCH_WINDOW_DAYS,
            max_touches=settings.CALL_TOUCH_MAX,
            interval_hours=settings.CALL_TOUCH_INTERVAL_HOURS,
        )

    @property
    def interval(self) -> datetime.timedelta:
        return datetime.timedelta(hours=self.interval_hours)

    def window_start(self, now: datetime.datetime) -> datetime.datetime:
        """The calls at or after this moment are in the window that ends now."""
        return now - datetime.timedelta(days=self.window_days)


@dataclass(frozen=True)
class TouchRefusal:
    """Why a number may not be called now: `limit` (called `max_touches` times in the window) or `interval` (called
    too recently; `next_at` is when it may be called again)."""

    reason: str
    touches: int
    last_touch: datetime.datetime | None
    next_at: datetime.datetime | None = None

    def message(self, rule: TouchRule) -> str:
        if self.reason == LIMIT:
            return _(
                "This number was called %(count)d times in the last %(days)d days, across all campaigns: at most "
                "%(max)d calls are allowed."
            ) % {"count": self.touches, "days": rule.window_days, "max": rule.max_touches}
        return _(
            "This number was last called at %(last)s: the next call is allowed from %(next)s (at least %(hours)d "
            "hours between two calls)."
        ) % {"last": local_minute(self.last_touch), "next": local_minute(self.next_at), "hours": rule.interval_hours}


def touch_refusal(
    rule: TouchRule,
    *,
    touches: int,
    last_touch: datetime.datetime | None,
    now: datetime.datetime,
    call_back: bool = False,
) -> TouchRefusal | None:
    """Whether a number may be called at `now`, given its calls in the window that ends then (`touches`, counted
    across all campaigns) and its latest call ever (`last_touch`): None when it may, else why not. A call-back the
    customer asked for (`call_back`: the number's last outcome promised one) keeps to the limit, not to the interval:
    "call me this afternoon" is the customer's own wish, which the interval, against calls nobody asked for, would
    otherwise forbid."""
    if touches >= rule.max_touches:
        return TouchRefusal(reason=LIMIT, touches=touches, last_touch=last_touch)
    if not call_back and last_touch is not None and now < last_touch + rule.interval:
        return TouchRefusal(reason=INTERVAL, touches=touches, last_touch=last_touch, next_at=last_touch + rule.interval)
    return None


def local_minute(moment: datetime.datetime | None) -> str:
    """A moment as the agents read it: local time to the minute."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment is not None else ""
