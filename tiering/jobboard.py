"""Tier recomputes on the one jobs page (`crm.jobboard`): registered in `TieringConfig.ready`."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm import jobboard
from crm.permissions import may

from .models import TierJobRun
from .selectors import job_runs_for


def _row(run: TierJobRun) -> jobboard.JobRow:
    row = jobboard.chunked_row(
        KIND,
        run,
        scope=f"{run.scope.name} · {run.get_source_display()}",
        counts=[
            (_("customers seen"), run.customers_seen),
            (_("changed"), run.customers_changed),
            (_("VIP levels changed"), run.members_changed),
        ],
    )
    row.started_by = row.started_by or run.get_source_display()
    return row


KIND = jobboard.JobKind(
    key="tiers",
    label=gettext_lazy("Tier recompute"),
    runs=job_runs_for,  # the nation's and the user's territory's, scope and starter fetched with them
    statuses=jobboard.CHUNKED_STATUSES,
    row=_row,
    home="tiering:rule-sets",
    home_label=gettext_lazy("Tier rules"),
    may_see=lambda user: may(user, "tiering.manage_rules"),
)


def register() -> None:
    jobboard.register(KIND)
