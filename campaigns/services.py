"""Writes of products and holdings. Views, serializers, admin, commands and tasks call these."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Customer, CustomerStatus, GroupMember, Industry, KeyPerson, Tier
from crm.bulk import BulkWriter, analyze_after_load
from crm.models import Role, User
from crm.visibility import filing_regions, visible_customers
from teams.models import TeamRole, TeamRoleKind, Visit

from .models import (
    FINAL_OUTCOMES,
    MAX_ATTEMPTS,
    Activity,
    CallAttempt,
    CallEntry,
    CallList,
    CallOutcome,
    CallSource,
    Campaign,
    CoverageThresholds,
    CustomerPlan,
    CustomerProduct,
    DoNotCall,
    PlanStage,
    PlanStageChange,
    Product,
)
from .rules import COVERAGE_LABELS, COVERED, UNCOVERED, is_backwards
from .selectors import coverage_condition, holding_status

# A visit moves a plan to `visited` from these steps.
VISIT_MOVES = (PlanStage.SCREENED, PlanStage.OPPORTUNITY)
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


# Additions to the do-not-call list and builds of call lists take turns (a transaction-scoped PostgreSQL advisory
# lock; SQLite writes one at a time anyway): a build reads the list and writes its entries while no number can go on
# it, and an addition then removes the number from every list built before it.
DO_NOT_CALL_LOCK = 630_003


def _do_not_call_turn() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [DO_NOT_CALL_LOCK])


@transaction.atomic
def do_not_call_add(*, user: User, mobile: str, reason: str) -> tuple[DoNotCall, bool]:
    """Put a number on the do-not-call list at once, and take it off every open call list of every campaign (the
    calls made stay); returns the entry and whether it is new (a number already on the list keeps its first entry)."""
    mobile = mobile.strip()
    _do_not_call_turn()
    existing = DoNotCall.objects.filter(mobile=mobile).first()
    if existing is not None:
        _off_open_call_lists(mobile)  # a list built while the number went on might still hold it
        return existing, False
    entry = DoNotCall(mobile=mobile, reason=reason.strip(), added_by=user)
    entry.full_clean()
    entry.save()
    _off_open_call_lists(mobile)
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
        goal_openings=data.get("goal_openings"),
        goal_revenue=data.get("goal_revenue"),
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
    # A campaign over a province writes a couple of hundred thousand plans: rows are streamed (COPY on PostgreSQL)
    # rather than built as model instances, and the plans' ids read back once for their gap products.
    stamp = connection.ops.adapt_datetimefield_value(timezone.now())
    plans = BulkWriter(
        CustomerPlan._meta.db_table,
        ["campaign_id", "customer_id", "objective", "owner_id", "stage", "stage_changed_at"],
    )
    gaps = {}
    for customer_id in customers:
        gap = [p for p in products if statuses.get((customer_id, p.code), UNCOVERED) != COVERED]
        names = "、".join(p.name for p in (gap or products))
        objective = (_("Open or deepen: %(products)s") if gap else _("Keep and grow: %(products)s")) % {
            "products": names
        }
        plans.add((campaign.pk, customer_id, objective[:300], owners.get(customer_id), PlanStage.SCREENED, stamp))
        gaps[customer_id] = gap
    plans.flush()
    links = BulkWriter(CustomerPlan.gap_products.through._meta.db_table, ["customerplan_id", "product_id"])
    for plan_id, customer_id in campaign.plans.values_list("pk", "customer_id").iterator(chunk_size=20_000):
        for product in gaps[customer_id]:
            links.add((plan_id, product.code))
    links.flush()
    analyze_after_load(CustomerPlan._meta.db_table, plans.written)
    analyze_after_load(CustomerPlan.gap_products.through._meta.db_table, links.written)


@transaction.atomic
def plan_stage_set(
    *, user: User, plan: CustomerPlan, stage: str, reason: str = "", visit: Visit | None = None
) -> CustomerPlan:
    """Move a plan to `stage`, keeping who, when and why (and the visit that moved it, if one did); a move back
    (or out of lost) needs a reason."""
    # the stage as it is now, the plan's row locked: two moves at once are made one after the other
    plan.stage = CustomerPlan.objects.select_for_update().values_list("stage", flat=True).get(pk=plan.pk)
    if stage == plan.stage:
        return plan
    reason = reason.strip()
    if is_backwards(plan.stage, stage) and not reason:
        raise ValidationError({"reason": _("Moving a plan back needs a reason.")})
    PlanStageChange.objects.create(
        plan=plan, from_stage=plan.stage, to_stage=stage, reason=reason, changed_by=user, visit=visit
    )
    plan.stage, plan.stage_changed_by, plan.stage_changed_at = stage, user, timezone.now()
    plan.full_clean(exclude=["campaign", "customer", "owner", "stage_changed_by"])
    plan.save(update_fields=["stage", "stage_changed_by", "stage_changed_at"])
    return plan


@transaction.atomic
def plan_update(*, user: User, plan: CustomerPlan, data: dict[str, Any]) -> CustomerPlan:
    """Change a plan: its stage (with `reason` for a move back), its gap products (the campaign's target products
    only) and its owner (department heads and provincial staff only; someone who sees the customer under SPEC §2,
    so that the plan is on their lists)."""
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
        if not user.may_manage_teams:
            raise PermissionDenied(_("Only department heads and provincial staff hand a plan to another owner."))
        if owner is not None and not (
            owner.is_active and visible_customers(owner).filter(pk=plan.customer_id).exists()
        ):
            raise ValidationError(
                {
                    "owner": _("%(name)s does not see this customer: put them on its team first.")
                    % {"name": owner.display_name}
                }
            )
        plan.owner = owner
        plan.save(update_fields=["owner"])
    if data.get("stage"):
        plan_stage_set(user=user, plan=plan, stage=data["stage"], reason=data.get("reason", ""))
    return plan


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
def activity_record(*, user: User, data: dict[str, Any], activity: Activity | None = None) -> Activity:
    """Record (or correct) a site activity (现场活动): a department's own, in the recorder's territory; an activity of
    a campaign belongs to the campaign's department."""
    if not user.may_manage_teams and user.role != Role.ACCOUNT_MANAGER:
        raise PermissionDenied(_("You may not record activities."))
    data = dict(data)
    staff = data.pop("staff", None)
    activity = activity or Activity(created_by=user)
    for field, value in data.items():
        setattr(activity, field, value)
    if activity.campaign is not None:
        activity.department = activity.campaign.department
    activity.department = activity.department if activity.department_id else user.department
    if activity.department is None:
        raise ValidationError({"department": _("Name the department that held the activity.")})
    if not filing_regions(user).filter(pk=activity.department.region_id).exists():
        raise ValidationError({"department": _("The department lies outside your territory.")})
    if activity.held_on and activity.held_on > timezone.localdate():
        raise ValidationError({"held_on": _("Record an activity once it has taken place.")})
    activity.full_clean(exclude=["created_by"])
    activity.save()
    if staff is not None:
        activity.staff.set(staff)
    return activity


