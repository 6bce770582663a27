"""One FilterSet for customers, used by the list page, the API and (later) the exports."""

from __future__ import annotations

import datetime

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models import Product
from campaigns.rules import COVERAGE_LABELS
from campaigns.selectors import coverage_condition
from crm.models import Region
from crm.periods import Period
from crm.visibility import visible_regions
from teams.models import TeamRole, TeamRoleKind
from teams.selectors import standards, team_complete, visits_met, visits_overdue

from .models import Customer, CustomerStatus, Industry, Segment, Tier
from .selectors import active_on, profile_complete

COMPLETENESS = [("complete", _("Complete")), ("incomplete", _("Incomplete"))]
VISIT_CHOICES = [
    ("met", _("Standard met this period")),
    ("due", _("Due this period")),
    ("overdue", _("Overdue from the last period")),
]
TIER_GROUPS = {"a": ("A+", "A"), "ab": ("A+", "A", "B"), "tiered": ("A+", "A", "B", "C")}
TIER_GROUP_CHOICES = [("a", "A+ / A"), ("ab", "A+ / A / B"), ("tiered", _("Any tier"))]


class PeriodField(forms.CharField):
    """A month written YYYY-MM, no later than this one (`crm.periods.Period`)."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        try:
            return Period.parse(value, timezone.localdate())
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc


class PeriodFilter(django_filters.Filter):
    field_class = PeriodField


class CustomerFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        if cleaned.get("coverage") and not cleaned.get("product") and "product" not in self.errors:
            self.add_error("product", _("Choose the product whose coverage to filter by."))
        return cleaned


class CustomerOrdering(django_filters.OrderingFilter):
    descending_fmt = _("%s (descending)")


def _regions_for(request) -> QuerySet[Region]:
    # A region outside the user's territory is an invalid choice, the same as an unknown code.
    if request is None:
        return Region.objects.all()
    return visible_regions(request.user).order_by("path")


class CustomerFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(
        method="filter_search",
        label=_("Search"),
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name, code or USCC")}),
    )
    tier = django_filters.ChoiceFilter(choices=Tier.choices, label=_("Tier"))
    region = django_filters.ModelChoiceFilter(
        queryset=lambda request: _regions_for(request),
        to_field_name="code",
        method="filter_region",
        label=_("Region"),
        empty_label=_("All"),
    )
    industry = django_filters.ModelChoiceFilter(
        queryset=Industry.objects.all(), to_field_name="code", label=_("Industry"), empty_label=_("All")
    )
    segment = django_filters.ChoiceFilter(field_name="industry__segment", choices=Segment.choices, label=_("Segment"))
    status = django_filters.ChoiceFilter(choices=CustomerStatus.choices, label=_("Status"))
    manager = django_filters.CharFilter(method="filter_manager", label=_("Customer manager (username)"))
    # The conditions behind the KPIs (SPEC §7), so that every figure of a dashboard links to its customers.
    tier_group = django_filters.ChoiceFilter(choices=TIER_GROUP_CHOICES, method="filter_tier_group", label=_("Tiers"))
    profile = django_filters.ChoiceFilter(choices=COMPLETENESS, method="filter_profile", label=_("Profile"))
    team = django_filters.ChoiceFilter(choices=COMPLETENESS, method="filter_team", label=_("Team"))
    visits = django_filters.ChoiceFilter(choices=VISIT_CHOICES, method="filter_visits", label=_("Visits"))
    product = django_filters.ModelChoiceFilter(
        queryset=Product.objects.all(),
        to_field_name="code",
        method="filter_product",
        label=_("Product"),
        empty_label=_("All"),
    )
    coverage = django_filters.ChoiceFilter(
        choices=list(COVERAGE_LABELS.items()), method="filter_coverage", label=_("Coverage of the product")
    )
    lost_in = PeriodFilter(
        method="filter_lost_in",
        label=_("Lost in month"),
        widget=forms.TextInput(attrs={"placeholder": "YYYY-MM"}),
        help_text=_("Active at the start of the month, no longer active at its end."),
    )
    ordering = CustomerOrdering(
        fields=(
            ("code", "code"),
            ("name", "name"),
            ("handset_count", "handset_count"),
            ("monthly_spend", "monthly_spend"),
            ("updated_at", "updated_at"),
        ),
        field_labels={
            "code": _("Code"),
            "name": _("Name"),
            "handset_count": _("Handset count"),
            "monthly_spend": _("Monthly spend"),
            "updated_at": _("Last updated"),
        },
        label=_("Sort by"),
        empty_label=_("Default (code)"),
    )

    class Meta:
        model = Customer
        form = CustomerFilterForm
        fields = ["search", "tier", "region", "industry", "segment", "status", "manager"]

    def filter_tier_group(self, queryset: QuerySet[Customer], name: str, value: str) -> QuerySet[Customer]:
        return queryset.filter(tier__in=TIER_GROUPS[value])

    def filter_profile(self, queryset: QuerySet[Customer], name: str, value: str) -> QuerySet[Customer]:
        complete = profile_complete()
        return queryset.filter(complete if value == "complete" else ~complete)

    def filter_team(self, queryset: QuerySet[Customer], name: str, value: str) -> QuerySet[Customer]:
        complete = Q(team_complete(standards()))
        return queryset.filter(Q(tier__isnull=False), complete if value == "complete" else ~complete)

    def filter_visits(self, queryset: QuerySet[Customer], name: str, value: str) -> QuerySet[Customer]:
        by_tier, today = standards(), timezone.localdate()
        if value == "overdue":
            return queryset.filter(visits_overdue(by_tier, today))
        met = visits_met(by_tier, today)
        return queryset.filter(met if value == "met" else Q(tier__in=list(by_tier)) & ~met)

    def filter_product(self, queryset: QuerySet[Customer], name: str, value: Product) -> QuerySet[Customer]:
        return queryset  # the product is what `coverage` is of

    def filter_coverage(self, queryset: QuerySet[Customer], name: str, value: str) -> QuerySet[Customer]:
        return queryset.filter(coverage_condition(self.form.cleaned_data["product"], value))

    def filter_lost_in(self, queryset: QuerySet[Customer], name: str, value: Period) -> QuerySet[Customer]:
        today = timezone.localdate()
        return queryset.filter(
            Q(active_on(value.start - datetime.timedelta(days=1))) & ~Q(active_on(value.as_of(today)))
        )

    def filter_search(self, queryset: QuerySet[Customer], name: str, value: str) -> QuerySet[Customer]:
        value = value.strip()
        if not value:
            return queryset
        matches = queryset.filter(Q(name__icontains=value) | Q(code__istartswith=value) | Q(uscc=value.upper()))
        if not self.data.get("ordering"):
            # Matches are few; ordering by an unindexed expression of the code keeps PostgreSQL from walking the
            # whole code index in order for a LIMIT and lets it sort the few rows the trigram indexes found.
            matches = matches.order_by(Upper("code"))
        return matches

    def filter_region(self, queryset: QuerySet[Customer], name: str, value: Region) -> QuerySet[Customer]:
        return queryset.filter(region__path__startswith=value.path)

    def filter_manager(self, queryset: QuerySet[Customer], name: str, value: str) -> QuerySet[Customer]:
        managed = TeamRole.objects.active().filter(role=TeamRoleKind.CUSTOMER_MANAGER, user__username=value)
        return queryset.filter(pk__in=managed.values("customer_id"))
