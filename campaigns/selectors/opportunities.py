"""Reads of opportunities (商机, issue 17): the reader's, the board by stage, the weighted forecast by month, and the
customer's timeline of opportunities, calls and plan moves; all within the reader's visibility (SPEC §2)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from accounts.models import Customer
from crm.models import User
from crm.periods import Period

from ..models import (
    CallAttempt,
    Opportunity,
    OpportunityStage,
    OpportunityStageChange,
    PlanStageChange,
)
from ..rules import OPEN_OPPORTUNITY_STAGES, OPPORTUNITY_PATH, ForecastMonth, idle_days, weighted_forecast

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# The cards a board column shows (the soonest to close first); the column's count and sums cover them all.
BOARD_CARDS = 30
# How far ahead the forecast looks, in months (this one included).
FORECAST_MONTHS = 12


def opportunities_for(user: User) -> QuerySet[Opportunity]:
    """The opportunities of the customers the user sees (SPEC §2, `Customer.objects.restrict`; a territory's by the
    region each carries), with their customer and owner."""
    return Customer.objects.restrict(
        Opportunity.objects.select_related("customer", "owner"), user, region_field="region"
    )


def customer_opportunities(customer: Customer, *, open_only: bool = True) -> QuerySet[Opportunity]:
    """A customer's opportunities (the open ones by default), soonest to close first."""
    found = customer.opportunities.select_related("owner")
    if open_only:
        found = found.filter(stage__in=OPEN_OPPORTUNITY_STAGES)
    return found.order_by("expected_close_on", "-id")


@dataclass
class BoardColumn:
    """One stage of the board: how many opportunities, their expected monthly revenue, and the first cards."""

    stage: str
    label: StrOrPromise
    count: int = 0
    monthly_revenue: Decimal = Decimal("0")
    cards: list[Opportunity] = field(default_factory=list)

    @property
    def more(self) -> int:
        return self.count - len(self.cards)


@dataclass
class Board:
    columns: list[BoardColumn]  # found → opened
    lost: BoardColumn

    @property
    def count(self) -> int:
        return sum(column.count for column in self.columns) + self.lost.count


@dataclass(frozen=True)
class OpportunityTotal:
    """How many opportunities of one stage, expected close month and probability, and their Σ expected monthly
    revenue: a row of `opportunity_totals`."""

    stage: str
    month: datetime.date  # the first day
    probability: int
    count: int
    monthly_revenue: Decimal


def opportunity_totals(opportunities: QuerySet[Opportunity]) -> list[OpportunityTotal]:
    """`opportunities` counted and summed by stage, expected close month and probability: one grouped query (a few
    hundred rows), from which the board's columns and the forecast are both read, so that the reader's visibility
    is checked once per opportunity."""
    rows = (
        opportunities.order_by()
        .annotate(month=TruncMonth("expected_close_on"))
        .values("stage", "month", "probability")
        .annotate(n=Count("pk"), revenue=Sum("expected_monthly_revenue"))
    )
    return [
        OpportunityTotal(row["stage"], row["month"], row["probability"], row["n"], row["revenue"] or Decimal("0"))
        for row in rows
    ]


