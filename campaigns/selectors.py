"""Reads of products, holdings and coverage. Customers are looked up within `visible_customers` by the caller."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncDate
from django.db.models.lookups import GreaterThan, LessThan
from django.utils import timezone

from accounts.models import Customer, CustomerStatus
from crm.models import Department, Role, User
from crm.periods import Period
from crm.visibility import territory_path, visible_customers
from teams.models import TeamRole, TeamRoleKind

from .models import (
    FINAL_OUTCOMES,
    MAX_ATTEMPTS,
    Activity,
    CallAttempt,
    CallEntry,
    CallList,
    CallOutcome,
    Campaign,
    CoverageThresholds,
    CustomerPlan,
    CustomerProduct,
    PlanStage,
    Product,
)
from .rules import COVERAGE_LABELS, COVERED, FAKE, LOST, PATH, THIN, UNCOVERED, Thresholds, coverage_status


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
    on_sale = {product.code for product in catalogue}
    catalogue += [holding.product for code, holding in holdings.items() if code not in on_sale]
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


# -- coverage in bulk ----------------------------------------------------------------------------------------------


def holding_status(thresholds: Thresholds, today: datetime.date, handsets: F | OuterRef) -> Case:
    """The SQL twin of `rules.coverage_status` for a holding (on `CustomerProduct`): fake, thin or covered.
    `handsets`: the customer's handset count as the query reaches it."""
    idle_before = today - datetime.timedelta(days=thresholds.idle_days)
    per_member = Q(product__per_member=True) & Q(GreaterThan(handsets, 0))

    def below(share: Decimal) -> Q:
        return Q(LessThan(F("active_users") * 100, ExpressionWrapper(handsets * share, DecimalField())))

    return Case(
        When(Q(last_used_on__isnull=True) | Q(last_used_on__lt=idle_before), then=Value(FAKE)),
        When(per_member & below(thresholds.fake_share), then=Value(FAKE)),
        When(per_member & below(thresholds.thin_share), then=Value(THIN)),
        default=Value(COVERED),
        output_field=CharField(),
    )


def coverage_condition(product: Product, status: str, today: datetime.date | None = None) -> Q:
    """Customers whose coverage of `product` is `status` (SPEC §6.1), as a filter on customers."""
    today = today or timezone.localdate()
    holdings = CustomerProduct.objects.filter(customer=OuterRef("pk"), product=product)
    if status == UNCOVERED:
        return ~Q(Exists(holdings))
    statused = holdings.annotate(
        coverage=holding_status(CoverageThresholds.current(), today, OuterRef("handset_count"))
    )
    return Q(Exists(statused.filter(coverage=status)))


@dataclass
class GapRow:
    product: Product
    counts: dict[str, int]  # status → active customers

    @property
    def gaps(self) -> int:
        return self.counts[UNCOVERED] + self.counts[FAKE] + self.counts[THIN]


def gap_matrix(customers: QuerySet[Customer], today: datetime.date | None = None) -> list[GapRow]:
    """Products × coverage status over the given customers (active ones count): how many of them are uncovered,
    fake, thin or covered for each product on sale. Two queries: the customers, and their holdings by status."""
    today = today or timezone.localdate()
    active = customers.filter(status=CustomerStatus.ACTIVE)
    total = active.count()
    grouped = (
        CustomerProduct.objects.filter(customer__in=active.values("pk"))
        .annotate(coverage=holding_status(CoverageThresholds.current(), today, F("customer__handset_count")))
        .values("product_id", "coverage")
        .annotate(n=Count("pk"))
        .order_by()
    )
    held: dict[str, dict[str, int]] = {}
    for row in grouped:
        held.setdefault(row["product_id"], {})[row["coverage"]] = row["n"]
    matrix = []
    for product in products():
        counts = {status: held.get(product.code, {}).get(status, 0) for status in (FAKE, THIN, COVERED)}
        matrix.append(GapRow(product, {UNCOVERED: total - sum(counts.values()), **counts}))
    return matrix


# -- campaigns -----------------------------------------------------------------------------------------------------


