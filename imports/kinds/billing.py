"""Monthly billing (账单, SPEC §8.4), by customer code and month `YYYY-MM`; the latest month of each customer sets
its monthly spend and informatization revenue."""

from django.utils.translation import gettext_lazy as _

from accounts.models import BillingPeriod

from .base import CUSTOMER, Column, Kind, parse_money, parse_period

KIND = Kind(
    name="billing",
    model=BillingPeriod,
    key=("customer", "period"),
    conflict=("customer_id", "period"),
    customer_column="customer",
    columns=(
        CUSTOMER,
        Column(
            "period", "账期", parse_period, "date", "2026-10", _("required; the month billed, YYYY-MM"), required=True
        ),
        Column("monthly_spend", "月消费", parse_money(), "numeric", "26000.00", _("CNY, ≥ 0, at most 2 decimals")),
        Column(
            "informatization_revenue",
            "信息化收入",
            parse_money(),
            "numeric",
            "3200.00",
            _("CNY, ≥ 0, at most 2 decimals"),
        ),
    ),
)