def opportunity_board(
    opportunities: QuerySet[Opportunity], *, cards: int = BOARD_CARDS, totals: list[OpportunityTotal] | None = None
) -> Board:
    """The board by stage of `opportunities` (already filtered to the reader's): per stage the count and Σ expected
    monthly revenue (from `totals`, or `opportunity_totals` when not given), and the first `cards` of each stage,
    the soonest to close first, each with its `idle_days` since it last moved.

    The cards are one query: the first `cards` of each stage picked by a subquery per stage, which reads an index in
    closing order and stops at `cards` — where numbering every opportunity by a window had to read (and check the
    visibility of) them all."""
    labels = dict(OpportunityStage.choices)
    columns = {stage: BoardColumn(stage, labels[stage]) for stage in (*OPPORTUNITY_PATH, OpportunityStage.LOST)}
    for total in opportunity_totals(opportunities) if totals is None else totals:
        column = columns[total.stage]
        column.count += total.count
        column.monthly_revenue += total.monthly_revenue
    firsts, shown = Q(), 0
    for stage, column in columns.items():
        if column.count:
            first = opportunities.filter(stage=stage).order_by("expected_close_on", "-pk").values("pk")[:cards]
            firsts, shown = firsts | Q(pk__in=first), shown + cards
    # Picked among `opportunities` again (so that a reader's few are found by their indexes, not by reading every
    # opportunity), and limited to as many as the subqueries can give: told that few rows come, the planner fetches
    # each card's customer and owner by key instead of joining the whole customer table.
    firsts_ids = opportunities.filter(firsts).order_by().values("pk")[:shown]
    found = Opportunity.objects.select_related("customer", "owner").filter(pk__in=firsts_ids) if shown else []
    now = timezone.now()
    for card in sorted(found, key=lambda card: (card.expected_close_on, -card.pk)):
        card.idle_days = idle_days(card.stage_changed_at, now)  # type: ignore[attr-defined]  # shown on the card
        columns[card.stage].cards.append(card)
    lost = columns.pop(OpportunityStage.LOST)
    return Board(list(columns.values()), lost)


def opportunity_forecast(
    opportunities: QuerySet[Opportunity],
    *,
    today: datetime.date | None = None,
    months: int = FORECAST_MONTHS,
    totals: list[OpportunityTotal] | None = None,
) -> list[ForecastMonth]:
    """The weighted forecast by month (Σ expected monthly revenue × probability by expected close month) of the
    opportunities not lost that close from this month on, `months` months ahead: read from `totals` (or
    `opportunity_totals` when not given), the arithmetic in decimals (`rules.weighted_forecast`)."""
    start = Period.of(today or timezone.localdate()).start
    end = start
    for _month in range(months):
        end = Period.of(end).end
    return weighted_forecast(
        [
            (total.month, total.probability, total.count, total.monthly_revenue)
            for total in (opportunity_totals(opportunities) if totals is None else totals)
            if total.stage != OpportunityStage.LOST and start <= total.month < end
        ]
    )


@dataclass(frozen=True)
class TimelineRow:
    """One event of the campaigns floor on a customer's timeline, before it is worded for the page."""

    at: datetime.datetime
    kind: str  # "opportunity", "call", "plan"
    subject: object  # the opportunity, the stage change, the call
    actor: User | None


def customer_campaign_events(customer: Customer, *, before: datetime.datetime | None, limit: int) -> list[TimelineRow]:
    """The customer's opportunities (found and moved), calls and plan stage moves, newest first, at most `limit`,
    only those before `before`: the newest `limit` of each (four small indexed queries), merged."""

    def older(queryset: QuerySet, moment: str) -> QuerySet:
        return queryset.filter(**{f"{moment}__lt": before}) if before is not None else queryset

    found = older(Opportunity.objects.filter(customer=customer).select_related("created_by"), "created_at").order_by(
        "-created_at", "-pk"
    )[:limit]
    moves = older(
        OpportunityStageChange.objects.filter(opportunity__customer=customer).select_related(
            "opportunity", "changed_by"
        ),
        "changed_at",
    ).order_by("-changed_at", "-pk")[:limit]
    calls = older(
        CallAttempt.objects.filter(customer=customer).select_related("agent", "campaign"), "called_at"
    ).order_by("-called_at", "-pk")[:limit]
    plan_moves = older(
        PlanStageChange.objects.filter(plan__customer=customer).select_related("plan__campaign", "changed_by"),
        "changed_at",
    ).order_by("-changed_at", "-pk")[:limit]
    rows = [
        *(TimelineRow(item.created_at, "opportunity", item, item.created_by) for item in found),
        *(TimelineRow(item.changed_at, "opportunity", item, item.changed_by) for item in moves),
        *(TimelineRow(item.called_at, "call", item, item.agent) for item in calls),
        *(TimelineRow(item.changed_at, "plan", item, item.changed_by) for item in plan_moves),
    ]
    rows.sort(key=lambda row: row.at, reverse=True)
    return rows[:limit]
