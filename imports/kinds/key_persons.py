"""Key persons (关键人, SPEC §3), by customer code and mobile."""

from django.utils.translation import gettext_lazy as _

from accounts.models import KeyPerson

from .base import CUSTOMER, MOBILE, Column, Kind, parse_bool, parse_text

KIND = Kind(
    name="key_persons",
    model=KeyPerson,
    key=("customer", "mobile"),
    conflict=("customer_id", "mobile"),
    # As the partial unique index says it (accounts' key_person_unique_mobile_per_customer), which SQLite needs.
    conflict_where="NOT (mobile = '')",
    customer_column="customer",
    replaceable=True,
    required_for_new=("name",),
    columns=(
        CUSTOMER,
        MOBILE,
        Column(
            "name",
            "姓名",
            parse_text(50, required=True),
            "text",
            "张伟",
            _("required for a new key person; at most 50 characters"),
        ),
        Column("title", "职务", parse_text(100), "text", "信息中心主任", _("at most 100 characters")),
        Column("is_decision_maker", "是否决策人", parse_bool, "boolean", "是", _("是/否, true/false or 1/0")),
        Column("notes", "备注", parse_text(2000), "text", "", _("at most 2000 characters")),
    ),
)
