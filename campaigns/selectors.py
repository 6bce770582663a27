"""Reads of products, holdings and coverage. Customers are looked up within `visible_customers` by the caller."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Customer

from .models import CoverageThresholds, CustomerProduct, Product
from .rules import COVERAGE_LABELS, coverage_status


def products() -> QuerySet[Product]:
    """The catalogue as it is offered: products on sale, in their order."""
    return Product.objects.filter(is_active=True)


@dataclass
class Coverage:
    product: Product
    holding: CustomerProduct | None
    status: str

    @property
    def label(self) -> str:
        return COVERAGE_LABELS[self.status]


def customer_coverage(customer: Customer, today: datetime.date | None = None) -> list[Coverage]:
    """The customer's coverage of every product on sale, and of any it still holds that is off sale (SPEC §6.1)."""
    today = today or timezone.localdate()
    thresholds = CoverageThresholds.current()
    holdings = {h.product_id: h for h in customer.holdings.select_related("product")}
    catalogue = list(products())
    catalogue += [h.product for code, h in holdings.items() if code not in {p.code for p in catalogue}]
    return [
        Coverage(
            product,
            holdings.get(product.code),
            coverage_status(
                per_member=product.per_member,
                holding=holdings[product.code].facts() if product.code in holdings else None,
                handset_count=customer.handset_count,
                today=today,
                thresholds=thresholds,
            ),
        )
        for product in catalogue
    ]