# -- outbound call lists (外呼, SPEC §6.3) --------------------------------------------------------------------------

# Plans still worth a call: not lost, not yet opened (an opened customer is served, not sold to).
CALLABLE_STAGES = (PlanStage.SCREENED, PlanStage.OPPORTUNITY, PlanStage.VISITED)
ENTRY_BATCH = 2000


def _off_open_call_lists(mobile: str) -> int:
    """Remove the number from every open call list of every campaign; its calls (`CallAttempt`) stay."""
    removed, _counts = CallEntry.objects.filter(mobile=mobile, call_list__closed_at__isnull=True).delete()
    return removed


def _candidates(source: str, customers, excluded: Q) -> list[tuple]:
    """(customer id, name, mobile) of the customers' people of `source` with a number, minus the excluded numbers:
    key persons (decision makers first) before group members, each by customer code. Two queries at most."""
    rows: list[tuple] = []
    if source in (CallSource.KEY_PERSONS, CallSource.ALL):
        key_persons = (
            KeyPerson.objects.filter(customer__in=customers)
            .exclude(mobile="")
            .exclude(excluded)
            .order_by("customer__code", "-is_decision_maker", "pk")
            .values_list("customer_id", "name", "mobile")
        )
        rows += list(key_persons)
    if source in (CallSource.MEMBERS, CallSource.ALL):
        members = (
            GroupMember.objects.filter(customer__in=customers)
            .exclude(excluded)
            .order_by("customer__code", "pk")
            .values_list("customer_id", "name", "mobile")
        )
        rows += list(members)
    return rows


