"""Writes of products and holdings. Views, serializers, admin, commands and tasks call these."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Customer, CustomerStatus, Industry, Tier
from crm.models import User
from crm.visibility import filing_regions, visible_customers
from teams.models import TeamRole, TeamRoleKind

from .models import (
    Campaign,
    CoverageThresholds,
    CustomerPlan,
    CustomerProduct,
    DoNotCall,
    PlanStageChange,
    Product,
)
from .rules import COVERAGE_LABELS, COVERED, UNCOVERED, is_backwards
from .selectors import coverage_condition, holding_status

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


SEGMENT_KEYS = ("tiers", "industries", "coverage")


def _segment_condition(segment: dict, products: list[Product]) -> Q:
    condition = Q(status=CustomerStatus.ACTIVE)
    if segment.get("tiers"):
        condition &= Q(tier__in=segment["tiers"])
    if segment.get("industries"):
        condition &= Q(industry_id__in=segment["industries"])
    if segment.get("coverage"):
        any_gap = Q(pk__in=[])
        for product in products:
            for status in segment["coverage"]:
                any_gap |= coverage_condition(product, status)
        condition &= any_gap
    return condition


def _check_segment(segment: dict) -> dict:
    unknown = set(segment) - set(SEGMENT_KEYS)
    if unknown:
        raise ValidationError({"segment": _("Unknown segment keys: %(keys)s.") % {"keys": ", ".join(sorted(unknown))}})
    bad_tiers = set(segment.get("tiers") or []) - set(Tier.values)
    bad_coverage = set(segment.get("coverage") or []) - set(COVERAGE_LABELS)
    known = set(Industry.objects.filter(code__in=segment.get("industries") or []).values_list("code", flat=True))
    bad_industries = set(segment.get("industries") or []) - known
    for key, bad in (("tiers", bad_tiers), ("industries", bad_industries), ("coverage", bad_coverage)):
        if bad:
            raise ValidationError(
                {"segment": _("Unknown %(key)s: %(values)s.") % {"key": key, "values": ", ".join(sorted(bad))}}
            )
    return {key: list(segment.get(key) or []) for key in SEGMENT_KEYS}


@transaction.atomic
def campaign_create(*, user: User, data: dict[str, Any]) -> Campaign:
    """Create a campaign and one plan per matching customer the user sees (一户一案, SPEC §6.2): its gap products
    (the targets it is not covered in), an objective, its customer manager as owner, at `screened`. A segment that
    matches nobody creates nothing."""
    if not user.may_manage_teams:
        raise PermissionDenied(_("Campaigns are planned by department heads and provincial staff."))
    products = list(data.get("target_products") or [])
    if not products:
        raise ValidationError({"target_products": _("Name at least one target product.")})
    segment = _check_segment(data.get("segment") or {})
    region, department = data["region"], data.get("department") or user.department
    if department is None:
        raise ValidationError({"department": _("Name the department that owns the campaign.")})
    territory = filing_regions(user)
    if not territory.filter(pk=region.pk).exists():
        raise ValidationError({"region": _("The region lies outside your territory.")})
    if not territory.filter(pk=department.region_id).exists():
        raise ValidationError({"department": _("The department lies outside your territory.")})
    campaign = Campaign(
        name=data["name"],
        kind=data["kind"],
        department=department,
        region=region,
        starts_on=data["starts_on"],
        ends_on=data["ends_on"],
        segment=segment,
        created_by=user,
    )
    campaign.full_clean()
    customers = list(
        visible_customers(user)
        .filter(_segment_condition(segment, products), region__path__startswith=region.path)
        .values_list("pk", flat=True)
    )
    if not customers:
        raise ValidationError({"segment": _("The segment matches no customer in the region: nothing was created.")})
    campaign.save()
    campaign.target_products.set(products)
    _create_plans(campaign, customers, products)
    return campaign


def _create_plans(campaign: Campaign, customers: list[int], products: list[Product]) -> None:
    today = timezone.localdate()
    statuses = {
        (row["customer_id"], row["product_id"]): row["coverage"]
        for row in CustomerProduct.objects.filter(customer_id__in=customers, product__in=products)
        .annotate(coverage=holding_status(CoverageThresholds.current(), today, F("customer__handset_count")))
        .values("customer_id", "product_id", "coverage")
    }
    owners = dict(
        TeamRole.objects.active(today)
        .filter(customer_id__in=customers, role=TeamRoleKind.CUSTOMER_MANAGER)
        .values_list("customer_id", "user_id")
    )
    plans, gaps = [], {}
    for customer_id in customers:
        gap = [p for p in products if statuses.get((customer_id, p.code), UNCOVERED) != COVERED]
        names = "、".join(p.name for p in (gap or products))
        objective = (_("Open or deepen: %(products)s") if gap else _("Keep and grow: %(products)s")) % {
            "products": names
        }
        plans.append(
            CustomerPlan(
                campaign=campaign, customer_id=customer_id, objective=objective[:300], owner_id=owners.get(customer_id)
            )
        )
        gaps[customer_id] = gap
    created = CustomerPlan.objects.bulk_create(plans, batch_size=2000)
    links = [
        CustomerPlan.gap_products.through(customerplan_id=plan.pk, product_id=product.code)
        for plan in created
        for product in gaps[plan.customer_id]
    ]
    CustomerPlan.gap_products.through.objects.bulk_create(links, batch_size=5000)


@transaction.atomic
def plan_stage_set(*, user: User, plan: CustomerPlan, stage: str, reason: str = "") -> CustomerPlan:
    """Move a plan to `stage`, keeping who and when; a move back (or out of lost) needs a reason."""
    if stage == plan.stage:
        return plan
    reason = reason.strip()
    if is_backwards(plan.stage, stage) and not reason:
        raise ValidationError({"reason": _("Moving a plan back needs a reason.")})
    PlanStageChange.objects.create(plan=plan, from_stage=plan.stage, to_stage=stage, reason=reason, changed_by=user)
    plan.stage, plan.stage_changed_by, plan.stage_changed_at = stage, user, timezone.now()
    plan.full_clean()
    plan.save(update_fields=["stage", "stage_changed_by", "stage_changed_at"])
    return plan
