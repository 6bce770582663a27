from __future__ import annotations

from django import template

from tiering.reasons import reasons_text

register = template.Library()


@register.filter
def reason(value) -> str:
    """One tier reason as people read it, in the active language: `手机数量 612 ≥ 500`. An industry's name costs a
    query: a page listing many customers' reasons uses `tiering.reasons.reasons_text` with words read once."""
    return reasons_text([value])[0]
