"""The night's gap matrix per region (`CoverageCount`, SPEC §6.1): what the gap matrix page adds up."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone

from accounts.models import Customer, CustomerStatus

from ..models import CoverageCount, CoverageThresholds, CustomerProduct, Product
from ..rules import COVERED, FAKE, THIN, UNCOVERED
from ..selectors import holding_status


@transaction.atomic
def coverage_snapshot(today: datetime.date | None = None) -> int:
    """Count, per region, the active customers uncovered, fake, thin and covered for every product, as of now, in
    place of the last night's counts at once; returns the rows written (counts of zero are not written). Two
    grouped queries: the active customers per region, their holdings per region, product and status."""
    today = today or timezone.localdate()
    computed_at = timezone.now()
    active = Customer.objects.filter(status=CustomerStatus.ACTIVE)
    totals = dict(active.order_by().values_list("region_id").annotate(n=Count("pk")))
    held: dict[tuple[str, str, str], int] = {}
    grouped = (
        CustomerProduct.objects.filter(customer__status=CustomerStatus.ACTIVE)
        .annotate(coverage=holding_status(CoverageThresholds.current(), today, F("customer__handset_count")))
        .values_list("customer__region_id", "product_id", "coverage")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for region, product, status, n in grouped:
        held[(region, product, status)] = n
    rows = []
    for product in Product.objects.order_by("code").values_list("code", flat=True):
        for region, total in totals.items():
            counts = {status: held.get((region, product, status), 0) for status in (FAKE, THIN, COVERED)}
            counts[UNCOVERED] = total - sum(counts.values())
            rows += [
                CoverageCount(region_id=region, product_id=product, status=status, customers=n, computed_at=computed_at)
                for status, n in counts.items()
                if n
            ]
    CoverageCount.objects.all().delete()
    CoverageCount.objects.bulk_create(rows, batch_size=5_000)
    return len(rows)
