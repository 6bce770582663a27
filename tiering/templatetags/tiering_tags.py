from __future__ import annotations

from django import template

from tiering.rules import reason_text

register = template.Library()


@register.filter
def reason(value) -> str:
    """One tier reason as a line: `handset_count 612 ≥ 500`."""
    return reason_text(value)
