"""Campaigns created by a worker (issue 19, point 5): a campaign confirmed on the page with
CAMPAIGN_BACKGROUND_PLANS plans or more is recorded as a `CampaignCreationRun` and created by
`campaigns.tasks.campaign_creation_run` with the same checks as at once (`campaign_create`, against the confirmed
preview's fingerprint), while the page follows its progress. The API still creates at once."""

from __future__ import annotations

import datetime
import hashlib
import json
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crm.jobs import CachedProgress
from crm.models import Department, JobStatus, Region, User
from crm.services import JobBusy, job_chunk_claim, job_run_close, job_run_exclusive

from ..models import CampaignCreationRun, Product
from .campaigns import PreviewChanged, campaign_create

# A confirmation sent again within this time (a double click, a reload of the answer) lands on the run of the
# first, running or done, rather than creating the campaign twice.
REPEAT_WINDOW = datetime.timedelta(minutes=10)

# The run's single chunk (the whole campaign is one transaction), as `crm.models.JobChunk` records it once over.
CHUNK = 0


def background_wanted(plans: int | None) -> bool:
    """Whether a campaign of `plans` plans (as its preview counted them) is created by a worker."""
    return plans is not None and plans >= settings.CAMPAIGN_BACKGROUND_PLANS


def creation_data_dump(data: dict[str, Any]) -> dict[str, Any]:
    """`campaign_create`'s data as the run keeps it (JSON): ids, codes and ISO dates."""
    department = data.get("department")
    revenue = data.get("goal_revenue")
    return {
        "name": data["name"],
        "kind": data["kind"],
        "department": department.pk if department is not None else None,
        "region": data["region"].pk,
        "starts_on": data["starts_on"].isoformat(),
        "ends_on": data["ends_on"].isoformat(),
        "target_products": sorted(product.pk for product in data.get("target_products") or []),
        "segment": {key: list(values or []) for key, values in (data.get("segment") or {}).items()},
        "goal_openings": data.get("goal_openings"),
        "goal_revenue": str(revenue) if revenue is not None else None,
    }


def creation_data(stored: dict[str, Any]) -> dict[str, Any]:
    """A run's data read back as `campaign_create` takes it."""
    return {
        "name": stored["name"],
        "kind": stored["kind"],
        "department": Department.objects.get(pk=stored["department"]) if stored.get("department") else None,
        "region": Region.objects.get(pk=stored["region"]),
        "starts_on": datetime.date.fromisoformat(stored["starts_on"]),
        "ends_on": datetime.date.fromisoformat(stored["ends_on"]),
        "target_products": list(Product.objects.filter(pk__in=stored.get("target_products") or []).order_by("pk")),
        "segment": stored.get("segment") or {},
        "goal_openings": stored.get("goal_openings"),
        "goal_revenue": Decimal(stored["goal_revenue"]) if stored.get("goal_revenue") is not None else None,
    }


@transaction.atomic
def creation_start(
    *, user: User, data: dict[str, Any], fingerprint: str, plans: int, language: str = ""
) -> tuple[CampaignCreationRun, bool]:
    """Record the creation of a campaign by a worker, as confirmed on its preview; returns the run and whether it is
    new (to be handed to a worker). The same confirmation sent again while its run runs, or within REPEAT_WINDOW
    of its success, gets that run back: starts are serialised (`job_run_exclusive`), so two cannot both be new."""
    department = data.get("department") or user.department
    if department is None:
        raise ValidationError({"department": _("Name the department that owns the campaign.")})
    stored = creation_data_dump(data)
    key = hashlib.sha256(json.dumps([stored, fingerprint], sort_keys=True).encode()).hexdigest()
    same = Q(triggered_by=user, request_key=key)
    try:
        # the message carries the running run's id: the repeat lands on it
        job_run_exclusive(CampaignCreationRun, same, lambda run: str(run.pk))
    except JobBusy as busy:
        return CampaignCreationRun.objects.get(pk=int(str(busy))), False
    done = (
        CampaignCreationRun.objects.filter(
            same, status=JobStatus.SUCCEEDED, started_at__gte=timezone.now() - REPEAT_WINDOW
        )
        .order_by("-started_at")
        .first()
    )
    if done is not None:
        return done, False
    run = CampaignCreationRun.objects.create(
        triggered_by=user,
        name=stored["name"],
        department=department,
        region=data["region"],
        data=stored,
        fingerprint=fingerprint,
        request_key=key,
        language=language[:10],
        plans=plans,
        chunks_total=1,
    )
    progress_set(run, "queued", 0, plans)
    return run, True


