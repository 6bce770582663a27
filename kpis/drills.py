"""Which customers stand behind each figure (SPEC §7: every figure a link to the customers behind it): the customer
list's filters for them, and how many the figure says there are, so that the two can be held equal."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from crm.periods import Period


@dataclass(frozen=True)
class Drill:
    label: str  # what the linked customers are, after their count ("12 incomplete teams"), or the link's own text
    filters: Callable[[Period], dict[str, str]]  # the list's filters, added to the scope's own
    count: Callable[[Decimal, Decimal | None], int] | None  # from (numerator, denominator); None: not a count


def _gap(numerator: Decimal, denominator: Decimal | None) -> int:
    return int((denominator or 0) - numerator)


def _numerator(numerator: Decimal, denominator: Decimal | None) -> int:
    return int(numerator)


def _fixed(**filters: str) -> Callable[[Period], dict[str, str]]:
    return lambda period: filters


ACTIVE = Drill(_("See the active customers"), _fixed(status="active"), None)
DRILLS: dict[str, Drill] = {
    "member_coverage_rate": ACTIVE,
    "member_authenticity_rate": ACTIVE,
    "informatization_revenue": ACTIVE,
    "stability_rate": Drill(_("customers lost"), lambda period: {"lost_in": str(period)}, _gap),
    "archive_rate_ab": Drill(_("incomplete profiles"), _fixed(tier_group="ab", profile="incomplete"), _gap),
    "archive_rate_c": Drill(_("incomplete profiles"), _fixed(tier="C", profile="incomplete"), _gap),
    "team_completeness_rate": Drill(_("incomplete teams"), _fixed(team="incomplete"), _gap),
    "visit_compliance_rate": Drill(_("customers due a visit"), _fixed(visits="due"), _gap),
    "tier_share_a": Drill(_("customers in A+/A"), _fixed(tier_group="a"), _numerator),
    "tier_share_b": Drill(_("customers in B"), _fixed(tier="B"), _numerator),
    "tier_share_c": Drill(_("customers in C"), _fixed(tier="C"), _numerator),
    "customer_count": Drill(_("customers"), _fixed(), _numerator),
    "visits_overdue": Drill(_("customers overdue a visit"), _fixed(visits="overdue"), _numerator),
    # Arrears (issue 21): amounts, not counts; each links to its customers.
    "arrears_recovery_rate": Drill(_("See the customers with an open collection case"), _fixed(arrears="case"), None),
    "arrears_amount": Drill(_("See the customers in arrears"), _fixed(arrears="any"), None),
    **{
        f"arrears_age_{bucket}": Drill(_("See the customers"), _fixed(arrears=bucket), None)
        for bucket in ("30", "60", "90", "over_90")
    },
}
