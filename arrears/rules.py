"""Pure rules of arrears collection (大额欠费, issue 21): plain values in, plain values out, `today` as an argument.

- "large" arrears reach the threshold of the customer's tier (data per province, `ArrearsThreshold`; these are the
  national defaults); a customer without a tier (not active) is held to tier C's;
- arrears age from the day they began (`since`) into the buckets of the KPIs: up to 30 days, 31–60, 61–90, over 90;
- a collection case is due sooner the older the arrears it chases.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

# The national defaults (CNY), a province's own rows override them tier by tier.
DEFAULT_THRESHOLDS: dict[str, Decimal] = {
    "A+": Decimal("50000.00"),
    "A": Decimal("50000.00"),
    "B": Decimal("20000.00"),
    "C": Decimal("10000.00"),
}
UNTIERED = "C"

# Ageing buckets (账龄): (code, first day, last day or None), the days counted from `since` to the day described.
AGE_30, AGE_60, AGE_90, AGE_OVER_90 = "30", "60", "90", "over_90"
AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    (AGE_30, 0, 30),
    (AGE_60, 31, 60),
    (AGE_90, 61, 90),
    (AGE_OVER_90, 91, None),
)
AGE_LABELS = {
    AGE_30: _("up to 30 days"),
    AGE_60: _("31–60 days"),
    AGE_90: _("61–90 days"),
    AGE_OVER_90: _("over 90 days"),
}

# Days a new case is given, by the age of its arrears when it opens: the older, the sooner (oldest first).
DUE_DAYS: tuple[tuple[int, int], ...] = ((91, 3), (61, 7), (31, 14), (0, 30))


def threshold_for(tier: str | None, thresholds: dict[str, Decimal]) -> Decimal:
    """The threshold a customer of `tier` is held to; `thresholds` by tier (a province's over the defaults)."""
    return thresholds.get(tier or UNTIERED, DEFAULT_THRESHOLDS[tier or UNTIERED])


def is_large(amount: Decimal, tier: str | None, thresholds: dict[str, Decimal]) -> bool:
    """Whether arrears of `amount` are large for a customer of `tier`: they reach its threshold."""
    return amount > 0 and amount >= threshold_for(tier, thresholds)


def age_days(since: datetime.date | None, today: datetime.date) -> int:
    """How many days the arrears have run on `today` (0 when the bill did not say since when)."""
    return max((today - since).days, 0) if since else 0


def age_bucket(since: datetime.date | None, today: datetime.date) -> str:
    days = age_days(since, today)
    for code, first, last in AGE_BUCKETS:
        if days >= first and (last is None or days <= last):
            return code
    raise AssertionError(days)  # the buckets cover every day from 0


def due_on(since: datetime.date | None, today: datetime.date) -> datetime.date:
    """When a case opened `today` over arrears running since `since` is due."""
    days = age_days(since, today)
    for older_than, given in DUE_DAYS:
        if days >= older_than:
            return today + datetime.timedelta(days=given)
    raise AssertionError(days)