def campaigns_for(user: User) -> QuerySet[Campaign]:
    """Campaigns whose region lies in the user's territory; for an account manager, those with a plan for one of
    their customers."""
    campaigns = Campaign.objects.select_related("department", "region").prefetch_related("target_products")
    if user.is_authenticated and user.role == Role.ACCOUNT_MANAGER and not user.sees_everything:
        planned = CustomerPlan.objects.filter(customer__in=visible_customers(user)).values("campaign_id")
        return campaigns.filter(pk__in=planned)
    path = territory_path(user)
    if path is None:
        return campaigns.none()
    return campaigns.filter(region__path__startswith=path) if path else campaigns


def plan_counts(user: User, campaigns: Iterable[Campaign]) -> list[Campaign]:
    """The campaigns (a page of them), each with `plans_count` and `opened` (at opened or after sales) over the
    plans of customers the user sees: one grouped query, the visibility rule applied once to all their plans."""
    campaigns = list(campaigns)
    rows = (
        CustomerPlan.objects.filter(campaign__in=[campaign.pk for campaign in campaigns])
        .filter(customer__in=visible_customers(user))
        .values("campaign")
        .annotate(plans=Count("pk"), opened=Count("pk", filter=Q(stage__in=OPENED_STAGES)))
        .order_by()
    )
    counts = {row["campaign"]: row for row in rows}
    for campaign in campaigns:
        row = counts.get(campaign.pk, {})
        campaign.plans_count, campaign.opened = row.get("plans", 0), row.get("opened", 0)
    return campaigns


def plans_for(user: User, campaign: Campaign) -> QuerySet[CustomerPlan]:
    """The campaign's plans for the customers the user sees."""
    return (
        campaign.plans.filter(customer__in=visible_customers(user))
        .select_related("customer", "owner")
        .prefetch_related("gap_products")
        .order_by("customer__code")
    )


def conflicts_of(campaign: Campaign, among: QuerySet[Campaign] | None = None) -> list[int]:
    """Campaigns of other departments that target a customer of this one in an overlapping period (渠道冲突).

    Few campaigns overlap in time, and each is asked only whether one of its plans is for a customer of this one: an
    index probe per plan that stops at the first shared customer, rather than a join of every plan of both."""
    shared = CustomerPlan.objects.filter(campaign=OuterRef("pk"), customer_id__in=campaign.plans.values("customer_id"))
    candidates = Campaign.objects.all() if among is None else among
    return list(
        candidates.filter(starts_on__lte=campaign.ends_on, ends_on__gte=campaign.starts_on)
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
        customer.plans.filter(stage__in=[PlanStage.SCREENED, PlanStage.OPPORTUNITY], campaign__ends_on__gte=today)
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
            if other.campaign.department_id != campaign.department_id
            and other.campaign.starts_on <= campaign.ends_on
            and other.campaign.ends_on >= campaign.starts_on
        ]
        rows.append({"plan": plan, "campaign": campaign, "conflicts": rivals, "openable": campaign.pk in openable})
    return rows


# -- a campaign's progress -----------------------------------------------------------------------------------------

OPENED_STAGES = (PlanStage.OPENED, PlanStage.AFTER_SALES)


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
    def funnel(self) -> list[tuple[str, str, int]]:
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


# -- activities ----------------------------------------------------------------------------------------------------


def activities_for(user: User) -> QuerySet[Activity]:
    """Activities of the departments in the user's territory."""
    activities = Activity.objects.select_related("department", "campaign").prefetch_related("staff")
    path = territory_path(user)
    if path is None:
        return activities.none()
    return activities.filter(department__region__path__startswith=path) if path else activities


def departments_without_activity(departments: QuerySet[Department], period: Period) -> QuerySet[Department]:
    """The departments that held no activity in the month (SPEC §6.2: each holds at least one a month)."""
    held = Activity.objects.filter(department=OuterRef("pk"), held_on__gte=period.start, held_on__lt=period.end)
    return departments.filter(~Exists(held)).select_related("region").order_by("region__path", "name")


# -- outbound call lists (外呼, SPEC §6.3) --------------------------------------------------------------------------


def call_lists_for(user: User) -> QuerySet[CallList]:
    """The call lists a user may open: those they work or built, and those of the campaigns they see. Their entries
    are still only the ones of customers the user sees (`call_entries_for`)."""
    if not user.is_authenticated:
        return CallList.objects.none()
    return CallList.objects.filter(
        Q(agent=user) | Q(created_by=user) | Q(campaign__in=campaigns_for(user).values("pk"))
    ).select_related("campaign", "agent")


