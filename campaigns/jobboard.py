"""Campaigns created by a worker on the one jobs page (`crm.jobboard`): registered in `CampaignsConfig.ready`. Their
progress (planning, writing the plans, recording) is what the run's own page follows too."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm import jobboard
from crm.models import JobStatus
from crm.permissions import may

from .models import CampaignCreationRun
from .selectors import creation_runs_for
from .services.creations import progress_of

STEPS = {
    "queued": gettext_lazy("Waiting for a worker"),
    "planning": gettext_lazy("Finding the customers"),
    "writing": gettext_lazy("Writing the plans"),
    "recording": gettext_lazy("Recording the history"),
    "done": gettext_lazy("Done"),
    "failed": gettext_lazy("Failed"),
}


def progress(run: CampaignCreationRun) -> jobboard.Progress:
    """How far a creation is: the plans written of the plans previewed, and the step it is at."""
    now = progress_of(run)
    step = str(now.get("step") or "queued")
    done, total = int(now.get("done") or 0), int(now.get("total") or run.plans)
    text = str(STEPS.get(step, step))
    if step == "writing":
        text = _("%(step)s: %(done)s of %(total)s") % {
            "step": text,
            "done": jobboard.grouped(done),
            "total": jobboard.grouped(total),
        }
    elif step in ("queued", "planning"):
        done = 0
    return jobboard.Progress(done, total, text)


def _row(run: CampaignCreationRun) -> jobboard.JobRow:
    row = jobboard.chunked_row(
        KIND,
        run,
        scope=f"{run.name} · {run.region.name}",
        counts=[(_("plans"), run.plans)],
        url=run.get_absolute_url(),
    )
    if run.status == JobStatus.RUNNING:
        row.progress = progress(run)
    return row


KIND = jobboard.JobKind(
    key="campaigns",
    label=gettext_lazy("Campaign creation"),
    runs=creation_runs_for,  # the user's own and their territory's, region, starter and campaign fetched with them
    statuses=jobboard.CHUNKED_STATUSES,
    row=_row,
    home="campaigns:campaigns",
    home_label=gettext_lazy("Campaigns"),
    may_see=lambda user: may(user, "campaigns.plan"),
)


def register() -> None:
    jobboard.register(KIND)
