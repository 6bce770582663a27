"""One FilterSet for visits, used by the API (and the visit lists of pages)."""

from __future__ import annotations

import datetime

import django_filters
from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import User
from crm.visibility import territory_of_lists

from .models import UNVERIFIED_ON_SITE, UnverifiedReason, Visit, VisitKind

# A visit logged before check-ins existed (or loaded by SQL) was never checked: on site, not verified, no reason.
NO_CHECK_IN = "no_check_in"

# Why an on-site visit is not verified, in the few words a list shows (the visitor is told the whole sentence of
# `UnverifiedReason`); the most telling first.
UNVERIFIED_REASONS = [
    (UnverifiedReason.TOO_FAR.value, _("Too far from the customer")),
    (UnverifiedReason.INACCURATE.value, _("Position not accurate enough")),
    (UnverifiedReason.NO_CUSTOMER_LOCATION.value, _("Customer has no location yet")),
    (UnverifiedReason.NO_POSITION.value, _("No position")),
    (UnverifiedReason.NO_ACCURACY.value, _("Position without accuracy")),
    (NO_CHECK_IN, _("No check-in")),
]


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


class DayField(forms.DateField):
    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")  # the phone's date picker
    # The same years as a month (1900–2999): a day at either end of what a date holds has no local start.
    default_validators = [
        MinValueValidator(datetime.date(1900, 1, 1), _("Give a day from 1900-01-01 to 2999-12-31.")),
        MaxValueValidator(datetime.date(2999, 12, 31), _("Give a day from 1900-01-01 to 2999-12-31.")),
    ]


class DayFilter(django_filters.DateFilter):
    field_class = DayField


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
    reason = django_filters.ChoiceFilter(
        choices=UNVERIFIED_REASONS,
        method="filter_reason",
        label=_("Why not verified"),
        help_text=_("The on-site visits not verified for this reason."),
    )
    visited_from = DayFilter(method="filter_visited_from", label=_("Visited from"))
    visited_to = DayFilter(method="filter_visited_to", label=_("Visited to"))

    # Filters that find their few rows through their own indexes (one customer's visits, one visitor's) sooner
    # than a territory's visits read region by region and checked one by one.
    SPARSE = ("customer", "visitor")

    class Meta:
        model = Visit
        fields = ["customer", "visitor", "month", "kind", "verified", "reason", "visited_from", "visited_to"]

    def territory_of_list(self, user: User) -> tuple[str | None, bool]:
        """The path of the territory whose visits this list is, for `crm.paginator` to read it region by region,
        newest first (each visit carries its customer's region): the user's (`territory_of_lists`); None for a
        sparse filter, an invalid one, or a user without such a territory. And whether the list is every visit of
        that territory (no filter)."""
        territory = territory_of_lists(user)
        if territory is None or not self.is_valid():
            return None, False
        data = self.form.cleaned_data
        if any(data.get(name) for name in self.SPARSE):
            return None, False
        return territory, all(value in (None, "") for value in data.values())

    def filter_verified(self, queryset: QuerySet[Visit], name: str, value: bool | None) -> QuerySet[Visit]:
        # Only an on-site visit can be verified: "not verified" means an on-site one that was not, never a call.
        if value is None:
            return queryset
        return queryset.filter(verified=True) if value else queryset.filter(UNVERIFIED_ON_SITE)

    def filter_reason(self, queryset: QuerySet[Visit], name: str, value: str) -> QuerySet[Visit]:
        return queryset.filter(UNVERIFIED_ON_SITE, unverified_reason="" if value == NO_CHECK_IN else value)

    # The days are the local calendar's, both included, as a visit's day is everywhere else.
    def filter_visited_from(self, queryset: QuerySet[Visit], name: str, value: datetime.date) -> QuerySet[Visit]:
        start = datetime.datetime.combine(value, datetime.time.min, tzinfo=timezone.get_current_timezone())
        return queryset.filter(visited_at__gte=start)

    def filter_visited_to(self, queryset: QuerySet[Visit], name: str, value: datetime.date) -> QuerySet[Visit]:
        end = value + datetime.timedelta(days=1)
        return queryset.filter(
            visited_at__lt=datetime.datetime.combine(end, datetime.time.min, tzinfo=timezone.get_current_timezone())
        )

    def filter_month(self, queryset: QuerySet[Visit], name: str, value: str) -> QuerySet[Visit]:
        year, month = (int(part) for part in value.split("-"))
        tz = timezone.get_current_timezone()
        start = datetime.datetime(year, month, 1, tzinfo=tz)
        end = datetime.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=tz)
        return queryset.filter(visited_at__gte=start, visited_at__lt=end)
