"""The default national rule set of SPEC §4.1, from the operator's published criteria."""

from decimal import Decimal

DEFAULT_NATIONAL_RULES = [
    # (tier, field, operator, threshold, industries, label)
    ("A", "handset_count", "gte", Decimal("500"), [], ""),
    ("A", "monthly_spend", "gte", Decimal("100000"), [], ""),
    ("A", "is_tax_top500", "is_true", None, [], "全省纳税500强"),
    ("A", "is_major_influence", "is_true", None, [], "重大社会影响力"),
    ("A", "industry", "in", None, ["S91", "S92", "S93", "S94", "S95", "S96"], "党政机关"),
    ("A", "industry", "in", None, ["R86", "R87"], "新闻媒体"),
    ("A", "industry", "in", None, ["I63"], "电信"),
    ("A", "industry", "in", None, ["G60"], "邮政"),
    ("A", "industry", "in", None, ["J66"], "银行"),
    ("A", "industry", "in", None, ["D44"], "电力"),
    ("A", "industry", "in", None, ["D45"], "燃气"),
    ("A", "industry", "in", None, ["D46"], "水"),
    ("A", "industry", "in", None, ["G53"], "铁路"),
    ("A", "industry", "in", None, ["G54"], "公路"),
    ("A", "industry", "in", None, ["G56"], "航空/机场"),
    ("B", "handset_count", "gte", Decimal("100"), [], ""),
    ("B", "monthly_spend", "gte", Decimal("20000"), [], ""),
    ("B", "industry", "in", None, ["J67"], "证券"),
    ("B", "industry", "in", None, ["J68"], "保险"),
]
