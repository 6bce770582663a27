"""Customers (SPEC §3), upserted by `code`."""

from django.utils.translation import gettext_lazy as _

from accounts.models import Customer, CustomerStatus, ListLevel, LocationSource

from .base import (
    Column,
    Kind,
    parse_bool,
    parse_choice,
    parse_customer_code,
    parse_industry,
    parse_integer,
    parse_latitude,
    parse_longitude,
    parse_money,
    parse_optional_customer_code,
    parse_region,
    parse_text,
    parse_uscc,
)

# The location a row gives is the one the customer already has (`t`, NULL for a new customer).
SAME_LOCATION = "s.latitude = t.latitude AND s.longitude = t.longitude"
LOCATION = ("latitude", "longitude")

KIND = Kind(
    name="customers",
    model=Customer,
    key=("code",),
    conflict=("code",),
    required_for_new=("name", "region"),
    together=(LOCATION,),
    # An imported location counts as it is (`Customer.location`): it comes from the import, and the confirmation of
    # a location set from a visit goes with the location it confirmed. A row that gives the location the customer
    # has keeps where it came from; one with both cells empty clears it, like any other column present and empty.
    computed={
        "location_source": (
            f"CASE WHEN s.latitude IS NULL THEN '' WHEN {SAME_LOCATION} THEN t.location_source "
            f"ELSE '{LocationSource.IMPORT.value}' END",
            LOCATION,
        ),
        "location_confirmed_by_id": (f"CASE WHEN {SAME_LOCATION} THEN t.location_confirmed_by_id END", LOCATION),
        "location_confirmed_at": (f"CASE WHEN {SAME_LOCATION} THEN t.location_confirmed_at END", LOCATION),
    },
    columns=(
        Column(
            "code",
            "客户编码",
            parse_customer_code,
            "text",
            "G5101000001",
            _("required; 1–32 letters, digits, - or _"),
            required=True,
        ),
        Column(
            "name",
            "客户名称",
            parse_text(200, required=True),
            "text",
            "成都市锦江区示例科技有限公司",
            _("required for a new customer; at most 200 characters"),
        ),
        Column(
            "uscc",
            "统一社会信用代码",
            parse_uscc,
            "text",
            "91510104MA6C5K8N9F",  # a Chengdu (510104) code, as the example's region
            _("18 characters, GB 32100-2015 check character; may be empty"),
            nullable=True,
        ),
        Column(
            "industry",
            "行业",
            parse_industry,
            "text",
            "I65",
            _("GB/T 4754-2017 division code, e.g. J66; may be empty"),
            target="industry_id",
            nullable=True,
        ),
        Column(
            "region",
            "区域",
            parse_region,
            "text",
            "510104",
            _("required for a new customer; a city, county or grid code in your territory"),
            target="region_id",
        ),
        Column("address", "地址", parse_text(300), "text", "锦江区红星路三段1号", _("at most 300 characters")),
        Column(
            "latitude",
            "纬度",
            parse_latitude,
            "float",
            "30.657",
            _("decimal degrees (WGS-84), −90 to 90, at most 12 decimals; with the longitude, or both empty"),
            nullable=True,
        ),
        Column(
            "longitude",
            "经度",
            parse_longitude,
            "float",
            "104.066",
            _("decimal degrees (WGS-84), −180 to 180, at most 12 decimals; with the latitude, or both empty"),
            nullable=True,
        ),
        Column(
            "list_level",
            "清单级别",
            parse_choice(ListLevel),
            "text",
            "地市级清单",
            _("national, provincial or city (or their Chinese names)"),
        ),
        Column(
            "parent",
            "上级集团编码",
            parse_optional_customer_code,
            "text",
            "",  # the template's example customer heads no group: empty imports as it is
            _(
                "the code of the customer heading its group: a customer in your territory or in this file; "
                "empty for none"
            ),
            target="parent_id",
            nullable=True,
            reference=True,
        ),
        Column("handset_count", "手机数量", parse_integer, "integer", "120", _("a whole number ≥ 0")),
        Column("employee_count", "员工人数", parse_integer, "integer", "150", _("a whole number ≥ 0")),
        Column("monthly_spend", "月均消费", parse_money(), "numeric", "25000.00", _("CNY, ≥ 0, at most 2 decimals")),
        Column(
            "informatization_revenue",
            "信息化收入",
            parse_money(),
            "numeric",
            "3000.00",
            _("CNY per month, ≥ 0, at most 2 decimals"),
        ),
        Column("is_tax_top500", "全省纳税500强", parse_bool, "boolean", "否", _("是/否, true/false or 1/0")),
        Column("is_major_influence", "重大社会影响力", parse_bool, "boolean", "否", _("是/否, true/false or 1/0")),
        Column(
            "status",
            "状态",
            parse_choice(CustomerStatus),
            "text",
            "在网",
            _("prospect, active or churned (or their Chinese names)"),
        ),
    ),
)
