"""What imports add to the floor below (`crm.hooks`): the imports that wrote customers, so that a figure computed
before one (the KPI dashboard) says it predates it. `register()` runs in `ImportsConfig.ready`."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from crm import hooks
from crm.models import Region

from .models import ImportRun, ImportStatus


def written_runs(*, region: Region) -> tuple[str, object, QuerySet[ImportRun]]:
    """The imports written (not a check only) into `region`, within it or over it."""
    overlapping = Q(territory__path__startswith=region.path) | Q(territory_id__in=region.ancestor_codes())
    runs = ImportRun.objects.filter(overlapping, status=ImportStatus.DONE, dry_run=False, finished_at__isnull=False)
    return "imports", _("an import"), runs


def register() -> None:
    hooks.customer_data_written.register("imports.written_runs", written_runs)
