"""The do-not-call list (营销黑名单, SPEC §6.3), by mobile: a national list kept by provincial staff."""

from django.utils.translation import gettext_lazy as _

from campaigns.models import DoNotCall

from .base import MOBILE, Column, Kind, parse_text

KIND = Kind(
    name="do_not_call",
    model=DoNotCall,
    key=("mobile",),
    conflict=("mobile",),
    required_for_new=("reason",),
    columns=(
        MOBILE,
        Column(
            "reason",
            "原因",
            parse_text(200, required=True),
            "text",
            "客户要求不再营销",
            _("required for a new number; at most 200 characters"),
        ),
    ),
)
