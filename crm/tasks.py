"""The ground floor's periodic housekeeping (scheduled in `crm.beat`)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from .idempotency import KEPT_FOR
from .models import IdempotencyRecord


@shared_task(name="crm.tasks.idempotency_keys_sweep")
def idempotency_keys_sweep() -> int:
    """Deletes the Idempotency-Key records past their day; returns how many."""
    deleted, _by_model = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - KEPT_FOR).delete()
    return deleted
