"""The KPIs of SPEC §7 (考核指标), each defined once: what it counts above and below the line, its unit, which way
is good, and its default target. Pure: totals in, values out; `kpis.totals` counts the totals in the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from django.utils.translation import gettext_lazy as _

from crm.templatetags.crm_tags import percent
from teams.rules import MANAGER_CAPACITY

RATIO, CNY, COUNT = "ratio", "cny", "count"
AT_LEAST, AT_MOST, NEAR = "at_least", "at_most", "near"
# A tier share is on target within 3 percentage points of its quota (SPEC §4.1).
NEAR_TOLERANCE = Decimal("0.03")
VALUE_PLACES = Decimal("0.000001")

# What the database counts per customer and every scope sums (kpis.totals): the numerators and denominators.
TOTAL_FIELDS = (
    "customers",  # every customer of the scope, whatever its status
    "active",  # active customers
    "handsets",  # Σ handset_count of active customers
    "members",  # current group members (not those who had left) of active customers
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
    "visit_overdue",  # … whose standard's last finished period (month or quarter) ended without it
    "visits_logged",  # visits (internal syncs aside) logged in the period, to customers of every status
    "opportunities_found",  # opportunities (商机) recorded in the period
    "opportunities_won",  # … moved from an open stage to won or opened in the period
    "opportunities_closed",  # … moved from an open stage to won, opened or lost in the period
    "forecast",  # Σ expected monthly revenue × probability of the opportunities still to open closing in the period
    # Arrears (大额欠费, issue 21), counted apart over the few customers in arrears or with a case (kpis.totals):
    "arrears",  # Σ what customers owe as their latest bill says, CNY
    "arrears_age_30",  # … of arrears up to 30 days old on the day described
    "arrears_age_60",  # … 31 to 60 days old
    "arrears_age_90",  # … 61 to 90 days old
    "arrears_age_over_90",  # … over 90 days old
    "arrears_customers",  # customers in arrears
    "arrears_due",  # Σ arrears of the collection cases worked in the period, each as when it opened
    "arrears_recovered",  # … recovered by the day described: all of a case closed paid, else what it fell by
    # The prospect pool (公海, issue 21), counted apart over the prospects of each region, not over customers
    # (kpis.totals.prospect_rows): no manager's scope holds them.
    "prospects_converted",  # prospects of the region converted into customers in the period
    "prospects_open",  # … open (in the pool or claimed) at the period's start, or filed during it
    # Counted per scope over distinct people, not summed over customers:
    "managers",  # customer managers serving customers of the scope
    "managers_overloaded",  # … with more than 50 customers in all
    "vip_managers",  # personal-VIP managers with personal VIPs of the scope in their care (SPEC §4.3)
    "vip_managers_overloaded",  # … with more than 400 personal VIPs in their care in all
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
    per_month: bool = True  # a sum in CNY per month (revenue), or an amount at a day (what is owed)

    def value(self, totals: dict[str, int | Decimal]) -> Decimal | None:
        """numerator ÷ denominator (a fraction, 0.27 for 27 %), or the numerator for a sum; None over nothing."""
        numerator = Decimal(totals[self.numerator])
        if self.denominator is None:
            return numerator
        denominator = Decimal(totals[self.denominator])
        if not denominator:
            return None
        return (numerator / denominator).quantize(VALUE_PLACES, rounding=ROUND_HALF_EVEN)

    def display(self, value: Decimal | None) -> str:
        """A value as people read it: 27.3% for a rate, 1,500.50 for CNY, 1,234 for a count."""
        if value is None:
            return "—"
        if self.unit == CNY:
            return f"{value:,.2f}"
        if self.unit == COUNT:
            return f"{int(value):,}"
        return percent(value * 100)  # the one way the product writes a percentage (27.3%)

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
        "vip_manager_overload_share",
        _("Overloaded personal-VIP managers"),
        "vip_managers_overloaded",
        "vip_managers",
        _("personal-VIP managers with more than 400 personal VIPs in their care"),
        _("personal-VIP managers with personal VIPs of the scope in their care"),
        direction=AT_MOST,
        default_target=_pct("0"),
    ),
    Metric(
        "opportunity_discovery_rate",
        _("Opportunities found per 100 visits"),
        "opportunities_found",
        "visits_logged",
        _("opportunities recorded in the period"),
        _("visits logged in the period (internal syncs aside)"),
    ),
    Metric(
        "opportunity_win_rate",
        _("Opportunity win rate"),
        "opportunities_won",
        "opportunities_closed",
        _("opportunities won or opened in the period"),
        _("opportunities won, opened or lost in the period"),
    ),
    Metric(
        "opportunity_forecast",
        _("Opportunity forecast"),
        "forecast",
        None,
        _("expected monthly revenue weighted by probability, of the opportunities closing in the month, CNY"),
        unit=CNY,
    ),
    Metric(
        "arrears_recovery_rate",
        _("Arrears recovery rate"),
        "arrears_recovered",
        "arrears_due",
        _("arrears recovered of the collection cases worked in the month, CNY"),
        _("arrears of the collection cases worked in the month, as when each opened, CNY"),
        default_target=_pct("80"),
    ),
    Metric(
        "arrears_amount",
        _("Arrears"),
        "arrears",
        None,
        _("what customers owe as their latest bill says, CNY"),
        unit=CNY,
        direction=AT_MOST,
        per_month=False,
    ),
    *(
        Metric(
            f"arrears_age_{bucket}",
            label,
            f"arrears_age_{bucket}",
            "arrears",
            numerator_label,
            _("what customers owe as their latest bill says, CNY"),
            direction=AT_MOST,
        )
        for bucket, label, numerator_label in (
            ("30", _("Arrears up to 30 days old"), _("arrears up to 30 days old, CNY")),
            ("60", _("Arrears 31–60 days old"), _("arrears 31 to 60 days old, CNY")),
            ("90", _("Arrears 61–90 days old"), _("arrears 61 to 90 days old, CNY")),
            ("over_90", _("Arrears over 90 days old"), _("arrears over 90 days old, CNY")),
        )
    ),
    # A tenth of the open pool a month turns about 70 % of a pool that stays alike into customers within a year, the
    # pace of the operator's filing drives (圈地工程); provinces set their own.
    Metric(
        "prospect_conversion",
        _("Prospect conversion rate"),
        "prospects_converted",
        "prospects_open",
        _("prospects converted into customers in the period"),
        _("prospects open in the pool or claimed during the period (open at its start, or filed during it)"),
        default_target=_pct("10"),
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
# Counts the dashboards show beside the KPIs, snapshotted with them; not KPIs (no target, not in the API).
FACTS: tuple[Metric, ...] = (
    Metric("customer_count", _("Customers"), "customers", None, _("customers of every status"), unit=COUNT),
    Metric(
        "visits_overdue",
        _("Overdue visits"),
        "visit_overdue",
        None,
        _("customers whose last finished visit period ended without the visits their standard requires"),
        unit=COUNT,
    ),
)
SNAPSHOT_METRICS = METRICS + FACTS
# A customer manager's own load (SPEC §5.2): the customers they manage, of every status, against the line. A manager's
# card and row show it where a scope of many managers shows `manager_overload_share`, which for one person is 0 % or
# 100 % by construction. Read from the `customer_count` snapshot, with the line as its target.
MANAGER_LOAD = Metric(
    "customer_count",
    _("Customers managed"),
    "customers",
    None,
    _("customers the manager manages, of every status; more than 50 is overloaded"),
    unit=COUNT,
    direction=AT_MOST,
    default_target=Decimal(MANAGER_CAPACITY),
)
METRIC_BY_CODE = {metric.code: metric for metric in SNAPSHOT_METRICS}
# The ageing of arrears (账龄): KPIs of their own (the API, the targets), shown on the dashboard as one table beside
# the arrears amount rather than as cards.
AGEING_METRICS = ("arrears_age_30", "arrears_age_60", "arrears_age_90", "arrears_age_over_90")
# The tier shares' targets are the quotas of the rule set in force (SPEC §4.1), kept there and nowhere else.
TIER_SHARE_QUOTAS = {
    "tier_share_a": "target_a_share",
    "tier_share_b": "target_b_share",
    "tier_share_c": "target_c_share",
}


# The totals in CNY (Decimal); the others are counts.
MONEY_TOTALS = frozenset(
    {
        "revenue",
        "forecast",
        "arrears",
        "arrears_age_30",
        "arrears_age_60",
        "arrears_age_90",
        "arrears_age_over_90",
        "arrears_due",
        "arrears_recovered",
    }
)


def zero_totals() -> dict[str, int | Decimal]:
    return {name: Decimal(0) if name in MONEY_TOTALS else 0 for name in TOTAL_FIELDS}


def add_totals(into: dict[str, int | Decimal], other: dict[str, int | Decimal]) -> None:
    for name in TOTAL_FIELDS:
        into[name] += other[name]
