"""Filters of the ground floor's lists: the audit trail, the departments."""

from __future__ import annotations

import datetime

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField

from .models import AuditAction, AuditEntry, AuditSource, Department, Region


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 moment, taken in UTC: Python reads offsets up to ±23:59, PostgreSQL refuses any beyond ±15:59
    (a server error, before), so the moment is compared as the same instant in UTC, or refused when out of range."""

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None or timezone.is_naive(moment):
            return moment
        try:
            return moment.astimezone(datetime.UTC)
        except (OverflowError, ValueError):
            raise ValidationError(_("This moment is out of range."), code="invalid") from None


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class AuditFilter(django_filters.FilterSet):
    user = django_filters.CharFilter(field_name="username", label=_("User"), help_text=_("A username, exactly."))
    action = django_filters.ChoiceFilter(choices=AuditAction.choices, label=_("Action"))
    source = django_filters.ChoiceFilter(choices=AuditSource.choices, label=_("Channel"))
    customer = django_filters.CharFilter(
        field_name="customer_code", label=_("Customer code"), help_text=_("A customer's code, exactly.")
    )
    since = UtcIsoDateTimeFilter(
        field_name="at", lookup_expr="gte", label=_("Since"), help_text=_("From this time (ISO 8601), inclusive.")
    )
    until = UtcIsoDateTimeFilter(
        field_name="at", lookup_expr="lt", label=_("Until"), help_text=_("Before this time (ISO 8601).")
    )

    class Meta:
        model = AuditEntry
        fields = ["user", "action", "source", "customer", "since", "until"]


class DepartmentFilter(django_filters.FilterSet):
    region = django_filters.ModelChoiceFilter(
        queryset=Region.objects.all(),
        to_field_name="code",
        method="filter_region",
        label=_("Region"),
        help_text=_("A region's code: the departments of its whole subtree (510000: every department of 四川省)."),
    )

    class Meta:
        model = Department
        fields = ["region"]

    def filter_region(self, queryset: QuerySet[Department], name: str, value: Region) -> QuerySet[Department]:
        return queryset.filter(region__path__startswith=value.path)