@transaction.atomic
def call_list_build(
    *, user: User, campaign: Campaign, source: str = CallSource.ALL, agent: User | None = None
) -> CallList:
    """Build an outbound call list (外呼清单) of the campaign for `agent` (the builder by default; naming someone
    else is for department heads and provincial staff), sets its `entries_count`.

    Entries: the key persons with a mobile and/or the group members of the customers of the campaign's plans that
    are still open (not lost, not opened or in after-sales) and that both builder and agent see (SPEC §2); one entry
    per number. Never a number on the do-not-call list, one tried `MAX_ATTEMPTS` times in the campaign or whose
    call in the campaign had a final outcome, or one on another open list of the campaign. An entry starts at the
    number's attempts so far in the campaign. A list with nothing to call is not created.
    """
    agent = agent or user
    if agent.pk != user.pk and not user.may_manage_teams:
        raise PermissionDenied(_("Only department heads and provincial staff build call lists for someone else."))
    if source not in CallSource.values:
        raise ValidationError({"source": _("Call key persons, members or all.")})
    if not agent.is_active:
        raise ValidationError({"agent": _("%(name)s is no longer active.") % {"name": agent.display_name}})
    # One build of a campaign at a time, so that "not on another open list" holds (PostgreSQL; SQLite serialises);
    # and no number goes on the do-not-call list while this one reads it and writes its entries.
    Campaign.objects.select_for_update().filter(pk=campaign.pk).values_list("pk").first()
    _do_not_call_turn()
    plans = campaign.plans.filter(stage__in=CALLABLE_STAGES, customer__in=visible_customers(user))
    if not plans.exists():
        raise ValidationError(_("The campaign has no plan you see that is still open: nobody to call."))
    if agent.pk != user.pk:
        plans = plans.filter(customer__in=visible_customers(agent))
        if not plans.exists():
            raise ValidationError(
                {"agent": _("%(name)s sees none of the campaign's customers you see.") % {"name": agent.display_name}}
            )
    calls = CallAttempt.objects.filter(campaign=campaign).values("mobile").order_by()
    spent = (
        calls.annotate(n=Count("pk"), final=Count("pk", filter=Q(outcome__in=FINAL_OUTCOMES)))
        .filter(Q(n__gte=MAX_ATTEMPTS) | Q(final__gt=0))
        .values("mobile")
    )
    on_open_list = CallEntry.objects.filter(call_list__campaign=campaign, call_list__closed_at__isnull=True)
    excluded = (
        Q(mobile__in=DoNotCall.objects.values("mobile"))
        | Q(mobile__in=spent)
        | Q(mobile__in=on_open_list.values("mobile"))
    )
    candidates = _candidates(source, plans.values("customer_id"), excluded)
    if not candidates:
        raise ValidationError(
            _(
                "No number to call: the customers have none on file, or every one is on the do-not-call list, "
                "done in this campaign, tried %(max)d times or on another open list of it."
            )
            % {"max": MAX_ATTEMPTS}
        )
    attempts = dict(calls.annotate(n=Count("pk")).values_list("mobile", "n"))
    call_list = CallList(campaign=campaign, agent=agent, source=source, created_by=user)
    call_list.full_clean(exclude=["campaign", "agent", "created_by"])  # given, not typed in
    call_list.save()
    seen: set[str] = set()
    entries = []
    for customer_id, name, mobile in candidates:
        if mobile in seen:
            continue
        seen.add(mobile)
        entries.append(
            CallEntry(
                call_list=call_list,
                customer_id=customer_id,
                name=name[:50],
                mobile=mobile,
                attempts=attempts.get(mobile, 0),
            )
        )
    CallEntry.objects.bulk_create(entries, batch_size=ENTRY_BATCH)
    analyze_after_load(CallEntry._meta.db_table, len(entries))
    call_list.entries_count = len(entries)
    return call_list


