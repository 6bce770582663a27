"""Tier reasons as people read them (SPEC §4.2), in the user's language: `手机数量 3 576 ≥ 500`.

A stored reason (`Customer.tier_reasons`, written by `tiering.rules.RuleSpec.reason` and `tiering.bulk`) stays
machine-readable — `{"field": "handset_count", "operator": "gte", "value": 3576, "threshold": "500", …}` — and the
API keeps it so. `reason_display` is the one definition of the text people read: the customer page, the tier
lists and the API's `reasons_text` use it. The tier lists write the text in SQL for speed (`TierReasonsSQL`): the
same sentence built from the same words (`ReasonWords`), held to `reason_display` by the tests.

The sentence: the field's name in the active language, the customer's value, the operator and the threshold, with
digits grouped by three with a space (the grouping of GB 3101 and ISO 80000, read alike in Chinese and English)
and money with two decimals: `月均消费（元） 203 247.20 ≥ 100 000.00`. A flag is its name (`全省纳税五百强`); an
industry is its code and name, then the rule's label when it has one (`行业 S92 国家机构 ∈ 党政机关`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.utils.text import capfirst
from django.utils.translation import pgettext

from .rules import OPERATORS

MONEY_FIELDS = ("monthly_spend", "informatization_revenue")
COMPARISONS = ("gte", "gt", "lte", "lt")
GROUP_SEPARATOR = " "


def reasons_separator() -> str:
    """Between the reasons of one customer where they share one cell or line, in the active language: `；` in
    Chinese, `; ` in English."""
    return pgettext("between a customer's tier reasons", "; ")


@dataclass(frozen=True)
class ReasonWords:
    """What a reason's text needs besides the reason: the fields' names in the user's language, the names of
    the industries it may mention (code → name) and what joins the reasons of one customer."""

    fields: Mapping[str, str]
    industries: Mapping[str, str] = field(default_factory=dict)
    separator: str = field(default_factory=reasons_separator)

    def __hash__(self) -> int:  # an expression's arguments are hashed (`TierReasonsText`)
        return hash(self.as_json())

    def as_json(self) -> str:
        return json.dumps(
            {"fields": dict(self.fields), "industries": dict(self.industries), "separator": self.separator},
            ensure_ascii=False,
        )

    @staticmethod
    @lru_cache(maxsize=8)
    def from_json(text: str) -> ReasonWords:
        words = json.loads(text)
        return ReasonWords(fields=words["fields"], industries=words["industries"], separator=words["separator"])


def field_names() -> dict[str, str]:
    """The rule fields' names in the active language, first letter capital (a sentence starts with them)."""
    from .models import RuleField

    return {value: capfirst(str(label)) for value, label in RuleField.choices}


def industry_names(codes: Iterable[str] | None = None) -> dict[str, str]:
    """Industry code → name, for the codes given (every industry when None); no query for no codes."""
    from accounts.models import Industry

    industries = Industry.objects.all()
    if codes is not None:
        codes = sorted({code for code in codes if code})
        if not codes:
            return {}
        industries = industries.filter(code__in=codes)
    return dict(industries.values_list("code", "name"))


def reason_words(*, industries: Mapping[str, str] | None = None) -> ReasonWords:
    """The words in the active language; `industries` the names to use (every industry's, read once, when None)."""
    return ReasonWords(fields=field_names(), industries=industry_names() if industries is None else industries)


def number_text(value: Any, *, money: bool = False) -> str:
    """`3 576`, `0.5`; money always with two decimals: `203 247.20`."""
    number = Decimal(str(value))
    if money:
        text = f"{number:,.2f}"
    else:
        number = number.quantize(Decimal(1)) if number == number.to_integral_value() else number.normalize()
        text = f"{number:,f}"
    return text.replace(",", GROUP_SEPARATOR)


def reason_display(reason: Mapping[str, Any], words: ReasonWords) -> str:
    """One reason as people read it: `手机数量 3 576 ≥ 500`, `行业 J66 货币金融服务 ∈ 银行`, `全省纳税五百强`."""
    name = words.fields.get(reason["field"], reason["field"])
    operator = reason["operator"]
    if operator == "is_true":
        return name
    if operator == "in":
        code = reason["value"] or ""
        parts = [name, code, words.industries.get(code, "")]
        if reason.get("label"):
            parts.append(f"{OPERATORS['in']} {reason['label']}")
        return " ".join(part for part in parts if part)
    money = reason["field"] in MONEY_FIELDS
    value, threshold = number_text(reason["value"], money=money), number_text(reason["threshold"], money=money)
    return f"{name} {value} {OPERATORS[operator]} {threshold}"


def words_for(reasons: Iterable[Mapping[str, Any]]) -> ReasonWords:
    """The active language's words and the names of the industries these reasons mention (one query, only when one
    does): for one customer's reasons, or a page of customers' at once."""
    codes = [reason["value"] for reason in reasons if reason["operator"] == "in"]
    return reason_words(industries=industry_names(codes))