def creation_execute(*, run_id: int) -> CampaignCreationRun:
    """Create the run's campaign, with the checks of `campaign_create` as its starter (who must still plan
    campaigns and see the region), against the confirmed preview; close the run, linked to the campaign, or failed
    with why. A run already over, or a delivery again of one whose campaign is committed, does nothing."""
    run = CampaignCreationRun.objects.select_related("triggered_by", "region").get(pk=run_id)
    if run.status != JobStatus.RUNNING:
        return run
    user = run.triggered_by
    with translation.override(run.language or settings.LANGUAGE_CODE):
        if user is None or not user.is_active:
            gone = _("The planner who confirmed the campaign is no longer active: nothing was created.")
            return creation_failed(run_id=run.pk, error=gone)
        try:
            with transaction.atomic():
                if not job_chunk_claim(run_model=CampaignCreationRun, run_id=run.pk, first_id=CHUNK):
                    return CampaignCreationRun.objects.get(pk=run.pk)

                def report(step: str, plans: int) -> None:
                    progress_set(run, step, plans, run.plans)

                campaign = campaign_create(
                    user=user, data=creation_data(run.data), expected=run.fingerprint, progress=report
                )
                # as many plans as previewed: the fingerprint pins the customers
                run.campaign, run.chunks_done = campaign, 1
                job_run_close(run, also=("campaign", "chunks_done"))
        except PreviewChanged as changed:
            return creation_failed(
                run_id=run.pk,
                error=_(
                    "The customers or the channel conflicts changed since the preview (%(then)s plans then, "
                    "%(now)s now): nothing was created. Preview the campaign again and confirm it."
                )
                % {"then": run.plans, "now": changed.preview.plans},
            )
        except (ValidationError, PermissionDenied) as refused:
            return creation_failed(run_id=run.pk, error=_refusal_text(refused))
    progress_set(run, "done", run.plans, run.plans)
    return run


def _refusal_text(error: ValidationError | PermissionDenied) -> str:
    if isinstance(error, PermissionDenied):
        return str(error) or _("You may not plan campaigns.")
    return " ".join(str(message) for message in error.messages) + " " + _("Nothing was created.")


@transaction.atomic
def creation_failed(*, run_id: int, error: str) -> CampaignCreationRun:
    """Fail a running run with `error` (nothing of its campaign was written: its transaction rolled back); the one
    who started it is told. A run over already is left as it is."""
    run = CampaignCreationRun.objects.select_for_update().get(pk=run_id)
    if run.status != JobStatus.RUNNING:
        return run
    run.errors = [*run.errors, {"error": error}]
    run.chunks_done = 1
    job_run_close(run, also=("errors", "chunks_done"))
    progress_set(run, "failed", 0, run.plans)
    return run


# -- progress: in the cache, since the campaign's transaction hides its rows until it commits ------------------------


PROGRESS = CachedProgress("campaigns:creation")


def progress_set(run: CampaignCreationRun, step: str, done: int = 0, total: int = 0) -> None:
    PROGRESS.set(run.pk, {"step": step, "done": done, "total": total})


def progress_of(run: CampaignCreationRun) -> dict[str, Any]:
    return PROGRESS.get(run.pk) or {"step": "queued", "done": 0, "total": run.plans}
