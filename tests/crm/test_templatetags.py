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


def test_an_audit_entry_shows_a_list_one_after_the_other_and_rows_that_hang_off_by_their_name():
    from django.utils import translation

    from crm.templatetags.crm_tags import field_label, field_value

    with translation.override("zh-hans"):
        assert field_value(
            "tiering.ruleset", "rules", ["A: handset_count gte 500.00", "B: monthly_spend gte 20000.00"]
        ) == ("A: handset_count gte 500.00、B: monthly_spend gte 20000.00")
        assert field_value("tiering.ruleset", "rules", []) == "—"
        assert field_label("tiering.ruleset", "rules") != "rules"  # the rules' own name, in the user's language
        assert field_value("teams.visit", "kind", "phone") == "电话"


@pytest.mark.parametrize(
    ("value", "shown"),
    [(Decimal("33.3"), "33.3%"), (Decimal("100"), "100.0%"), (27, "27.0%"), (12.345, "12.3%"), (None, "—")],
)
def test_percentages_are_written_one_way_as_the_kpi_figures_are(value, shown):
    from crm.templatetags.crm_tags import percent

    assert percent(value) == shown


def test_a_label_is_followed_by_a_full_width_colon_in_chinese_and_a_colon_and_space_in_english():
    from django.template import Context, Template
    from django.utils import translation

    template = Template('{% load i18n crm_tags %}{% translate "Agent" %}{% colon %}alice')
    with translation.override("zh-hans"):
        assert template.render(Context()) == "外呼人员：alice"
    with translation.override("en"):
        assert template.render(Context()) == "Agent: alice"
