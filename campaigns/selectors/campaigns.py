"""Reads of campaigns, plans, their progress and activities (SPEC §6.2), within the reader's visibility (SPEC §2)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict, cast

from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.utils import timezone

from accounts.models import Customer
from crm.models import Department, User
from crm.periods import Period
from crm.permissions import may
from crm.visibility import filing_regions, territory_departments

from ..models import (
    FINAL_OUTCOMES,
    MAX_ATTEMPTS,
    Activity,
    CallEntry,
    Campaign,
    CampaignCreationRun,
    CustomerPlan,
    PlanStage,
)
from ..rules import LOST, PATH

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise, WithAnnotations


def campaigns_for(user: User) -> QuerySet[Campaign]:
    """Campaigns whose region lies in the user's territory; for an account manager, those with a plan for one of
    their customers."""
    campaigns = Campaign.objects.select_related("department", "region").prefetch_related("target_products")
    if user.is_authenticated and user.sees_own_customers_only:
        planned = CustomerPlan.objects.filter(customer__in=Customer.objects.visible_to(user)).values("campaign_id")
        return campaigns.filter(pk__in=planned)
    return campaigns.filter(region__in=filing_regions(user))


def creation_runs_for(user: User) -> QuerySet[CampaignCreationRun]:
    """The campaign creations by a worker the user follows: their own, and, for those who plan campaigns, those over
    a region of their territory; newest first, with the region, the starter and the campaign."""
    runs = CampaignCreationRun.objects.select_related("region", "triggered_by", "campaign").order_by("-started_at")
    if not user.is_authenticated:
        return runs.none()
    if not may(user, "campaigns.plan"):
        return runs.filter(triggered_by=user)
    return runs.filter(Q(triggered_by=user) | Q(region__in=filing_regions(user)))


class PlanCounts(TypedDict):
    """What `plan_counts` sets on each campaign."""

    plans_count: int
    opened: int


def plan_counts(user: User, campaigns: Iterable[Campaign]) -> list[WithAnnotations[Campaign, PlanCounts]]:
    """The campaigns (a page of them), each with `plans_count` and `opened` (at opened or after sales) over the
    plans of customers the user sees: one grouped query, the visibility rule applied once to all their plans."""
    campaigns = list(campaigns)
    rows = (
        CustomerPlan.objects.filter(campaign__in=[campaign.pk for campaign in campaigns])
        .filter(customer__in=Customer.objects.visible_to(user))
        .values("campaign")
        .annotate(plans=Count("pk"), opened=Count("pk", filter=Q(stage__in=OPENED_STAGES)))
        .order_by()
    )
    counts = {row["campaign"]: row for row in rows}
    # The same objects, typed with the counts the loop sets on them.
    counted = cast("list[WithAnnotations[Campaign, PlanCounts]]", campaigns)
    for campaign in counted:
        row: Mapping[str, Any] = counts.get(campaign.pk, {})
        campaign.plans_count, campaign.opened = row.get("plans", 0), row.get("opened", 0)
    return counted


def plans_for(user: User, campaign: Campaign) -> QuerySet[CustomerPlan]:
    """The campaign's plans for the customers the user sees."""
    return (
        campaign.plans.filter(customer__in=Customer.objects.visible_to(user))
        .select_related("customer", "owner")
        .prefetch_related("gap_products")
        .order_by("customer__code")
    )


def conflicts_of(campaign: Campaign, among: QuerySet[Campaign] | None = None) -> list[int]:
    """Campaigns of other departments that target a customer of this one in an overlapping period (渠道冲突).

    Few campaigns overlap in time, and each is asked only whether one of its plans is for a customer of this one: an
    index probe per plan that stops at the first shared customer, rather than a join of every plan of both."""
    if campaign.is_cancelled:
        return []  # a cancelled campaign works no customer: it conflicts with nobody
    shared = CustomerPlan.objects.filter(campaign=OuterRef("pk"), customer_id__in=campaign.plans.values("customer_id"))
    candidates = Campaign.objects.all() if among is None else among
    return list(
        candidates.filter(starts_on__lte=campaign.ends_on, ends_on__gte=campaign.starts_on, cancelled_at__isnull=True)
        .exclude(department=campaign.department_id)
        .exclude(pk=campaign.pk)
        .filter(Exists(shared))
        .values_list("pk", flat=True)
        .order_by("pk")
    )


