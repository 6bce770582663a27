"""Writes of products and holdings. Views, serializers, admin, commands and tasks call these."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Customer
from crm.models import User

from .models import CustomerProduct, DoNotCall, Product

HOLDING_FIELDS = ("active_users", "monthly_revenue", "subscribed_on", "last_used_on")


@transaction.atomic
def holding_set(*, customer: Customer, product: Product, data: dict[str, Any]) -> tuple[CustomerProduct, bool]:
    """Create or replace the customer's holding of the product; returns it and whether it is new."""
    holding = CustomerProduct.objects.select_for_update().filter(customer=customer, product=product).first()
    created = holding is None
    holding = holding or CustomerProduct(customer=customer, product=product)
    for name in HOLDING_FIELDS:
        setattr(holding, name, data.get(name, CustomerProduct._meta.get_field(name).get_default()))
    holding.full_clean()
    holding.save()
    return holding, created


@transaction.atomic
def holding_remove(*, customer: Customer, product: Product) -> bool:
    """The customer no longer holds the product (退订); returns whether it did."""
    deleted, _counts = CustomerProduct.objects.filter(customer=customer, product=product).delete()
    return bool(deleted)


@transaction.atomic
def do_not_call_add(*, user: User, mobile: str, reason: str) -> tuple[DoNotCall, bool]:
    """Put a number on the do-not-call list at once; returns the entry and whether it is new (a number already on
    the list keeps its first entry)."""
    mobile = mobile.strip()
    existing = DoNotCall.objects.filter(mobile=mobile).first()
    if existing is not None:
        return existing, False
    entry = DoNotCall(mobile=mobile, reason=reason.strip(), added_by=user)
    entry.full_clean()
    entry.save()
    return entry, True


@transaction.atomic
def do_not_call_remove(*, user: User, mobile: str) -> bool:
    """Take a number off the list: provincial staff and headquarters only."""
    if not user.is_provincial_or_above:
        raise PermissionDenied(_("Only provincial staff take a number off the do-not-call list."))
    deleted, _counts = DoNotCall.objects.filter(mobile=mobile.strip()).delete()
    return bool(deleted)
