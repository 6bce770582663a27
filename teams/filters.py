"""One FilterSet for visits, used by the API (and the visit lists of pages)."""

from __future__ import annotations

import datetime

import django_filters
from django import forms
from django.core.validators import RegexValidator
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Visit, VisitKind


class MonthField(forms.CharField):
    # Years 1900–2999: a month of year 0 or 9999 has no start or end a date can hold.
    default_validators = [
        RegexValidator(
            r"^(19|2\d)\d{2}-(0[1-9]|1[0-2])$",
            _("Give the month as YYYY-MM, from 1900-01 to 2999-12, e.g. 2026-11."),
        )
    ]


class MonthFilter(django_filters.CharFilter):
    field_class = MonthField


class VisitFilter(django_filters.FilterSet):
    customer = django_filters.CharFilter(field_name="customer__code", label=_("Customer code"))
    visitor = django_filters.CharFilter(field_name="visitor__username", label=_("Visitor (username)"))
    month = MonthFilter(method="filter_month", label=_("Month (YYYY-MM)"))
    kind = django_filters.ChoiceFilter(choices=VisitKind.choices, label=_("Kind"))
    verified = django_filters.BooleanFilter(
        method="filter_verified",
        label=_("Verified on site"),
        help_text=_("false: the on-site visits not verified by their check-in, for department heads to review."),
    )

    class Meta:
        model = Visit
        fields = ["customer", "visitor", "month", "kind", "verified"]

    def filter_verified(self, queryset: QuerySet[Visit], name: str, value: bool | None) -> QuerySet[Visit]:
        # Only an on-site visit can be verified: "not verified" means an on-site one that was not, never a call.
        if value is None:
            return queryset
        return queryset.filter(verified=True) if value else queryset.filter(kind=VisitKind.ONSITE, verified=False)

    def filter_month(self, queryset: QuerySet[Visit], name: str, value: str) -> QuerySet[Visit]:
        year, month = (int(part) for part in value.split("-"))
        tz = timezone.get_current_timezone()
        start = datetime.datetime(year, month, 1, tzinfo=tz)
        end = datetime.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=tz)
        return queryset.filter(visited_at__gte=start, visited_at__lt=end)
