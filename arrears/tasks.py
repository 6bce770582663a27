"""The arrears app's nightly job (crm/beat.py names it)."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction

from crm import audit
from crm.models import AuditSource

from .services import arrears_cases_sync


@shared_task(name="arrears.tasks.arrears_cases_nightly", acks_late=True)
def arrears_cases_nightly() -> dict[str, int]:
    """Every customer's collection case against its arrears as last billed and the thresholds and tiers of tonight
    (a threshold lowered, a tier raised: cases open; paid arrears: they close), before the KPIs count them. Running it
    twice changes nothing the second time."""
    with audit.through(AuditSource.JOB), transaction.atomic():
        synced = arrears_cases_sync()
    return {"opened": synced.opened, "closed": synced.closed, "updated": synced.updated}
