from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag
def tier_badge(tier: str | None):
    if not tier:
        return format_html('<span class="tier tier-none" title="{}">—</span>', _("Tier not computed yet"))
    return format_html('<span class="tier tier-{}">{}</span>', tier.replace("+", "plus"), tier)


@register.filter
def yuan(value) -> str:
    """Money in CNY as finance staff read it: two decimals, thousands grouped by three (208,826.31)."""
    if value in (None, ""):
        return "—"
    return f"{Decimal(value):,.2f}"


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None
