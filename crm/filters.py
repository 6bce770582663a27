"""Filters of the ground floor's lists: the audit trail."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from .models import AuditAction, AuditEntry, AuditSource


class AuditFilter(django_filters.FilterSet):
    user = django_filters.CharFilter(field_name="username", label=_("User"), help_text=_("A username, exactly."))
    action = django_filters.ChoiceFilter(choices=AuditAction.choices, label=_("Action"))
    source = django_filters.ChoiceFilter(choices=AuditSource.choices, label=_("Channel"))
    customer = django_filters.CharFilter(
        field_name="customer_code", label=_("Customer code"), help_text=_("A customer's code, exactly.")
    )
    since = django_filters.IsoDateTimeFilter(
        field_name="at", lookup_expr="gte", label=_("Since"), help_text=_("From this time (ISO 8601), inclusive.")
    )
    until = django_filters.IsoDateTimeFilter(
        field_name="at", lookup_expr="lt", label=_("Until"), help_text=_("Before this time (ISO 8601).")
    )

    class Meta:
        model = AuditEntry
        fields = ["user", "action", "source", "customer", "since", "until"]
