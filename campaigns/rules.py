"""Pure rules of products and coverage (SPEC §6.1): plain values in, plain values out, `today` as an argument."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from accounts.rules import mask_mobile  # noqa: F401  (campaigns' callers read it here)

UNCOVERED, FAKE, THIN, COVERED = "uncovered", "fake", "thin", "covered"
COVERAGE_LABELS = {
    UNCOVERED: _("Uncovered"),
    FAKE: _("Fake coverage"),
    THIN: _("Thin coverage"),
    COVERED: _("Covered"),
}


@dataclass(frozen=True)
class Thresholds:
    """When a holding counts as fake (伪覆盖) or thin (薄覆盖) coverage; data, editable (`CoverageThresholds`)."""

    idle_days: int = 90  # no use in this many days: fake
    fake_share: Decimal = Decimal("5")  # per-member: active users below this % of handsets: fake
    thin_share: Decimal = Decimal("30")  # per-member: below this %: thin


@dataclass(frozen=True)
class Holding:
    """What the rule needs to know of a customer's subscription to a product."""

    active_users: int
    last_used_on: datetime.date | None


def coverage_status(
    *, per_member: bool, holding: Holding | None, handset_count: int, today: datetime.date, thresholds: Thresholds
) -> str:
    """The coverage of one product at one customer.

    - uncovered: not subscribed;
    - fake: subscribed, but not used in the last `idle_days` days (never used counts as not used), or per-member
      with active users below `fake_share` % of the customer's handsets;
    - thin: per-member with active users below `thin_share` % of the handsets;
    - covered: otherwise. A customer with no handsets has no share to fall short of.
    """
    if holding is None:
        return UNCOVERED
    if holding.last_used_on is None or holding.last_used_on < today - datetime.timedelta(days=thresholds.idle_days):
        return FAKE
    if per_member and handset_count > 0:
        share = Decimal(holding.active_users) * 100 / handset_count
        if share < thresholds.fake_share:
            return FAKE
        if share < thresholds.thin_share:
            return THIN
    return COVERED


# The five-step path of a plan (SPEC §6.2); `lost` leaves it from any step.
PATH = ("screened", "opportunity", "visited", "opened", "after_sales")
LOST = "lost"


def is_backwards(from_stage: str, to_stage: str) -> bool:
    """A move back along the path, or out of `lost` again: it needs a reason."""
    if from_stage == LOST:
        return to_stage != LOST
    if to_stage == LOST:
        return False
    return PATH.index(to_stage) < PATH.index(from_stage)


# A plan still in play: not lost, not yet opened (an opened customer is served, not sold to). Such a plan is called
# (call lists) and idles when its stage rests.
OPEN_PLAN_STAGES = PATH[:3]

# Opportunities (商机, issue 17): the stages in pipeline order, the open ones, and each stage's default probability.
OPPORTUNITY_PATH = ("found", "proposal", "negotiation", "won", "opened")
OPEN_OPPORTUNITY_STAGES = ("found", "proposal", "negotiation")
OPPORTUNITY_PROBABILITY = {"found": 10, "proposal": 30, "negotiation": 60, "won": 90, "opened": 100, "lost": 0}
CENT = Decimal("0.01")


def weighted_revenue(amount: Decimal, probability: int) -> Decimal:
    """The expected revenue weighted by its probability (in percent), to the fen."""
    return (amount * probability / 100).quantize(CENT)


@dataclass(frozen=True)
class ForecastMonth:
    """One month of the weighted forecast: the opportunities expected to close in it."""

    month: datetime.date  # its first day
    count: int
    monthly_revenue: Decimal  # Σ expected monthly revenue
    weighted_revenue: Decimal  # Σ expected monthly revenue × probability


def weighted_forecast(rows: list[tuple[datetime.date, int, int, Decimal]]) -> list[ForecastMonth]:
    """The weighted forecast by month from rows of (expected close date or its month, probability, how many, Σ
    expected monthly revenue): Σ revenue × probability per month, months in order."""
    months: dict[datetime.date, list] = {}
    for day, probability, count, revenue in rows:
        month = day.replace(day=1)
        total = months.setdefault(month, [0, Decimal("0"), Decimal("0")])
        total[0] += count
        total[1] += revenue
        total[2] += revenue * probability / 100
    return [
        ForecastMonth(month, count, revenue.quantize(CENT), weighted.quantize(CENT))
        for month, (count, revenue, weighted) in sorted(months.items())
    ]


def idle_days(stage_changed_at: datetime.datetime, now: datetime.datetime) -> int:
    """Whole days since the opportunity last moved stage (or was found)."""
    return max(0, (now - stage_changed_at).days)