def plans_to_visit(customer: Customer, today: datetime.date | None = None) -> QuerySet[CustomerPlan]:
    """The customer's plans a visit may move on to `visited`: of campaigns not yet over, before that step."""
    today = today or timezone.localdate()
    return (
        customer.plans.filter(
            stage__in=[PlanStage.SCREENED, PlanStage.OPPORTUNITY],
            campaign__ends_on__gte=today,
            campaign__cancelled_at__isnull=True,
        )
        .select_related("campaign")
        .order_by("campaign__ends_on", "pk")
    )


def customer_campaigns(customer: Customer, user: User) -> list[dict]:
    """The customer's plans, newest campaign first, each with the campaigns of other departments that target the
    customer in an overlapping period (渠道冲突, SPEC §6.2), and whether the user may open the campaign."""
    plans = list(customer.plans.select_related("campaign__department", "owner").order_by("-campaign__starts_on"))
    openable = set(campaigns_for(user).filter(pk__in=[plan.campaign_id for plan in plans]).values_list("pk", flat=True))
    rows = []
    for plan in plans:
        campaign = plan.campaign
        rivals = [
            other.campaign
            for other in plans
            if not campaign.is_cancelled
            and not other.campaign.is_cancelled
            and other.campaign.department_id != campaign.department_id
            and other.campaign.starts_on <= campaign.ends_on
            and other.campaign.ends_on >= campaign.starts_on
        ]
        rows.append({"plan": plan, "campaign": campaign, "conflicts": rivals, "openable": campaign.pk in openable})
    return rows


OPENED_STAGES = (PlanStage.OPENED, PlanStage.AFTER_SALES)


@dataclass
class Overlap:
    """A campaign running in the same window as one being planned, and how many of the planned customers it
    already has a plan for; of another department it is a channel conflict (渠道冲突)."""

    campaign: Campaign
    customers: int
    conflict: bool
    openable: bool
    shared_products: list[str]


def overlapping_campaigns(
    user: User,
    *,
    customers: QuerySet[Customer],
    starts_on: datetime.date,
    ends_on: datetime.date,
    department: Department,
    product_codes: Iterable[str] = (),
) -> list[Overlap]:
    """The campaigns (not cancelled) whose period overlaps `starts_on`–`ends_on` and that have a plan for one of
    `customers`, with how many of them: one grouped query over the plans. Channel conflicts (other departments) first,
    most shared customers first, the way `conflicts_of` will flag them once the campaign exists."""
    rows = (
        CustomerPlan.objects.filter(
            customer__in=customers.values("pk"),
            campaign__starts_on__lte=ends_on,
            campaign__ends_on__gte=starts_on,
            campaign__cancelled_at__isnull=True,
        )
        .values("campaign")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = {row["campaign"]: row["n"] for row in rows}
    if not counts:
        return []
    campaigns = Campaign.objects.filter(pk__in=counts).select_related("department").prefetch_related("target_products")
    openable = set(campaigns_for(user).filter(pk__in=counts).values_list("pk", flat=True))
    wanted = set(product_codes)
    overlaps = [
        Overlap(
            campaign=campaign,
            customers=counts[campaign.pk],
            conflict=campaign.department_id != department.pk,
            openable=campaign.pk in openable,
            shared_products=[product.name for product in campaign.target_products.all() if product.code in wanted],
        )
        for campaign in campaigns
    ]
    return sorted(overlaps, key=lambda overlap: (not overlap.conflict, -overlap.customers, overlap.campaign.pk))


@dataclass
class CancelPreview:
    """What cancelling a campaign closes: its plans by where they stand, and its open call lists."""

    plans: int
    in_play: int
    opened: int
    lost: int
    open_call_lists: int
    numbers_to_call: int


def cancel_preview(campaign: Campaign) -> CancelPreview:
    """The counts over every plan of the campaign (cancelling closes them all, seen by the reader or not)."""
    by_stage = dict(campaign.plans.values("stage").annotate(n=Count("pk")).order_by().values_list("stage", "n"))
    open_lists = campaign.call_lists.filter(closed_at__isnull=True)
    pending = (
        CallEntry.objects.filter(call_list__in=open_lists)
        .exclude(last_outcome__in=FINAL_OUTCOMES)
        .filter(attempts__lt=MAX_ATTEMPTS)
        .count()
    )
    return CancelPreview(
        plans=sum(by_stage.values()),
        in_play=sum(by_stage.get(stage, 0) for stage in PATH if stage not in OPENED_STAGES),
        opened=sum(by_stage.get(stage, 0) for stage in OPENED_STAGES),
        lost=by_stage.get(LOST, 0),
        open_call_lists=open_lists.count(),
        numbers_to_call=pending,
    )


@dataclass
class Progress:
    """A campaign's plans by stage (the funnel: how many reached each step, lost apart) and its results."""

    by_stage: dict[str, int]
    plans: int
    opened: int
    new_subscriptions: int
    revenue: Decimal
    activities: int
    attendance: int

    @property
    def funnel(self) -> list[tuple[str, StrOrPromise, int]]:
        """(stage, label, plans at that step or past it) along the path; lost plans count up to no step."""
        labels = dict(PlanStage.choices)
        reached, rows = 0, []
        for stage in reversed(PATH):
            reached += self.by_stage.get(stage, 0)
            rows.append((stage, labels[stage], reached))
        return list(reversed(rows))

    @property
    def lost(self) -> int:
        return self.by_stage.get(LOST, 0)


@dataclass
class ManagerProgress:
    """One owner's plans: how many at each stage, and how many opened."""

    name: str
    username: str | None
    stages: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.stages.values())

    @property
    def opened(self) -> int:
        return sum(self.stages.get(stage, 0) for stage in OPENED_STAGES)

    @property
    def share(self) -> int:
        """Opened, in percent of the owner's plans."""
        return round(100 * self.opened / self.total) if self.total else 0

    @property
    def row(self) -> list[int]:
        return [self.stages.get(stage, 0) for stage in PlanStage.values]


