"""The operator's typical group products (集团产品), the catalogue's starting point (SPEC §6.1)."""

from __future__ import annotations

# code, name, category, per member
PRODUCTS = [
    ("VPMN", "集团V网", "voice", True),
    ("MOBILE_PBX", "移动总机", "voice", False),
    ("GROUP_CRBT", "集团彩铃", "personalised_service", True),
    ("GROUP_SMS", "集团短信", "industry_application", False),
    ("GROUP_FLOW", "集团流量统付", "data", True),
    ("DEDICATED_LINE", "集团专线", "data", False),
    ("ENTERPRISE_BB", "企业宽带", "data", False),
    ("IOT", "物联网专网", "data", False),
    ("SCHOOL_LINK", "家校通", "industry_application", True),
    ("CLOUD_VIDEO", "云视讯", "industry_application", True),
    ("INDUSTRY_APP", "行业应用", "industry_application", False),
]


def load(Product) -> None:
    for order, (code, name, category, per_member) in enumerate(PRODUCTS, start=1):
        Product.objects.update_or_create(
            code=code, defaults={"name": name, "category": category, "per_member": per_member, "sort_order": order}
        )
