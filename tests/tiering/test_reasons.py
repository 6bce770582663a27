"""Tier reasons in the user's language (issue 18, point 2): one text for the customer page, the tier lists and the
API's `reasons_text`, while the API's machine-readable `reasons` stay as they were."""

from decimal import Decimal
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import translation

from accounts.models import Customer
from tiering import exports
from tiering.bulk import apply_rules
from tiering.reasons import ReasonWords, number_text, reason_display, reason_words, reasons_text
from tiering.rules import RuleSpec

from .samples import rule_sets

HANDSETS = {"rule": 1, "tier": "A", "field": "handset_count", "operator": "gte", "value": 3576, "threshold": "500"}
SPEND = {
    "rule": 2,
    "tier": "A",
    "field": "monthly_spend",
    "operator": "gte",
    "value": 203247.2,
    "threshold": "100000.00",
    "label": "",
}
INDUSTRY = {
    "rule": 3,
    "tier": "A",
    "field": "industry",
    "operator": "in",
    "value": "S92",
    "threshold": None,
    "label": "党政机关",
}
FLAG = {"rule": 4, "tier": "A", "field": "is_tax_top500", "operator": "is_true", "value": True, "threshold": None}


def words(language: str) -> ReasonWords:
    with translation.override(language):
        return reason_words(industries={"S92": "国家机构"})


def test_reasons_read_in_chinese_with_grouped_numbers_and_money_in_two_decimals():
    chinese = words("zh-hans")
    assert reason_display(HANDSETS, chinese) == "手机数量 3 576 ≥ 500"
    assert reason_display(SPEND, chinese) == "月均消费（元） 203 247.20 ≥ 100 000.00"
    assert reason_display(INDUSTRY, chinese) == "行业 S92 国家机构 ∈ 党政机关"
    assert reason_display(FLAG, chinese) == "全省纳税五百强"


def test_reasons_read_in_english_when_the_user_works_in_english():
    english = words("en")
    assert reason_display(HANDSETS, english) == "Handset count 3 576 ≥ 500"
    assert reason_display(SPEND, english) == "Monthly spend (CNY) 203 247.20 ≥ 100 000.00"
    assert reason_display(INDUSTRY, english) == "Industry S92 国家机构 ∈ 党政机关"
    assert reason_display(FLAG, english) == "Top 500 taxpayer of the province"


def test_an_industry_rule_without_a_label_names_the_industry_only():
    assert reason_display({**INDUSTRY, "label": ""}, words("zh-hans")) == "行业 S92 国家机构"
    assert reason_display({**INDUSTRY, "value": "X99"}, words("zh-hans")) == "行业 X99 ∈ 党政机关"


@pytest.mark.parametrize(
    ("value", "money", "text"),
    [
        (0, False, "0"),
        (999, False, "999"),
        (1000, False, "1 000"),
        ("1234567", False, "1 234 567"),
        ("500.00", False, "500"),
        ("4000.50", False, "4 000.5"),
        ("0.25", False, "0.25"),
        (0, True, "0.00"),
        ("19999.99", True, "19 999.99"),
        (1936.3, True, "1 936.30"),
        ("100000", True, "100 000.00"),
    ],
)
def test_numbers_are_grouped_by_three_and_money_has_two_decimals(value, money, text):
    assert number_text(value, money=money) == text


