"""Writes of campaigns, their plans and activities (SPEC §6.2)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Customer, CustomerStatus, Industry, Tier
from crm import audit, versions
from crm.bulk import BulkWriter, analyze_after_load
from crm.models import AuditAction, Region, User
from crm.permissions import may, require
from crm.visibility import filing_regions, territory_departments
from teams.models import TeamRole, TeamRoleKind, Visit

from ..models import (
    Activity,
    CallList,
    Campaign,
    CoverageThresholds,
    CustomerPlan,
    CustomerProduct,
    PlanStage,
    PlanStageChange,
    Product,
)
from ..notices import campaign_plans_notified, plan_owner_notified
from ..rules import COVERAGE_LABELS, COVERED, UNCOVERED, is_backwards
from ..selectors import Overlap, coverage_condition, holding_status, overlapping_campaigns

# A visit moves a plan to `visited` from these steps.
VISIT_MOVES = (PlanStage.SCREENED, PlanStage.OPPORTUNITY)


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


@dataclass
class CampaignPreview:
    """What creating a campaign would do, computed before anything is created: how many plans, and the campaigns
    (not cancelled) in an overlapping period that already work some of the same customers, with how many.
    `fingerprint` pins the customers and the overlaps: a confirmation made on a stale preview is refused."""

    plans: int
    overlaps: list[Overlap]
    fingerprint: str

    @property
    def conflicts(self) -> list[Overlap]:
        """The overlaps of other departments: channel conflicts (渠道冲突)."""
        return [overlap for overlap in self.overlaps if overlap.conflict]

    @property
    def same_department(self) -> list[Overlap]:
        return [overlap for overlap in self.overlaps if not overlap.conflict]


class PreviewChanged(ValidationError):
    """The campaign was not created: its plans or conflicts differ from the preview the user confirmed."""

    def __init__(self, preview: CampaignPreview) -> None:
        super().__init__(_("The numbers changed since the preview: nothing was created. Check them and confirm again."))
        self.preview = preview


@dataclass
class _Planned:
    campaign: Campaign
    products: list[Product]
    customers: list[int]
    preview: CampaignPreview


def _plan(*, user: User, data: dict[str, Any]) -> _Planned:
    """Check what the user asks for and find the customers it would plan: shared by the preview and the creation,
    so that both see the same thing."""
    require(user, "campaigns.plan")
    products = list(data.get("target_products") or [])
    if not products:
        raise ValidationError({"target_products": _("Name at least one target product.")})
    segment = _check_segment(data.get("segment") or {})
    region, department = data["region"], data.get("department") or user.department
    if department is None:
        raise ValidationError({"department": _("Name the department that owns the campaign.")})
    if not filing_regions(user).filter(pk=region.pk).exists():
        raise ValidationError({"region": _("The region lies outside your territory.")})
    if not territory_departments(user).filter(pk=department.pk).exists():
        raise ValidationError({"department": _("The department lies outside your territory.")})
    campaign = Campaign(
        name=data["name"],
        kind=data["kind"],
        department=department,
        region=region,
        starts_on=data["starts_on"],
        ends_on=data["ends_on"],
        segment=segment,
        goal_openings=data.get("goal_openings"),
        goal_revenue=data.get("goal_revenue"),
        created_by=user,
    )
    campaign.full_clean()
    matching = Customer.objects.visible_to(user).filter(
        _segment_condition(segment, products), region__path__startswith=region.path
    )
    customers = sorted(matching.values_list("pk", flat=True))
    overlaps = (
        overlapping_campaigns(
            user,
            customers=matching,
            starts_on=campaign.starts_on,
            ends_on=campaign.ends_on,
            department=department,
            product_codes=[product.code for product in products],
        )
        if customers
        else []
    )
    digest = hashlib.sha256()
    digest.update(",".join(map(str, customers)).encode())
    digest.update(b"|" + ",".join(f"{o.campaign.pk}:{o.customers}" for o in sorted(overlaps, key=_by_pk)).encode())
    preview = CampaignPreview(plans=len(customers), overlaps=overlaps, fingerprint=digest.hexdigest()[:32])
    return _Planned(campaign=campaign, products=products, customers=customers, preview=preview)


def _by_pk(overlap: Overlap) -> int:
    return overlap.campaign.pk


def campaign_preview(*, user: User, data: dict[str, Any]) -> CampaignPreview:
    """What `campaign_create` would do with `data`, checked the same way, creating nothing: the plan count and the
    campaigns working the same customers in an overlapping period (SPEC §6.2), with their overlap counts."""
    return _plan(user=user, data=data).preview


# A campaign's plans are reported written (`campaign_create`'s `progress`) every this many.
PROGRESS_EVERY = 50_000

# What `campaign_create` tells its `progress`: a step ("planning", "writing", "recording") and the plans so far.
ProgressHook = Callable[[str, int], None]


@transaction.atomic
def campaign_create(
    *, user: User, data: dict[str, Any], expected: str | None = None, progress: ProgressHook | None = None
) -> Campaign:
    """Create a campaign and one plan per matching customer the user sees (一户一案, SPEC §6.2): its gap products
    (the targets it is not covered in), an objective, its customer manager as owner, at `screened`. A segment that
    matches nobody creates nothing. With `expected` (the fingerprint of the preview the user confirmed), a campaign
    whose customers or conflicts changed meanwhile is not created (PreviewChanged, carrying the new preview).
    `progress(step, plans)` hears how far it got (a background creation shows it: `campaigns.services.creations`)."""
    report = progress or _no_progress
    report("planning", 0)
    planned = _plan(user=user, data=data)
    campaign, products, customers = planned.campaign, planned.products, planned.customers
    if not customers:
        raise ValidationError({"segment": _("The segment matches no customer in the region: nothing was created.")})
    if expected is not None and expected != planned.preview.fingerprint:
        raise PreviewChanged(planned.preview)
    region = campaign.region
    campaign.save()
    campaign.target_products.set(products)
    _create_plans(campaign, customers, products, report)
    report("recording", len(customers))
    audit.record(
        user=user,
        action=AuditAction.CREATE,
        obj=campaign,
        region_path=region.path,
        changes=audit.diff({}, audit.snapshot(campaign, CAMPAIGN_FIELDS)),
        detail={"plans": len(customers)},
    )
    _plans_audited(user=user, campaign=campaign)
    campaign_plans_notified(by=user, campaign=campaign)
    return campaign


def _no_progress(step: str, plans: int) -> None:
    """Nobody follows the creation."""


def campaign_may_cancel(user: User, campaign: Campaign) -> bool:
    """Those who plan campaigns (department heads, provincial staff, headquarters) cancel those of the departments
    of their territory."""
    return may(user, "campaigns.plan") and territory_departments(user).filter(pk=campaign.department_id).exists()


@transaction.atomic
def campaign_cancel(*, user: User, campaign: Campaign, reason: str) -> Campaign:
    """Cancel a campaign (取消): its plans are kept, closed (read-only, off the lists of work, no longer a channel
    conflict), its open call lists closed; with a reason, in the audit trail and in each customer's history."""
    if not campaign_may_cancel(user, campaign):
        raise PermissionDenied(_("Only department heads and provincial staff of its territory cancel a campaign."))
    # the row locked: two cancellations, or a cancellation and a call list being built, follow one another
    stored = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if stored.is_cancelled:
        raise ValidationError(_("The campaign is already cancelled."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for cancelling the campaign.")})
    if len(reason) > 200:
        raise ValidationError({"reason": _("The reason is at most 200 characters.")})
    now = timezone.now()
    campaign.cancelled_at, campaign.cancelled_by, campaign.cancel_reason = now, user, reason
    campaign.full_clean(exclude=["created_by", "department", "region", "cancelled_by"])
    campaign.save(update_fields=["cancelled_at", "cancelled_by", "cancel_reason"])
    lists = list(campaign.call_lists.filter(closed_at__isnull=True).values_list("pk", flat=True))
    CallList.objects.filter(pk__in=lists).update(closed_at=now)
    plans = campaign.plans.count()
    audit.record(
        user=user,
        action=AuditAction.UPDATE,
        obj=campaign,
        region_path=campaign.region.path,
        changes={"cancelled_at": [None, audit.plain(now)], "cancel_reason": ["", reason]},
        detail={"plans": plans, "call_lists_closed": lists},
    )
    _plans_closed_audited(user=user, campaign=campaign, reason=reason)
    return campaign


def _plans_closed_audited(*, user: User, campaign: Campaign, reason: str) -> None:
    """One entry per plan closed, in each customer's history: one INSERT … SELECT."""
    plan, customer, region = (
        connection.ops.quote_name(model._meta.db_table) for model in (CustomerPlan, Customer, Region)
    )
    closed = audit.changes_sql({"closed": ("NULL", "'cancelled'")})
    audit.record_select(
        user=user,
        action=AuditAction.UPDATE,
        object_type=CustomerPlan._meta.label_lower,
        select_sql=(
            f"SELECT CAST({plan}.id AS text) AS object_id, {customer}.name AS object_repr, "
            f"{customer}.id AS customer_id, {customer}.code AS customer_code, {region}.path AS region_path, "
            f"{closed} AS changes "
            f"FROM {plan} JOIN {customer} ON {customer}.id = {plan}.customer_id "
            f"JOIN {region} ON {region}.code = {customer}.region_id WHERE {plan}.campaign_id = %s"
        ),
        params=[campaign.pk],
        detail={"campaign": campaign.pk, "reason": reason},
    )


def _refuse_if_cancelled(campaign: Campaign) -> None:
    if campaign.is_cancelled:
        raise ValidationError(_("The campaign is cancelled: its plans are closed and read-only."))


CAMPAIGN_FIELDS = ("name", "kind", "department", "region", "starts_on", "ends_on", "segment")


def _plans_audited(*, user: User, campaign: Campaign) -> None:
    """One entry per plan created, in each customer's history: one INSERT … SELECT."""
    plan, customer, region = (
        connection.ops.quote_name(model._meta.db_table) for model in (CustomerPlan, Customer, Region)
    )
    stage = audit.changes_sql({"stage": ("NULL", f"{plan}.stage"), "owner_id": ("NULL", f"{plan}.owner_id")})
    audit.record_select(
        user=user,
        action=AuditAction.CREATE,
        object_type=CustomerPlan._meta.label_lower,
        select_sql=(
            f"SELECT CAST({plan}.id AS text) AS object_id, {customer}.name AS object_repr, "
            f"{customer}.id AS customer_id, {customer}.code AS customer_code, {region}.path AS region_path, "
            f"{stage} AS changes "
            f"FROM {plan} JOIN {customer} ON {customer}.id = {plan}.customer_id "
            f"JOIN {region} ON {region}.code = {customer}.region_id WHERE {plan}.campaign_id = %s"
        ),
        params=[campaign.pk],
        detail={"campaign": campaign.pk},
    )


def _create_plans(campaign: Campaign, customers: list[int], products: list[Product], report: ProgressHook) -> None:
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
    # A campaign over a province writes a couple of hundred thousand plans: rows are streamed (COPY on PostgreSQL)
    # rather than built as model instances, and the plans' ids read back once for their gap products.
    stamp = connection.ops.adapt_datetimefield_value(timezone.now())
    plans = BulkWriter(
        CustomerPlan._meta.db_table,
        ["campaign_id", "customer_id", "objective", "owner_id", "stage", "stage_changed_at"],
    )
    gaps = {}
    report("writing", 0)
    for count, customer_id in enumerate(customers, 1):
        gap = [p for p in products if statuses.get((customer_id, p.code), UNCOVERED) != COVERED]
        names = "、".join(p.name for p in (gap or products))
        objective = (_("Open or deepen: %(products)s") if gap else _("Keep and grow: %(products)s")) % {
            "products": names
        }
        plans.add((campaign.pk, customer_id, objective[:300], owners.get(customer_id), PlanStage.SCREENED, stamp))
        gaps[customer_id] = gap
        if count % PROGRESS_EVERY == 0:
            report("writing", count)
    plans.flush()
    report("writing", len(customers))
    links = BulkWriter(CustomerPlan.gap_products.through._meta.db_table, ["customerplan_id", "product_id"])
    for plan_id, customer_id in campaign.plans.values_list("pk", "customer_id").iterator(chunk_size=20_000):
        for product in gaps[customer_id]:
            links.add((plan_id, product.code))
    links.flush()
    analyze_after_load(CustomerPlan._meta.db_table, plans.written)
    analyze_after_load(CustomerPlan.gap_products.through._meta.db_table, links.written)


@transaction.atomic
def plan_stage_set(
    *,
    user: User,
    plan: CustomerPlan,
    stage: str,
    reason: str = "",
    visit: Visit | None = None,
    version: str | list[str] | None = None,
) -> CustomerPlan:
    """Move a plan to `stage`, keeping who, when and why (and the visit that moved it, if one did); a move back
    (or out of lost) needs a reason. With the `version` of the plan the caller saw, a move made on a plan changed
    meanwhile is refused (StaleVersion)."""
    # the plan as it is now, its row locked: two moves at once are made one after the other
    _refuse_if_cancelled(plan.campaign)
    stored = CustomerPlan.objects.select_for_update(of=("self",)).get(pk=plan.pk)
    versions.check(stored, version, fields=["stage"], customer_id=stored.customer_id)
    plan.stage = stored.stage
    if stage == plan.stage:
        return plan
    reason = reason.strip()
    if is_backwards(plan.stage, stage) and not reason:
        raise ValidationError({"reason": _("Moving a plan back needs a reason.")})
    PlanStageChange.objects.create(
        plan=plan, from_stage=plan.stage, to_stage=stage, reason=reason, changed_by=user, visit=visit
    )
    before = plan.stage
    plan.stage, plan.stage_changed_by, plan.stage_changed_at = stage, user, timezone.now()
    plan.full_clean(exclude=["campaign", "customer", "owner", "stage_changed_by"])
    plan.save(update_fields=["stage", "stage_changed_by", "stage_changed_at"])
    audit.record(
        user=user,
        action=AuditAction.UPDATE,
        obj=plan,
        customer=plan.customer,
        object_repr=f"{plan.customer.name} · {plan.campaign_id}",
        changes={"stage": [before, stage]},
        detail={"reason": reason} if reason else {},
    )
    return plan


@transaction.atomic
def plan_update(
    *, user: User, plan: CustomerPlan, data: dict[str, Any], version: str | list[str] | None = None
) -> CustomerPlan:
    """Change a plan: its stage (with `reason` for a move back), its gap products (the campaign's target products
    only) and its owner (department heads and provincial staff only; someone who sees the customer under SPEC §2,
    so that the plan is on their lists). The plan's row is locked, so changes follow one another; with the
    `version` the caller read, a change made on a stale plan is refused (StaleVersion)."""
    _refuse_if_cancelled(plan.campaign)
    stored = CustomerPlan.objects.select_for_update(of=("self",)).get(pk=plan.pk)
    versions.check(
        stored, version, fields=[name for name in ("stage", "owner") if name in data], customer_id=stored.customer_id
    )
    versions.copy_stored(stored, plan)
    before = {"owner": plan.owner.username if plan.owner is not None else None, "gap_products": plan_gap_codes(plan)}
    if "gap_products" in data:
        targets = set(plan.campaign.target_products.values_list("code", flat=True))
        strangers = sorted(product.code for product in data["gap_products"] if product.code not in targets)
        if strangers:
            raise ValidationError(
                {
                    "gap_products": _("%(codes)s is not a target product of the campaign.")
                    % {"codes": ", ".join(strangers)}
                }
            )
        plan.gap_products.set(data["gap_products"])
    if "owner" in data and data["owner"] != plan.owner:
        owner = data["owner"]
        require(user, "campaigns.hand_over_plan")
        if owner is not None and not (
            owner.is_active and Customer.objects.visible_to(owner).filter(pk=plan.customer_id).exists()
        ):
            raise ValidationError(
                {
                    "owner": _("%(name)s does not see this customer: put them on its team first.")
                    % {"name": owner.display_name}
                }
            )
        plan.owner = owner
        plan.save(update_fields=["owner"])
        plan_owner_notified(by=user, plan=plan)
    after = {"owner": plan.owner.username if plan.owner is not None else None, "gap_products": plan_gap_codes(plan)}
    if changes := audit.diff(before, after):
        audit.record(user=user, action=AuditAction.UPDATE, obj=plan, customer=plan.customer, changes=changes)
    if data.get("stage"):
        plan_stage_set(user=user, plan=plan, stage=data["stage"], reason=data.get("reason", ""))
    return plan


def plan_gap_codes(plan: CustomerPlan) -> list[str]:
    return sorted(plan.gap_products.values_list("code", flat=True))


def plans_advance_by_visit(*, user: User, visit: Visit, plans: list[CustomerPlan]) -> None:
    """A logged visit moves the customer's plans it was made for to `visited` (SPEC §6.2). Only plans of the
    visited customer that have not reached that step; called inside the visit's transaction, so an error saves
    neither."""
    for plan in plans:
        if plan.customer_id != visit.customer_id:
            raise ValidationError({"plans": _("The plan is for another customer.")})
        campaign = plan.campaign
        if not campaign.starts_on <= timezone.localdate(visit.visited_at) <= campaign.ends_on:
            raise ValidationError(
                {"plans": _("The visit is outside the period of %(campaign)s.") % {"campaign": campaign.name}}
            )
        if plan.stage not in VISIT_MOVES:
            raise ValidationError(
                {"plans": _("The plan of %(campaign)s is past the visit step.") % {"campaign": plan.campaign}}
            )
        plan_stage_set(user=user, plan=plan, stage=PlanStage.VISITED, visit=visit)


@transaction.atomic
def activity_record(*, user: User, data: dict[str, Any]) -> Activity:
    """Record a site activity (现场活动): any member of staff, for a department in their territory; an activity of
    a campaign belongs to the campaign's department."""
    data = dict(data)
    staff = data.pop("staff", None)
    if data.get("channel") is None:
        data.pop("channel", None)  # the direct channel, the model's default
    activity = Activity(created_by=user)
    for field, value in data.items():
        setattr(activity, field, value)
    if activity.campaign is not None:
        activity.department = activity.campaign.department
    department = activity.department if activity.department_id else user.department
    if department is None:
        raise ValidationError({"department": _("Name the department that held the activity.")})
    activity.department = department
    if not territory_departments(user).filter(pk=activity.department.pk).exists():
        raise ValidationError({"department": _("The department lies outside your territory.")})
    if activity.held_on and activity.held_on > timezone.localdate():
        raise ValidationError({"held_on": _("Record an activity once it has taken place.")})
    activity.full_clean(exclude=["created_by"])
    activity.save()
    if staff is not None:
        activity.staff.set(staff)
    facts = audit.snapshot(activity, [field.name for field in Activity._meta.concrete_fields if field.name != "id"])
    audit.record(
        user=user,
        action=AuditAction.CREATE,
        obj=activity,
        region_path=activity.department.region.path,
        changes=audit.diff({}, {**facts, "staff": sorted(member.username for member in staff or [])}),
    )
    return activity
