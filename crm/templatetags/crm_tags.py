from __future__ import annotations

from decimal import Decimal

from django import template
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from crm import versions

register = template.Library()


@register.simple_tag
def tier_badge(tier: str | None):
    if not tier:
        return format_html('<span class="tier tier-none" title="{}">—</span>', _("Tier not computed yet"))
    return format_html('<span class="tier tier-{}">{}</span>', tier.replace("+", "plus"), tier)


@register.simple_tag
def colon() -> str:
    """What follows a label ("客户：12"): the full-width "：" in Chinese, ": " in English — a translation, so that
    each language writes its own."""
    return pgettext("label separator", ": ")


@register.filter
def percent(value, places: int = 1) -> str:
    """A share already in percent (33.3) written the one way the product writes percentages, as the KPI figures
    are: one decimal and the sign right after the number, "33.3%"; "—" when there is none."""
    if value in (None, ""):
        return "—"
    return f"{Decimal(str(value)):.{int(places)}f}%"


@register.filter
def yuan(value) -> str:
    """Money in CNY as finance staff read it: two decimals, thousands grouped by three (208,826.31)."""
    if value in (None, ""):
        return "—"
    return f"{Decimal(value):,.2f}"


@register.filter
def version(record) -> str:
    """The version of a record as the page shows it (`crm.versions`), for a form to send back with a change."""
    return versions.version_of(record)


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


def _field(object_type: str, name: str):
    try:
        return apps.get_model(object_type)._meta.get_field(name)
    except (LookupError, ValueError, FieldDoesNotExist):
        return None


@register.simple_tag
def field_value(object_type: str, name: str, value) -> str:
    """An audit entry's value as the user reads it: a choice by its label; nothing as a dash."""
    if value is None or value == "" or value == []:
        return "—"
    field = _field(object_type, name)
    choices = dict(field.flatchoices) if field is not None and getattr(field, "choices", None) else {}
    if isinstance(value, list):  # a set's members (a team's assistants, a draft's rules): one after the other
        return "、".join(str(choices.get(item, item)) for item in value)
    return str(choices.get(value, value))


@register.simple_tag
def field_label(object_type: str, name: str) -> str:
    """The label, in the user's language, of field `name` of the model an audit entry names (`app.model`); a team's
    fields are its roles. The name itself when neither knows it."""
    from crm.models import TeamRoleKind

    if name in TeamRoleKind.values:
        return str(TeamRoleKind(name).label)
    field = _field(object_type, name)
    if field is not None and not hasattr(field, "verbose_name") and field.related_model is not None:
        return str(field.related_model._meta.verbose_name_plural)  # the rows that hang off it (a draft's rules)
    return str(field.verbose_name) if field is not None and hasattr(field, "verbose_name") else name


@register.simple_tag
def customers_label(user) -> str:
    """What the navigation and the breadcrumbs call the customer list: "My customers" (我的客户) for an account
    manager, who lists their own; "Customers" for whoever reads a department's, a province's or all customers."""
    if getattr(user, "is_authenticated", False) and not user.sees_own_customers_only:
        return _("Customers")
    return _("My customers")