@transaction.atomic
def call_outcome_record(*, user: User, entry: CallEntry, outcome: str, note: str = "") -> CallEntry:
    """Record a call of an entry (外呼结果) by the list's agent: a `CallAttempt`, and the entry's attempts, last
    outcome and time. `do_not_call` puts the number on the do-not-call list at once, which takes it off every
    open call list (this entry included: the returned entry is then gone from the database)."""
    entry = CallEntry.objects.select_for_update(of=("self",)).select_related("call_list").filter(pk=entry.pk).first()
    if entry is None:  # its number went on the do-not-call list meanwhile
        raise ValidationError(_("This number is no longer on the list."))
    call_list = entry.call_list
    if call_list.agent_id != user.pk:
        raise PermissionDenied(_("Only the agent of this call list records its calls."))
    if not call_list.is_open:
        raise ValidationError(_("The call list is closed: no more calls are recorded on it."))
    if entry.last_outcome in FINAL_OUTCOMES:
        raise ValidationError(
            _("This number is done: its last outcome, “%(outcome)s”, is final.")
            % {"outcome": entry.get_last_outcome_display()}
        )
    # the calls themselves are counted, not only the entry's copy: the number may have been called on an earlier
    # list of the campaign while this one was built
    tried = CallAttempt.objects.filter(campaign_id=call_list.campaign_id, mobile=entry.mobile).count()
    if max(entry.attempts, tried) >= MAX_ATTEMPTS:
        raise ValidationError(
            _("This number was tried %(max)d times in the campaign: no more calls.") % {"max": MAX_ATTEMPTS}
        )
    if outcome != CallOutcome.DO_NOT_CALL and DoNotCall.objects.filter(mobile=entry.mobile).exists():
        raise ValidationError(_("This number is on the do-not-call list: it is not called."))
    if outcome not in CallOutcome.values:
        raise ValidationError({"outcome": _("Choose an outcome of the call.")})
    note = note.strip()
    call = CallAttempt(
        campaign_id=call_list.campaign_id,
        entry=entry,
        customer_id=entry.customer_id,
        mobile=entry.mobile,
        agent=user,
        outcome=outcome,
        note=note,
    )
    call.full_clean(exclude=["campaign", "entry", "customer", "agent"])  # taken from the entry, not typed in
    call.save()
    entry.attempts = max(entry.attempts, tried) + 1
    entry.last_outcome = outcome
    entry.last_called_at = call.called_at
    entry.save(update_fields=["attempts", "last_outcome", "last_called_at"])
    if outcome == CallOutcome.DO_NOT_CALL:
        # the agent's note stays with the call: the do-not-call list is national, and a note names the customer
        do_not_call_add(
            user=user, mobile=entry.mobile, reason=_("Asked during an outbound call not to be called again")
        )
    return entry


@transaction.atomic
def call_list_close(*, user: User, call_list: CallList) -> CallList:
    """Close a call list (its agent or its builder): no more calls on it, and its numbers may go on a new list."""
    if user.pk not in (call_list.agent_id, call_list.created_by_id):
        raise PermissionDenied(_("Only the agent of this call list or its builder closes it."))
    if call_list.is_open:
        call_list.closed_at = timezone.now()
        call_list.save(update_fields=["closed_at"])
    return call_list