def campaign_progress(campaign: Campaign, plans: QuerySet[CustomerPlan]) -> tuple[Progress, list[ManagerProgress]]:
    """The funnel over `plans` (the campaign's plans the reader sees), the campaign's activity results, and each
    owner's progress, most plans first. The plans are counted once, grouped by owner and stage: the funnel is the
    sum of the owners' rows."""
    grouped = plans.values("owner_id", "owner__username", "owner__last_name", "owner__first_name", "stage").annotate(
        n=Count("pk")
    )
    owners: dict[int | None, ManagerProgress] = {}
    by_stage: dict[str, int] = {}
    for row in grouped.order_by():
        name = f"{row['owner__last_name'] or ''}{row['owner__first_name'] or ''}" or row["owner__username"] or ""
        owner = owners.setdefault(row["owner_id"], ManagerProgress(name, row["owner__username"], {}))
        owner.stages[row["stage"]] = row["n"]
        by_stage[row["stage"]] = by_stage.get(row["stage"], 0) + row["n"]
    results = campaign.activities.aggregate(
        n=Count("pk"), subscriptions=Sum("new_subscriptions"), revenue=Sum("revenue"), attendance=Sum("attendance")
    )
    progress = Progress(
        by_stage=by_stage,
        plans=sum(by_stage.values()),
        opened=sum(by_stage.get(stage, 0) for stage in OPENED_STAGES),
        new_subscriptions=results["subscriptions"] or 0,
        revenue=results["revenue"] or Decimal("0"),
        activities=results["n"],
        attendance=results["attendance"] or 0,
    )
    managers = sorted(owners.values(), key=lambda owner: (-owner.total, owner.username or ""))
    return progress, managers


def activities_for(user: User) -> QuerySet[Activity]:
    """Activities of the departments in the user's territory."""
    activities = Activity.objects.select_related("department", "campaign").prefetch_related("staff")
    return activities.filter(department__in=territory_departments(user))


def departments_without_activity(departments: QuerySet[Department], period: Period) -> QuerySet[Department]:
    """The departments that held no activity in the month (SPEC §6.2: each holds at least one a month)."""
    held = Activity.objects.filter(department=OuterRef("pk"), held_on__gte=period.start, held_on__lt=period.end)
    return departments.filter(~Exists(held)).select_related("region").order_by("region__path", "name")
