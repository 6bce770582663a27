"""Pure rules over customer values: profile completeness (SPEC §3) and personal VIP levels (SPEC §4.3).

These take plain values and return plain values, so they are tested without a database; the set-based SQL
paths in selectors and tasks are tested to agree with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from .validators import uscc_error

# What a complete profile (建档完整) needs, in the order the customer page lists the gaps.
PROFILE_REQUIREMENTS = {
    "uscc": _("a valid unified social credit code"),
    "industry": _("an industry"),
    "region": _("a region at county level or finer"),
    "address": _("an address"),
    "key_person": _("a key person with a mobile number"),
    "handset_count": _("a handset count above zero"),
    "customer_manager": _("a customer manager"),
}
FINE_REGION_LEVELS = frozenset({"county", "grid"})


@dataclass(frozen=True)
class ProfileFacts:
    uscc: str | None
    industry_code: str | None
    region_level: str
    address: str
    has_key_person_mobile: bool
    handset_count: int
    has_customer_manager: bool


def profile_missing(facts: ProfileFacts) -> list[str]:
    """The codes of PROFILE_REQUIREMENTS that the profile lacks; empty when the profile is complete."""
    missing = []
    if not facts.uscc or uscc_error(facts.uscc):
        missing.append("uscc")
    if not facts.industry_code:
        missing.append("industry")
    if facts.region_level not in FINE_REGION_LEVELS:
        missing.append("region")
    if not facts.address.strip():
        missing.append("address")
    if not facts.has_key_person_mobile:
        missing.append("key_person")
    if facts.handset_count <= 0:
        missing.append("handset_count")
    if not facts.has_customer_manager:
        missing.append("customer_manager")
    return missing


# SPEC §4.3: monthly ARPU thresholds in CNY, highest first.
VIP_THRESHOLDS: tuple[tuple[str, Decimal], ...] = (
    ("diamond", Decimal("3000")),
    ("gold", Decimal("1500")),
    ("silver", Decimal("666")),
)


def vip_level_for(arpu: Decimal) -> str | None:
    for level, threshold in VIP_THRESHOLDS:
        if arpu >= threshold:
            return level
    return None


def mask_mobile(mobile: str) -> str:
    """A mobile number as shown to someone who does not own the customer: 138****1234 (SPEC §6.3)."""
    return f"{mobile[:3]}****{mobile[-4:]}" if len(mobile) == 11 else "****"
