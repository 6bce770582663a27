"""Product holdings (客户订购, SPEC §3, §6.1), by customer code and product code."""

from django.utils.translation import gettext_lazy as _

from campaigns.models import CustomerProduct

from .base import (
    CUSTOMER,
    Column,
    Kind,
    parse_date,
    parse_integer,
    parse_money,
    parse_product,
)

KIND = Kind(
    name="holdings",
    model=CustomerProduct,
    key=("customer", "product"),
    conflict=("customer_id", "product_id"),
    customer_column="customer",
    replaceable=True,
    required_for_new=("subscribed_on",),
    columns=(
        CUSTOMER,
        Column(
            "product",
            "产品编码",
            parse_product,
            "text",
            "VPMN",
            _("required; a product code of /api/v1/products/"),
            required=True,
            target="product_id",
        ),
        Column("active_users", "活跃用户数", parse_integer, "integer", "85", _("a whole number ≥ 0")),
        Column("monthly_revenue", "月收入", parse_money(), "numeric", "1700.00", _("CNY, ≥ 0, at most 2 decimals")),
        # Not a column every file must have (one that updates the users alone leaves the dates as they are), but
        # where it is, a holding's date of subscription is never empty.
        Column(
            "subscribed_on",
            "订购日期",
            parse_date(required=True),
            "date",
            "2024-03-01",
            _("YYYY-MM-DD; required for a new holding"),
        ),
        Column(
            "last_used_on",
            "最近使用日期",
            parse_date(),
            "date",
            "2026-11-20",
            _("YYYY-MM-DD, not before the subscription; may be empty"),
        ),
    ),
)
