"""One FilterSet for customers, used by the list page, the API and (later) the exports."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

import django_filters
from django import forms
from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.functions import Concat, Upper
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.functional import cached_property, lazy
from django.utils.translation import gettext_lazy as _

from crm.lookups import uncased
from crm.models import Region, TeamRoleKind, User
from crm.paginator import lists_are_long, planned_rows
from crm.periods import Period
from crm.visibility import territory_of_lists, visible_regions

from .models import Customer, CustomerStatus, Industry, Segment, Tier, team_roles
from .selectors import SEARCH_ANYWHERE_LENGTH, active_on, filed_in_year, profile_complete
from .validators import may_be_a_uscc, may_begin_a_code

COMPLETENESS = [("complete", _("Complete")), ("incomplete", _("Incomplete"))]
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


class YearFilter(django_filters.Filter):
    field_class = forms.IntegerField


class CustomerFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        for check in form_checks:
            check(self, cleaned)
        return cleaned


class CustomerOrdering(django_filters.OrderingFilter):
    descending_fmt = _("%s (descending)")


def _regions_for(request) -> QuerySet[Region]:
    # A region outside the user's territory is an invalid choice, the same as an unknown code.
    if request is None:
        return Region.objects.all()
    return visible_regions(request.user).order_by("path")


# A person as the staff picker shows one: "王建国 (cd_head)".
PICKED = re.compile(r".*\(\s*([^()\s]+)\s*\)")


def staff_named(value: str) -> QuerySet[User]:
    """The keys of the people a staff filter's text names: a username (what links and scripts send), a person as the
    staff picker shows one ("王建国 (cd_head)"), or a full name typed without the picker's help."""
    value = value.strip()
    shown = PICKED.fullmatch(value)
    username = shown.group(1) if shown else value
    return (
        User.objects.annotate(full_name=Concat("last_name", "first_name"))
        .filter(Q(username=username) | Q(full_name=value))
        .values("pk")
    )


def _staff_search_url() -> str:
    # The staff pickers' search lives on a floor above (teams); named, not imported. Without it the field
    # still takes a username as typed.
    try:
        return reverse("teams:staff-search")
    except NoReverseMatch:
        return ""


def staff_picker_attrs() -> dict[str, Any]:
    """The attributes that make a text input the staff picker of static/js/staff-picker.js: it searches the staff
    of the user's territory by name or username as they type (keyboard and touch) and fills in the username."""
    return {
        "autocomplete": "off",
        "autocapitalize": "none",
        "spellcheck": "false",
        "placeholder": _("Name or username"),
        "data-staff-picker": "one",
        "data-staff-url": lazy(_staff_search_url, str)(),
        "data-staff-empty": _("No member of staff of your territory matches."),
        "data-staff-more": _("More match: type more of the name."),
    }


# A search the planner expects to begin this many customers' codes or more is a common prefix (280 begins every code
# of the seeded province): its list is read as a common word's is, in code order and region by region, instead of
# its matches found by index and sorted, a million of them. A rare prefix is estimated at a few hundred at most; an
# expression never analysed at 0.5 % of the table, below it.
COMMON_PREFIX_ROWS = 10_000


def common_code_prefix(value: str) -> bool:
    """Whether `value`, a word a code may begin with, begins many customers' codes by the planner's statistics of
    UPPER(code) (PostgreSQL; elsewhere, never)."""
    if connection.vendor != "postgresql" or not may_begin_a_code(value):
        return False
    return planned_rows(Customer.objects.filter(code__istartswith=value)) >= COMMON_PREFIX_ROWS