def reasons_text(reasons: Sequence[Mapping[str, Any]], words: ReasonWords | None = None) -> list[str]:
    """The reasons of one customer as people read them, in order. Without `words`, those of `words_for`."""
    words = words_for(reasons) if words is None else words
    return [reason_display(reason, words) for reason in reasons]


def customer_reasons_text(customer: Any) -> list[str]:
    """The customer's reasons as people read them; its own industry's name is at hand (no query when the customer
    was read with its industry, as the customer page and the API read it)."""
    reasons = customer.tier_reasons or []
    codes = {reason["value"] for reason in reasons if reason["operator"] == "in"}
    if not codes:
        return reasons_text(reasons, ReasonWords(fields=field_names()))
    known = {customer.industry_id: customer.industry.name} if customer.industry_id in codes else {}
    missing = codes - set(known)
    return reasons_text(reasons, ReasonWords(fields=field_names(), industries=known | industry_names(missing)))


def sqlite_reasons_text(reasons: str | None, words: str) -> str:
    """SQLite's `tier_reasons_text(reasons, words)` (registered by tiering.apps): `reason_display` itself."""
    words_given = ReasonWords.from_json(words)
    return words_given.separator.join(reasons_text(json.loads(reasons or "[]"), words_given))


# The same numbers in PostgreSQL: to_char with a fixed comma (not the server's locale), then the separator.
INTEGER_PATTERN = "FM" + "999," * 6 + "990"
MONEY_PATTERN = INTEGER_PATTERN + ".00"


def reasons_sql(reasons: str, reasons_params: Sequence[Any], words: ReasonWords) -> tuple[str, list[Any]]:
    """PostgreSQL for the reasons' text of each row, joined by the words' separator ('' when there are none):
    `reason_display` written in SQL over the jsonb array `reasons` (an SQL expression with its parameters), `words`
    a constant."""
    joined, joined_params = reasons_joined_sql(reasons, reasons_params, words)
    return (
        f"CASE WHEN jsonb_array_length({reasons}) = 0 THEN '' ELSE ({joined}) END",
        [*reasons_params, *joined_params],
    )


def reasons_joined_sql(reasons: str, reasons_params: Sequence[Any], words: ReasonWords) -> tuple[str, list[Any]]:
    """The SELECT of one row and one column that `reasons_sql` reads: the reasons' text joined (NULL when there are
    none). As a correlated subquery in a select list it keeps PostgreSQL from computing that list in its parallel
    workers; as the subquery of a LATERAL join it does not (`tiering.exports.tier_list_sql`)."""
    operators = " ".join("WHEN %s THEN %s" for _op in COMPARISONS)
    operator_params = [item for op in COMPARISONS for item in (op, OPERATORS[op])]

    def number(key: str) -> tuple[str, list[Any]]:
        # trim_scale drops trailing zeros; a fraction keeps its own digits, money always two.
        value = f"trim_scale((r->>'{key}')::numeric)"
        sql = (
            f"replace(CASE WHEN l.money THEN to_char({value}, %s) WHEN scale({value}) = 0 THEN to_char({value}, %s) "
            f"ELSE to_char({value}, %s || repeat('0', scale({value}))) END, ',', %s)"
        )
        return sql, [MONEY_PATTERN, INTEGER_PATTERN, INTEGER_PATTERN + ".", GROUP_SEPARATOR]

    value_sql, value_params = number("value")
    threshold_sql, threshold_params = number("threshold")
    text = (
        "CASE r->>'operator' WHEN 'is_true' THEN l.name "
        "WHEN 'in' THEN concat_ws(' ', l.name, nullif(r->>'value', ''), w.words->'industries'->>(r->>'value'), "
        "CASE WHEN coalesce(r->>'label', '') <> '' THEN concat(%s, ' ', r->>'label') END) "
        f"ELSE concat_ws(' ', l.name, {value_sql}, CASE r->>'operator' {operators} END, {threshold_sql}) END"
    )
    text_params = [OPERATORS["in"], *value_params, *operator_params, *threshold_params]
    money = ", ".join("%s" for _field in MONEY_FIELDS)
    sql = (
        f"SELECT string_agg({text}, %s ORDER BY t.n) "
        f"FROM (SELECT %s::jsonb AS words) AS w CROSS JOIN jsonb_array_elements({reasons}) WITH ORDINALITY AS t(r, n) "
        "CROSS JOIN LATERAL (SELECT coalesce(w.words->'fields'->>(r->>'field'), r->>'field') AS name, "
        f"(r->>'field') IN ({money}) AS money) AS l"
    )
    return sql, [*text_params, words.separator, words.as_json(), *reasons_params, *MONEY_FIELDS]