def _entry_done() -> Q:
    return Q(last_outcome__in=FINAL_OUTCOMES) | Q(attempts__gte=MAX_ATTEMPTS)


def call_lists_ordered(call_lists: QuerySet[CallList]) -> QuerySet[CallList]:
    """Open lists first, newest first."""
    return call_lists.order_by(F("closed_at").desc(nulls_first=True), "-created_at", "-pk")


def call_lists_counted(user: User, call_lists: Iterable[CallList]) -> list[CallList]:
    """The lists (a page of them), each with `entries_count` and `pending_count` over the entries of customers the
    user sees: one grouped query, the visibility rule applied once to all the lists' entries."""
    lists = list(call_lists)
    counts = (
        CallEntry.objects.filter(call_list__in=[call_list.pk for call_list in lists])
        .filter(customer__in=visible_customers(user))
        .values("call_list")
        .annotate(entries=Count("pk"), pending=Count("pk", filter=~_entry_done()))
        .order_by()
    )
    by_list = {row["call_list"]: row for row in counts}
    for call_list in lists:
        row = by_list.get(call_list.pk, {})
        call_list.entries_count, call_list.pending_count = row.get("entries", 0), row.get("pending", 0)
    return lists


def call_entries_for(user: User, call_list: CallList) -> QuerySet[CallEntry]:
    """The list's entries of customers the user sees: the ones still to call first (never called, then called
    longest ago), then the done ones; each with `done`."""
    return (
        call_list.entries.filter(customer__in=visible_customers(user))
        .select_related("customer")
        .annotate(done=Case(When(_entry_done(), then=Value(True)), default=Value(False), output_field=BooleanField()))
        .order_by("done", F("last_called_at").asc(nulls_first=True), "pk")
    )


def customers_owned(user: User, customer_ids, today: datetime.date | None = None) -> set[int]:
    """Of these customers, those whose current customer manager the user is: they see the numbers whole; everyone
    else sees 138****1234 (SPEC §6.3). One query however many customers."""
    return set(
        TeamRole.objects.active(today)
        .filter(user_id=user.pk, role=TeamRoleKind.CUSTOMER_MANAGER, customer_id__in=customer_ids)
        .values_list("customer_id", flat=True)
    )


def _percent(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1")) if whole else None


@dataclass
class CallDay:
    """One agent's calls in a campaign on one day (`day` None: a total), and how many reached someone (every
    outcome but no answer) and were accepted."""

    agent: str
    username: str
    day: datetime.date | None
    calls: int
    reached: int
    accepted: int

    @property
    def rate(self) -> Decimal | None:
        """The acceptance rate in percent: accepted ÷ calls that reached someone."""
        return _percent(self.accepted, self.reached)

    @property
    def rate_of_calls(self) -> Decimal | None:
        """Accepted ÷ all calls, in percent."""
        return _percent(self.accepted, self.calls)


def call_report(*, user: User, campaign: Campaign) -> list[CallDay]:
    """Calls per agent per day (local days) of the campaign, newest day first, over the customers the user sees;
    one grouped query."""
    rows = (
        CallAttempt.objects.filter(campaign=campaign, customer__in=visible_customers(user))
        .annotate(day=TruncDate("called_at"))
        .values("day", "agent__username", "agent__last_name", "agent__first_name")
        .annotate(
            calls=Count("pk"),
            reached=Count("pk", filter=~Q(outcome=CallOutcome.NO_ANSWER)),
            accepted=Count("pk", filter=Q(outcome=CallOutcome.ACCEPTED)),
        )
        .order_by("-day", "agent__username")
    )
    return [
        CallDay(
            agent=f"{row['agent__last_name']}{row['agent__first_name']}" or row["agent__username"],
            username=row["agent__username"],
            day=row["day"],
            calls=row["calls"],
            reached=row["reached"],
            accepted=row["accepted"],
        )
        for row in rows
    ]


def call_total(rows: list[CallDay]) -> CallDay:
    """The sum of the rows."""
    return CallDay(
        agent="",
        username="",
        day=None,
        calls=sum(row.calls for row in rows),
        reached=sum(row.reached for row in rows),
        accepted=sum(row.accepted for row in rows),
    )
