"""Writes of partner companies (issue 20): registered and kept by provincial staff and headquarters, each write in
the audit trail."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from crm import audit
from crm.models import AuditAction, Partner, User
from crm.permissions import require
from crm.visibility import filing_regions

PARTNER_FIELDS = ("name", "uscc", "kinds", "region", "contract_starts_on", "contract_ends_on", "status")


def _snapshot(partner: Partner) -> dict[str, Any]:
    facts = audit.snapshot(partner, PARTNER_FIELDS)
    facts["products"] = sorted(partner.products.values_list("code", flat=True)) if partner.pk else []
    return facts


def _apply(user: User, partner: Partner, data: dict[str, Any]) -> None:
    products = data.pop("products", None)
    for name, value in data.items():
        setattr(partner, name, value)
    if "region" in data and not filing_regions(user).filter(pk=partner.region_id).exists():
        raise ValidationError({"region": _("A partner's territory lies within yours.")})
    partner.full_clean()
    partner.save()
    if products is not None:
        partner.products.set(products)


@transaction.atomic
def partner_create(*, user: User, data: dict[str, Any]) -> Partner:
    require(user, "partners.manage")
    partner = Partner()
    _apply(user, partner, dict(data))
    audit.record(
        user=user,
        action=AuditAction.CREATE,
        obj=partner,
        region_path=partner.region.path,
        changes=audit.diff({}, _snapshot(partner)),
    )
    return partner


@transaction.atomic
def partner_update(*, user: User, partner: Partner, data: dict[str, Any]) -> Partner:
    require(user, "partners.change", partner)
    partner = Partner.objects.select_for_update().get(pk=partner.pk)
    before = _snapshot(partner)
    _apply(user, partner, dict(data))
    require(user, "partners.change", partner)  # moved within the territory only
    changes = audit.diff(before, _snapshot(partner))
    if changes:
        audit.record(
            user=user, action=AuditAction.UPDATE, obj=partner, region_path=partner.region.path, changes=changes
        )
    return partner