@pytest.mark.django_db
def test_without_words_the_industries_named_are_read_from_the_table(territory):
    with translation.override("zh-hans"):
        assert reasons_text([INDUSTRY, HANDSETS]) == ["行业 S92 国家机构 ∈ 党政机关", "手机数量 3 576 ≥ 500"]


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_lists_sql_writes_what_the_page_writes_for_odd_thresholds(generated, language):
    """The tier lists' SQL (PostgreSQL in CI) and `reason_display` agree on fractions, zero and large numbers."""
    national, _sets = rule_sets()
    odd = [
        RuleSpec("A+", "employee_count", "gte", Decimal("4000.5"), rule_id=911),
        RuleSpec("A", "informatization_revenue", "gte", Decimal("0"), rule_id=912),
        RuleSpec("A", "handset_count", "lt", Decimal("1234567"), rule_id=913),
        RuleSpec("A", "industry", "in", industries=frozenset({"J66", "S92"}), rule_id=914),
        RuleSpec("A", "is_major_influence", "is_true", rule_id=915),
    ]
    apply_rules(Customer.objects.all(), odd, national.pk)
    with translation.override(language):
        listed = Customer.objects.exclude(tier_reasons=[]).annotate(text=exports.TierReasonsText("tier_reasons"))
        separator = "；" if language == "zh-hans" else "; "  # Chinese punctuation in Chinese
        texts = {
            customer.code: (customer.text, separator.join(reasons_text(customer.tier_reasons))) for customer in listed
        }
    assert len(texts) > 100
    for code, (in_sql, in_python) in texts.items():
        assert in_sql == in_python, code
    fraction = "员工人数" if language == "zh-hans" else "Employee count"
    assert any("≥ 4 000.5" in text for text, _ in texts.values())
    assert any(text.startswith(fraction) for text, _ in texts.values())


@pytest.fixture
def tiered(customers):
    Customer.objects.filter(code="CD0001").update(handset_count=3576, monthly_spend=Decimal("203247.20"))
    Customer.objects.filter(code="CD0002").update(industry_id="S92")
    call_command("recompute_tiers", stdout=StringIO())
    return customers


def in_language(client, language: str):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


@pytest.mark.django_db
def test_the_customer_page_gives_the_reasons_in_chinese(login, cast, tiered):
    html = login(cast["alice"]).get("/customers/CD0001/").content.decode()
    reasons = html[html.index('data-testid="tier-reasons"') :]
    reasons = reasons[: reasons.index("</ul>")]
    assert "手机数量 3 576 ≥ 500" in reasons and "月均消费（元） 203 247.20 ≥ 100 000.00" in reasons
    assert "handset_count" not in reasons and "monthly_spend" not in reasons


@pytest.mark.django_db
def test_the_customer_page_names_the_industry(login, cast, tiered):
    html = in_language(login(cast["bob"]), "en").get("/customers/CD0002/").content.decode()
    assert "Industry S92 国家机构 ∈ 党政机关" in html and "industry S92" not in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "lines"),
    [
        ("zh-hans", ["手机数量 3 576 ≥ 500", "月均消费（元） 203 247.20 ≥ 100 000.00"]),
        ("en", ["Handset count 3 576 ≥ 500", "Monthly spend (CNY) 203 247.20 ≥ 100 000.00"]),
    ],
)
def test_the_api_adds_the_text_and_keeps_the_reasons_as_they_were(api, cast, tiered, language, lines):
    body = in_language(api(cast["alice"]), language).get("/api/v1/customers/CD0001/tier/").json()
    assert body["reasons_text"] == lines
    machine = [(r["field"], r["operator"], r["value"], r["threshold"]) for r in body["reasons"]]
    assert machine == [("handset_count", "gte", 3576, "500.00"), ("monthly_spend", "gte", 203247.2, "100000.00")]
    texts = [reason["text"] for reason in body["reasons"]]
    assert texts == ["handset_count 3576 ≥ 500", "monthly_spend 203247.2 ≥ 100000"]


@pytest.mark.django_db
def test_the_api_names_the_industry(api, cast, tiered):
    client = api(cast["bob"])
    assert client.get("/api/v1/customers/CD0002/tier/").json()["reasons_text"] == ["行业 S92 国家机构 ∈ 党政机关"]


@pytest.mark.django_db
def test_the_schema_describes_the_text_beside_the_reasons(staff_client):
    schema = staff_client.get("/api/schema/", {"format": "json"}).json()
    tier = schema["components"]["schemas"]["CustomerTier"]
    assert tier["properties"]["reasons_text"]["type"] == "array"
    assert tier["properties"]["reasons_text"]["items"]["type"] == "string"
    assert "手机数量" in tier["properties"]["reasons_text"]["description"]
    assert {"reasons", "reasons_text"} <= set(tier["required"])
