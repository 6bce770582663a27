"""The KPIs of SPEC §7 (考核指标), each defined once: what it counts above and below the line, its unit, which way
is good, and its default target. Pure: totals in, values out; `kpis.totals` counts the totals in the database.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from django.utils.translation import gettext_lazy as _

RATIO, CNY = "ratio", "cny"
AT_LEAST, AT_MOST, NEAR = "at_least", "at_most", "near"
# A tier share is on target within 3 percentage points of its quota (SPEC §4.1).
NEAR_TOLERANCE = Decimal("0.03")
VALUE_PLACES = Decimal("0.000001")

# What the database counts per customer and every scope sums (kpis.totals): the numerators and denominators.
TOTAL_FIELDS = (
    "customers",  # every customer of the scope, whatever its status
    "active",  # active customers
    "handsets",  # Σ handset_count of active customers
    "members",  # group members of active customers
    "members_on_net",  # … on our network
    "members_verified",  # … verified (真实性核实)
    "revenue",  # Σ informatization_revenue of active customers, CNY/month
    "active_at_start",  # customers active at the end of the day before the period began
    "still_active",  # … and active at its end (or today, for the running month)
    "tiered",  # customers with a tier
    "tier_a",  # tier A+ or A
    "tier_b",
    "tier_c",
    "tier_ab",  # tier A+, A or B
    "profile_ab",  # complete profiles (建档完整) among tiers A+, A, B
    "profile_c",  # … among tier C
    "team_complete",  # tiered customers whose team holds every role their standard requires
    "visit_base",  # tiered customers with a service standard
    "visit_met",  # … whose visit standard is met in the period
    # Counted per scope over distinct people, not summed over customers:
    "managers",  # customer managers serving customers of the scope
    "managers_overloaded",  # … with more than 50 customers in all
)


@dataclass(frozen=True)
class Metric:
    code: str
    label: str
    numerator: str  # a field of TOTAL_FIELDS
    denominator: str | None  # None: the value is the numerator itself (a sum)
    numerator_label: str
    denominator_label: str = ""
    unit: str = RATIO
    direction: str = AT_LEAST
    default_target: Decimal | None = None

    def value(self, totals: dict[str, int | Decimal]) -> Decimal | None:
        """numerator ÷ denominator (a fraction, 0.27 for 27 %), or the numerator for a sum; None over nothing."""
        numerator = Decimal(totals[self.numerator])
        if self.denominator is None:
            return numerator
        denominator = Decimal(totals[self.denominator])
        if not denominator:
            return None
        return (numerator / denominator).quantize(VALUE_PLACES, rounding=ROUND_HALF_EVEN)

    def on_target(self, value: Decimal | None, target: Decimal | None) -> bool | None:
        """Whether the value meets the target; None when either is missing."""
        if value is None or target is None:
            return None
        if self.direction == AT_MOST:
            return value <= target
        if self.direction == NEAR:
            return abs(value - target) <= NEAR_TOLERANCE
        return value >= target


def _pct(number: str) -> Decimal:
    return Decimal(number) / 100


METRICS: tuple[Metric, ...] = (
    Metric(
        "member_coverage_rate",
        _("Member coverage rate"),
        "members_on_net",
        "handsets",
        _("group members on our network (active customers)"),
        _("handsets of active customers"),
        default_target=_pct("27"),
    ),
    Metric(
        "member_authenticity_rate",
        _("Member authenticity rate"),
        "members_verified",
        "members",
        _("verified group members (active customers)"),
        _("group members of active customers"),
        default_target=_pct("100"),
    ),
    Metric(
        "stability_rate",
        _("Customer stability rate"),
        "still_active",
        "active_at_start",
        _("customers active at the start of the month and still active at its end"),
        _("customers active at the start of the month"),
        default_target=_pct("70"),
    ),
    Metric(
        "archive_rate_ab",
        _("Profile completeness, tiers A+/A/B"),
        "profile_ab",
        "tier_ab",
        _("complete profiles in tiers A+, A and B"),
        _("customers in tiers A+, A and B"),
        default_target=_pct("95"),
    ),
    Metric(
        "archive_rate_c",
        _("Profile completeness, tier C"),
        "profile_c",
        "tier_c",
        _("complete profiles in tier C"),
        _("customers in tier C"),
        default_target=_pct("80"),
    ),
    Metric(
        "informatization_revenue",
        _("Informatization revenue"),
        "revenue",
        None,
        _("informatization revenue of active customers, CNY per month"),
        unit=CNY,
    ),
    Metric(
        "team_completeness_rate",
        _("Team completeness rate"),
        "team_complete",
        "tiered",
        _("customers whose team holds every role their tier requires"),
        _("customers with a tier"),
        default_target=_pct("100"),
    ),
    Metric(
        "visit_compliance_rate",
        _("Visit compliance rate"),
        "visit_met",
        "visit_base",
        _("customers whose visit standard is met in the period"),
        _("customers with a tier and a service standard"),
        default_target=_pct("100"),
    ),
    Metric(
        "manager_overload_share",
        _("Overloaded customer managers"),
        "managers_overloaded",
        "managers",
        _("customer managers with more than 50 customers"),
        _("customer managers"),
        direction=AT_MOST,
        default_target=_pct("0"),
    ),
    Metric(
        "tier_share_a",
        _("Share of tier A+/A"),
        "tier_a",
        "tiered",
        _("customers in tiers A+ and A"),
        _("customers with a tier"),
        direction=NEAR,
        default_target=_pct("5"),
    ),
    Metric(
        "tier_share_b",
        _("Share of tier B"),
        "tier_b",
        "tiered",
        _("customers in tier B"),
        _("customers with a tier"),
        direction=NEAR,
        default_target=_pct("25"),
    ),
    Metric(
        "tier_share_c",
        _("Share of tier C"),
        "tier_c",
        "tiered",
        _("customers in tier C"),
        _("customers with a tier"),
        direction=NEAR,
        default_target=_pct("70"),
    ),
)
METRIC_BY_CODE = {metric.code: metric for metric in METRICS}
# The tier shares' targets are the quotas of the rule set in force (SPEC §4.1), kept there and nowhere else.
TIER_SHARE_QUOTAS = {
    "tier_share_a": "target_a_share",
    "tier_share_b": "target_b_share",
    "tier_share_c": "target_c_share",
}


def zero_totals() -> dict[str, int | Decimal]:
    return {name: Decimal(0) if name == "revenue" else 0 for name in TOTAL_FIELDS}


def add_totals(into: dict[str, int | Decimal], other: dict[str, int | Decimal]) -> None:
    for name in TOTAL_FIELDS:
        into[name] += other[name]


# -- periods -------------------------------------------------------------------------------------------------------

PERIOD_RE = re.compile(r"^(\d{4})-(\d{2})$")


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
