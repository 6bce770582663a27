"""Monthly billing (账单, SPEC §8.4), by customer code and month `YYYY-MM`; the latest month of each customer sets
its monthly spend and informatization revenue, and what it owes (欠费, issue 21), which opens and closes its
collection cases."""

from django.utils.translation import gettext_lazy as _

from accounts.models import BillingPeriod

from .base import CUSTOMER, Column, Kind, parse_date, parse_money, parse_period

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
        Column(
            "arrears_amount",
            "欠费金额",
            parse_money(),
            "numeric",
            "86000.00",
            _("CNY owed at the end of the month, ≥ 0, at most 2 decimals; 0 or empty: nothing owed"),
        ),
        Column(
            "arrears_since",
            "欠费起始日",
            parse_date(),
            "date",
            "2026-08-15",
            _("the day the arrears began, YYYY-MM-DD, not in the future; empty when nothing is owed"),
            nullable=True,
        ),
    ),
)
