"""Settlement computations on the one jobs page (`crm.jobboard`): registered in `PartnersConfig.ready`."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm import jobboard
from crm.permissions import may

from .models import SettlementJobRun
from .selectors import settlement_runs_for


def _row(run: SettlementJobRun) -> jobboard.JobRow:
    return jobboard.chunked_row(
        KIND,
        run,
        scope=f"{run.region.name} · {run.period:%Y-%m}",
        counts=[
            (_("settlements computed"), run.computed),
            (_("lines"), run.lines),
            (_("corrections of earlier months"), run.corrections),
        ],
        url=run.get_absolute_url(),
    )


KIND = jobboard.JobKind(
    key="settlements",
    label=gettext_lazy("Commission settlement computation"),
    runs=settlement_runs_for,  # their province's for provincial staff, every one for headquarters
    statuses=jobboard.CHUNKED_STATUSES,
    row=_row,
    home="partners:settlements",
    home_label=gettext_lazy("Commission settlements"),
    may_see=lambda user: may(user, "partners.view_commission_rules"),  # provincial staff and headquarters
)


def register() -> None:
    jobboard.register(KIND)
