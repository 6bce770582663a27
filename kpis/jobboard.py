"""KPI computations on the one jobs page (`crm.jobboard`): registered in `KpisConfig.ready`."""

from __future__ import annotations

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm import jobboard
from crm.permissions import may

from .models import KpiJobRun
from .selectors.jobs import runs_for


def _row(run: KpiJobRun) -> jobboard.JobRow:
    row = jobboard.chunked_row(
        KIND,
        run,
        scope=_("%(month)s, as of %(as_of)s")
        % {"month": run.period.strftime("%Y-%m"), "as_of": date_format(run.as_of, "Y-m-d")},
        counts=[(_("customers seen"), run.customers_seen), (_("snapshots written"), run.snapshots_written)],
    )
    row.started_by = row.started_by or run.get_source_display()
    return row


KIND = jobboard.JobKind(
    key="kpis",
    label=gettext_lazy("KPI computation"),
    runs=runs_for,  # nation-wide: provincial staff and above see them all
    statuses=jobboard.CHUNKED_STATUSES,
    row=_row,
    home="kpis:targets",
    home_label=gettext_lazy("KPI targets"),
    may_see=lambda user: may(user, "kpis.view_job_runs"),
)


def register() -> None:
    jobboard.register(KIND)
