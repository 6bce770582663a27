"""Writes of customers' product holdings (SPEC §6.1)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.db import transaction

from accounts.models import Customer

from ..models import (
    CustomerProduct,
    Product,
)

if TYPE_CHECKING:
    from django.db.models import Field

HOLDING_FIELDS = ("active_users", "monthly_revenue", "subscribed_on", "last_used_on")


@transaction.atomic
def holding_set(*, customer: Customer, product: Product, data: dict[str, Any]) -> tuple[CustomerProduct, bool]:
    """Create or replace the customer's holding of the product; returns it and whether it is new."""
    holding = CustomerProduct.objects.select_for_update().filter(customer=customer, product=product).first()
    created = holding is None
    holding = holding or CustomerProduct(customer=customer, product=product)
    for name in HOLDING_FIELDS:
        # HOLDING_FIELDS are the holding's own columns, never a relation's reverse side.
        field = cast("Field[Any, Any]", CustomerProduct._meta.get_field(name))
        setattr(holding, name, data.get(name, field.get_default()))
    holding.full_clean()
    holding.save()
    return holding, created


@transaction.atomic
def holding_remove(*, customer: Customer, product: Product) -> bool:
    """The customer no longer holds the product (退订); returns whether it did."""
    deleted, _counts = CustomerProduct.objects.filter(customer=customer, product=product).delete()
    return bool(deleted)
