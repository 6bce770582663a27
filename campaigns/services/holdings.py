"""Writes of customers' product holdings (SPEC §6.1)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Customer
from crm import audit, versions
from crm.models import AuditAction, Partner, User
from crm.permissions import require

from ..models import (
    Channel,
    CustomerProduct,
    HoldingEnd,
    Product,
)
from ..models.channels import DIRECT, PARTNER
from .partners import refuse_idle_partner, refuse_unseen_partner

if TYPE_CHECKING:
    from django.db.models import Field

HOLDING_FIELDS = ("active_users", "monthly_revenue", "subscribed_on", "last_used_on")
# The sale's side of a holding (issue 20): the channel it came through and the partner credited with it.
SALE_FIELDS = ("channel", "partner")


def _sale(product: Product, data: dict[str, Any], on, user: User | None = None) -> tuple[Channel | str, Partner | None]:
    """The channel and partner of a holding as written: the direct sale unless said otherwise; a partner's sale
    names a partner the user sees (partner staff: their own company; the holding form offers no other) that works
    on the day and may sell the product, and only a partner's sale names one. None is the system (an import)."""
    channel = data.get("channel") or DIRECT
    partner = data.get("partner")
    if user is not None and user.is_partner_staff and channel in (DIRECT, None) and partner is None:
        channel, partner = PARTNER, user.partner  # what partner staff sell, their company sold
    code = channel.pk if isinstance(channel, Channel) else channel
    if code == PARTNER and partner is None:
        raise ValidationError({"partner": _("A sale through the partner channel names its partner.")})
    if code != PARTNER and partner is not None:
        raise ValidationError({"partner": _("Only a sale through the partner channel names a partner.")})
    if partner is not None and user is not None:
        refuse_unseen_partner(user, partner)
    if user is not None and user.is_partner_staff and (code != PARTNER or partner != user.partner):
        raise ValidationError({"channel": _("Partner staff record the sales of their own company.")})
    if partner is not None:
        refuse_idle_partner(partner, on=on)
        if not partner.products.filter(pk=product.pk).exists():
            raise ValidationError(
                {"partner": _("%(name)s may not sell %(product)s.") % {"name": partner.name, "product": product.name}}
            )
    return channel, partner


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
    before = {} if holding is None else audit.snapshot(holding, (*HOLDING_FIELDS, *SALE_FIELDS))
    holding = holding or CustomerProduct(customer=customer, product=product)
    for name in HOLDING_FIELDS:
        # HOLDING_FIELDS are the holding's own columns, never a relation's reverse side.
        field = cast("Field[Any, Any]", CustomerProduct._meta.get_field(name))
        setattr(holding, name, data.get(name, field.get_default()))
    channel, holding.partner = _sale(product, data, holding.subscribed_on or timezone.localdate(), user)
    if isinstance(channel, Channel):
        holding.channel = channel
    else:
        holding.channel_id = channel
    holding.full_clean()
    holding.save()
    if changes := audit.diff(before, audit.snapshot(holding, (*HOLDING_FIELDS, *SALE_FIELDS))):
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
    audit.record_deleted(user=user, obj=holding, fields=(*HOLDING_FIELDS, *SALE_FIELDS), customer=customer)
    HoldingEnd.objects.create(
        customer=customer,
        product=product,
        channel_id=holding.channel_id,
        partner_id=holding.partner_id,
        subscribed_on=holding.subscribed_on,
        ended_on=timezone.localdate(),
        ended_by=user,
    )
    holding.delete()
    return True
