"""Group members (集团成员, SPEC §3), by customer code and mobile; in `replace` mode, members no longer listed are
marked as left (`left_on`), not deleted."""

from django.utils.translation import gettext_lazy as _

from accounts.models import GroupMember
from accounts.rules import VIP_THRESHOLDS

from .base import CUSTOMER, MOBILE, Column, Kind, parse_bool, parse_money, parse_text


def _vip_level_sql() -> str:
    """The VIP level of SPEC §4.3 from the staged ARPU, as `accounts.rules.vip_level_for` gives it."""
    branches = " ".join(f"WHEN s.arpu >= {threshold} THEN '{name}'" for name, threshold in VIP_THRESHOLDS)
    return f"CASE {branches} ELSE NULL END"


KIND = Kind(
    name="members",
    model=GroupMember,
    key=("customer", "mobile"),
    conflict=("customer_id", "mobile"),
    customer_column="customer",
    replaceable=True,
    removal="leave",
    required_for_new=("name",),
    # Listed again: a member who had left is back (left_on cleared).
    computed={"vip_level": (_vip_level_sql(), ("arpu",)), "left_on": ("CAST(NULL AS date)", ())},
    columns=(
        CUSTOMER,
        MOBILE,
        Column(
            "name",
            "姓名",
            parse_text(50, required=True),
            "text",
            "李娜",
            _("required for a new member; at most 50 characters"),
        ),
        Column("on_net", "是否本网", parse_bool, "boolean", "是", _("是/否, true/false or 1/0")),
        Column("verified", "是否核实", parse_bool, "boolean", "是", _("是/否, true/false or 1/0")),
        Column("arpu", "ARPU", parse_money(10), "numeric", "128.50", _("CNY per month, ≥ 0, at most 2 decimals")),
    ),
)