def searched_by_index(value: str | None) -> bool:
    """Whether a search of the customer list is a word long enough (three characters on) to be found in few names:
    its list is read as it is. A word of two characters (科技 is in every tenth name) is read region by region; a
    rare one (崇州) is still found by the names' pairs of characters (`anywhere`) when its rows are counted."""
    return len((value or "").strip()) >= SEARCH_ANYWHERE_LENGTH


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
    manager = django_filters.CharFilter(
        method="filter_manager",
        label=_("Customer manager"),
        widget=forms.TextInput(attrs=staff_picker_attrs()),
        help_text=_("Type a name or a username and pick the person."),
    )
    # The conditions behind the KPIs (SPEC §7), so that every figure of a dashboard links to its customers.
    tier_group = django_filters.ChoiceFilter(choices=TIER_GROUP_CHOICES, method="filter_tier_group", label=_("Tiers"))
    profile = django_filters.ChoiceFilter(choices=COMPLETENESS, method="filter_profile", label=_("Profile"))
    lost_in = PeriodFilter(
        method="filter_lost_in",
        label=_("Lost in month"),
        widget=forms.TextInput(attrs={"placeholder": "YYYY-MM"}),
        help_text=_("Active at the start of the month, no longer active at its end."),
    )
    # The year's new customers behind a new-customer target (issue 21).
    created_in = YearFilter(
        method="filter_created_in",
        label=_("Filed in year"),
        min_value=2000,
        max_value=2100,
        widget=forms.NumberInput(attrs={"placeholder": "YYYY"}),
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

    # Filters that find few of a territory's customers, through indexes of their own (a manager's team roles, the
    # month's status changes; a search of three characters or more, the name's trigrams: `searched_by_index`): their
    # lists are read as they are, not region by region. A shorter search may be common: it is read region by region
    # like a tier (a word such as 科技 is in every tenth name, so its first pages come soon), and as it is once the
    # rows checked run out (a rare word of two, 崇州, by the names' pairs of characters).
    SPARSE: tuple[str, ...] = ("manager", "lost_in")

    def territory_of_list(self, user: User) -> tuple[str | None, bool]:
        """The path of the territory whose list this is, for `crm.paginator` to read it region by region: the
        user's (`territory_of_lists`), or the region filtered on within it; None for a sparse filter, an invalid
        one, or a user without such a territory. And whether the list is every customer of that territory (no
        filter but the region)."""
        territory = territory_of_lists(user)
        if territory is None or not self.is_valid():
            return None, False
        data = self.form.cleaned_data
        if any(data.get(name) for name in self.SPARSE) or self._searched_by_index:
            return None, False
        region = data.get("region")
        whole = not any(value for name, value in data.items() if name not in ("region", "ordering"))
        return (region.path if region is not None else territory), whole

    @cached_property
    def _searched_by_index(self) -> bool:
        """`searched_by_index` of the valid form's search, but not a common code prefix (`common_code_prefix`, the
        planner asked once a list) in a long list (a territory's, the country's): an account manager's few customers
        are sorted at once whatever the word."""
        value = (self.form.cleaned_data.get("search") or "").strip()
        if not searched_by_index(value):
            return False
        return not (lists_are_long(getattr(self.request, "user", None)) and common_code_prefix(value))

    def filter_tier_group(self, queryset: QuerySet[Customer], name: str, value: str) -> QuerySet[Customer]:
        return queryset.filter(tier__in=TIER_GROUPS[value])

    def filter_profile(self, queryset: QuerySet[Customer], name: str, value: str) -> QuerySet[Customer]:
        complete = profile_complete()
        return queryset.filter(complete if value == "complete" else ~complete)

    def filter_lost_in(self, queryset: QuerySet[Customer], name: str, value: Period) -> QuerySet[Customer]:
        today = timezone.localdate()
        return queryset.filter(
            Q(active_on(value.start - datetime.timedelta(days=1))) & ~Q(active_on(value.as_of(today)))
        )

    def filter_created_in(self, queryset: QuerySet[Customer], name: str, value: int) -> QuerySet[Customer]:
        return queryset.filter(filed_in_year(value))

    def filter_search(self, queryset: QuerySet[Customer], name: str, value: str) -> QuerySet[Customer]:
        value = value.strip()
        if not value:
            return queryset
        indexed = self._searched_by_index
        # A name holds the word anywhere (`anywhere`: a word of two by the names' pairs of characters, a longer one
        # by their trigrams); a code starts with it, a short word of digits as written (the code's own index), else
        # case ignored (the B-tree on UPPER(code)); or it is the USCC. Codes and USCCs are looked at only when the
        # word may be one: the rows the name's index finds are then checked by its condition alone, not by every
        # condition of an OR.
        found = Q(name__anywhere=value)
        if may_begin_a_code(value):
            found |= Q(code__istartswith=value) if indexed or not uncased(value) else Q(code__startswith=value)
        if may_be_a_uscc(value):
            found |= Q(uscc=value.upper())
        matches = queryset.filter(found)
        if indexed and not self.data.get("ordering"):
            # Matches are few; ordering by an unindexed expression of the code keeps PostgreSQL from walking the
            # whole code index in order for a LIMIT and lets it sort the few rows the trigram indexes found. A
            # shorter word may be common: the planner weighs walking the code index against the rows its pair gives.
            matches = matches.order_by(Upper("code"))
        return matches

    def filter_region(self, queryset: QuerySet[Customer], name: str, value: Region) -> QuerySet[Customer]:
        return queryset.filter(region__path__startswith=value.path)

    def filter_manager(self, queryset: QuerySet[Customer], name: str, value: str) -> QuerySet[Customer]:
        """By the manager's username (`?manager=cd_am01`, what links and scripts send), as the staff picker shows a
        person ("王建国 (cd_head)"), or by the full name typed without the picker's help."""
        value = value.strip()
        if not value:
            return queryset
        managed = team_roles().active().filter(role=TeamRoleKind.CUSTOMER_MANAGER, user__in=staff_named(value))
        return queryset.filter(pk__in=managed.values("customer_id"))


# Checks across fields that the floors above add to the filter form (`customer_filter_add`).
form_checks: list[Callable[[forms.Form, dict], None]] = []


def customer_filter_add(
    name: str,
    customer_filter: django_filters.Filter,
    *,
    after: str,
    check: Callable[[forms.Form, dict], None] | None = None,
    sparse: bool = False,
) -> None:
    """Add a filter of a higher floor (teams: team completeness and visits; campaigns: product coverage; imports:
    the new customers of an import) to the one customer FilterSet that the list page, the API and the exports
    share, placed after the filter `after`.

    Called from the higher app's `AppConfig.ready`, before any request. The filter filters by a callable
    `method` or by its own `filter()` (which may read `self.parent.form.cleaned_data`). `check(form, cleaned)`
    runs in the filter form's `clean` (coverage needs a product). A `sparse` filter finds its rows through an
    index of its own: its list is read as it is, not region by region (`CustomerFilter.SPARSE`). A filter with a
    hidden widget is shown on the list page as a chip that removes it.
    """
    filters = dict(CustomerFilter.base_filters)
    filters.pop(name, None)
    names = list(filters)
    names.insert(names.index(after) + 1, name)
    filters[name] = customer_filter
    CustomerFilter.base_filters = {key: filters[key] for key in names}
    if sparse and name not in CustomerFilter.SPARSE:
        CustomerFilter.SPARSE = (*CustomerFilter.SPARSE, name)
    if check is not None and check not in form_checks:
        form_checks.append(check)
