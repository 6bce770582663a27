"""What imports add to the floors below: the imports that wrote customers, so that a figure computed before one
(the KPI dashboard) says it predates it (`crm.hooks`); the customer list's filter of the customers an import
created (`?imported=ID`, the link of a written run's page). `register()` runs in `ImportsConfig.ready`."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from accounts.filters import customer_filter_add
from accounts.models import Customer
from crm import hooks
from crm.models import Region

from .models import ImportKind, ImportRun, ImportStatus


def written_runs(*, region: Region) -> tuple[str, object, QuerySet[ImportRun]]:
    """The imports written (not a check only) into `region`, within it or over it."""
    overlapping = Q(territory__path__startswith=region.path) | Q(territory_id__in=region.ancestor_codes())
    runs = ImportRun.objects.filter(overlapping, status=ImportStatus.DONE, dry_run=False, finished_at__isnull=False)
    return "imports", _("an import"), runs


def customer_imports(request) -> QuerySet[ImportRun]:
    """The written imports of customers whose new customers the list may filter by: those the user sees."""
    if request is None:
        return ImportRun.objects.none()
    return ImportRun.objects.visible_to(request.user).filter(kind=ImportKind.CUSTOMERS, status=ImportStatus.DONE)


@extend_schema_field(
    {"type": "integer", "description": _("The customers that the written import of customers with this id created.")}
)
class ImportedFilter(django_filters.ModelChoiceFilter):
    """The customers an import created: the write stamps every row it creates with the moment it keeps as the run's
    `written_at`. Read from `customer_created_idx` (filing date, code) in code order: the moment is asked for as a
    range of one, so that the filing date stays a sort key the planner cannot drop, and the index gives the order;
    asked for as an equality, it walks the code index instead, counting on the run's customers to be spread over
    the codes, and reads every older customer first when they are the newest codes (BOSS numbers new customers
    last)."""

    def filter(self, qs: QuerySet[Customer], value: ImportRun | None) -> QuerySet[Customer]:
        if value is None:
            return qs
        # (a sort the user picks, `ordering`, comes after and replaces this one)
        created = qs.filter(created_at__gte=value.written_at, created_at__lte=value.written_at)
        return created.order_by("created_at", "code")


def register() -> None:
    hooks.customer_data_written.register("imports.written_runs", written_runs)
    customer_filter_add(
        "imported",
        ImportedFilter(
            queryset=customer_imports,
            label=_("New by import"),
            widget=forms.HiddenInput,
            error_messages={
                "invalid_choice": _("No written import of customers you may see has the number %(value)s.")
            },
        ),
        after="created_in",
        sparse=True,
    )
