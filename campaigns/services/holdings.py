"""Writes of customers' product holdings (SPEC §6.1)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.db import transaction

from accounts.models import Customer
from crm import audit, versions
from crm.models import AuditAction, User
from crm.permissions import require

from ..models import (
    CustomerProduct,
    Product,
)

if TYPE_CHECKING:
    from django.db.models import Field

HOLDING_FIELDS = ("active_users", "monthly_revenue", "subscribed_on", "last_used_on")


def _require_holdings_right(user: User | None, customer: Customer) -> None:
    """Refused unless `user` keeps the customer's records; None is the system (an import), checked before."""
    if user is not None:
        require(user, "campaigns.change_holdings", customer)


@transaction.atomic
def holding_set(
    *,
    customer: Customer,
    product: Product,
    data: dict[str, Any],
    user: User | None = None,
    version: str | list[str] | None = None,
) -> tuple[CustomerProduct, bool]:
    """Create or replace the customer's holding of the product; returns it and whether it is new. With the
    `version` the caller read, a replacement made on a stale holding is refused (StaleVersion)."""
    _require_holdings_right(user, customer)
    holding = CustomerProduct.objects.select_for_update().filter(customer=customer, product=product).first()
    created = holding is None
    if holding is not None:
        versions.check(
            holding, version, fields=[name for name in HOLDING_FIELDS if name in data], customer_id=customer.pk
        )
    before = {} if holding is None else audit.snapshot(holding, HOLDING_FIELDS)
    holding = holding or CustomerProduct(customer=customer, product=product)
    for name in HOLDING_FIELDS:
        # HOLDING_FIELDS are the holding's own columns, never a relation's reverse side.
        field = cast("Field[Any, Any]", CustomerProduct._meta.get_field(name))
        setattr(holding, name, data.get(name, field.get_default()))
    holding.full_clean()
    holding.save()
    if changes := audit.diff(before, audit.snapshot(holding, HOLDING_FIELDS)):
        action = AuditAction.CREATE if created else AuditAction.UPDATE
        audit.record(user=user, action=action, obj=holding, customer=customer, changes=changes)
    return holding, created


@transaction.atomic
def holding_remove(
    *, customer: Customer, product: Product, user: User | None = None, version: str | list[str] | None = None
) -> bool:
    """The customer no longer holds the product (退订); returns whether it did. With the `version` the caller read,
    ending a holding changed meanwhile is refused (StaleVersion)."""
    _require_holdings_right(user, customer)
    holding = CustomerProduct.objects.select_for_update().filter(customer=customer, product=product).first()
    if holding is None:
        return False
    versions.check(holding, version, customer_id=customer.pk)
    audit.record_deleted(user=user, obj=holding, fields=HOLDING_FIELDS, customer=customer)
    holding.delete()
    return True
