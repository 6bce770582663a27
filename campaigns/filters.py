"""One FilterSet for opportunities, used by the API and the board page."""

from __future__ import annotations

import datetime

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.filters import staff_named
from teams.filters import MonthFilter

from .models import Opportunity, OpportunityStage


class OpportunityFilter(django_filters.FilterSet):
    customer = django_filters.CharFilter(field_name="customer__code", label=_("Customer code"))
    owner = django_filters.CharFilter(method="filter_owner", label=_("Owner (username)"))
    stage = django_filters.ChoiceFilter(choices=OpportunityStage.choices, label=_("Stage"))
    closing = MonthFilter(method="filter_closing", label=_("Expected to close in (YYYY-MM)"))

    class Meta:
        model = Opportunity
        fields = ["customer", "owner", "stage", "closing"]

    def filter_owner(self, queryset: QuerySet[Opportunity], name: str, value: str) -> QuerySet[Opportunity]:
        """By the owner's username, or as the staff picker shows a person, or by the full name (`staff_named`)."""
        return queryset.filter(owner__in=staff_named(value)) if value.strip() else queryset

    def filter_closing(self, queryset: QuerySet[Opportunity], name: str, value: str) -> QuerySet[Opportunity]:
        year, month = (int(part) for part in value.split("-"))
        start = datetime.date(year, month, 1)
        end = datetime.date(year + month // 12, month % 12 + 1, 1)
        return queryset.filter(expected_close_on__gte=start, expected_close_on__lt=end)
