"""Display helpers used by every page."""

from decimal import Decimal

import pytest

from crm.templatetags.crm_tags import tier_badge, yuan


@pytest.mark.parametrize(
    ("value", "shown"),
    [(Decimal("208826.31"), "208,826.31"), (Decimal("0"), "0.00"), (Decimal("1234567.5"), "1,234,567.50"), (None, "—")],
)
def test_money_is_grouped_by_three_with_two_decimals(value, shown):
    assert yuan(value) == shown


def test_tier_badge_escapes_and_classes():
    assert 'class="tier tier-Aplus"' in tier_badge("A+")
    assert "tier-none" in tier_badge(None)
