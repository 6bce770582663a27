"""Background jobs over customer data."""

from __future__ import annotations

from celery import group, shared_task
from django.db import OperationalError, transaction
from django.db.models import Max, Min, Q

from .models import GroupMember
from .rules import VIP_THRESHOLDS

VIP_CHUNK_SIZE = 50_000


def vip_level_conditions() -> list[tuple[str | None, Q]]:
    """For each VIP level, the ARPU range that earns it, built from the same thresholds as `vip_level_for`."""
    conditions: list[tuple[str | None, Q]] = []
    upper = None
    for level, threshold in VIP_THRESHOLDS:
        condition = Q(arpu__gte=threshold) if upper is None else Q(arpu__gte=threshold, arpu__lt=upper)
        conditions.append((level, condition))
        upper = threshold
    conditions.append((None, Q(arpu__lt=upper)))
    return conditions


def vip_levels_apply(first_id: int, last_id: int) -> int:
    """Set-based recompute of group members' VIP levels for one id range; touches only rows that differ."""
    members = GroupMember.objects.filter(id__gte=first_id, id__lte=last_id)
    changed = 0
    with transaction.atomic():
        for level, condition in vip_level_conditions():
            stale = members.filter(condition)
            stale = stale.filter(vip_level__isnull=False) if level is None else stale.exclude(vip_level=level)
            changed += stale.update(vip_level=level)
    return changed


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_kwargs={"max_retries": 3},
    time_limit=15 * 60,
    soft_time_limit=14 * 60,
)
def vip_levels_recompute_chunk(first_id: int, last_id: int) -> int:
    return vip_levels_apply(first_id, last_id)


@shared_task
def vip_levels_recompute(chunk_size: int = VIP_CHUNK_SIZE) -> int:
    """Fan the recompute out over id ranges so several workers can share it; returns the number of chunks."""
    bounds = GroupMember.objects.aggregate(first=Min("id"), last=Max("id"))
    if bounds["first"] is None:
        return 0
    chunks = [
        vip_levels_recompute_chunk.s(start, min(start + chunk_size - 1, bounds["last"]))
        for start in range(bounds["first"], bounds["last"] + 1, chunk_size)
    ]
    group(chunks).apply_async()
    return len(chunks)
