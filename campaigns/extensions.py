"""What campaigns adds to the floors below it: the product-coverage filters of the customer list, the coverage,
campaigns and open opportunities of the customer page and the customer's opportunities, calls and plan moves on its
timeline (`accounts.hooks`), and the campaign plans a logged visit moves on (`teams.hooks.visit_plans`). `register()`
runs in `CampaignsConfig.ready`."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts import hooks as customer_hooks
from accounts.filters import customer_filter_add
from accounts.models import Customer
from crm import notifications as notification_hooks
from crm.permissions import may
from teams import hooks as team_hooks

from . import digest
from .models import (
    CallAttempt,
    CallOutcome,
    CustomerPlan,
    Opportunity,
    OpportunityStage,
    OpportunityStageChange,
    PlanStage,
    PlanStageChange,
    Product,
)
from .rules import COVERAGE_LABELS, OPEN_OPPORTUNITY_STAGES
from .selectors import (
    TimelineRow,
    campaigns_for,
    coverage_condition,
    customer_campaign_events,
    customer_campaigns,
    customer_coverage,
    customer_opportunities,
    gap_matrix,
    plans_to_visit,
)
from .selectors.channels import channel_conflicts
from .services import opportunities_by_visit, plans_advance_by_visit
from .touches import local_minute


class CoverageFilter(django_filters.ChoiceFilter):
    """Customers whose coverage of the product chosen in the `product` filter is the one asked for."""

    def filter(self, queryset: QuerySet, value: str) -> QuerySet:
        if not value:
            return queryset
        return queryset.filter(coverage_condition(self.parent.form.cleaned_data["product"], value))


def filter_product(queryset: QuerySet, name: str, value: Product) -> QuerySet:
    return queryset  # the product is what `coverage` is of


def coverage_needs_product(form: forms.Form, cleaned: dict) -> None:
    if cleaned.get("coverage") and not cleaned.get("product") and "product" not in form.errors:
        form.add_error("product", _("Choose the product whose coverage to filter by."))


def customer_page_context(*, request, customer) -> dict:
    coverage = customer_coverage(customer)
    if may(request.user, "campaigns.change_holdings", customer):
        # Each product of the coverage card opens the form of the customer's holding of it.
        for item in coverage:
            item.holding_url = reverse("campaigns:holding", args=[customer.code, item.product.code])
    campaigns = customer_campaigns(customer, request.user)
    # The customer's opportunities not lost, read once: the open ones are the page's card (its "new opportunity"
    # button asks the form for the reader's latest visit, `visit=latest`: no query here for it), and all of them say
    # whether two may be in conflict on their own.
    live = list(customer_opportunities(customer, open_only=False).exclude(stage=OpportunityStage.LOST))
    return {
        "coverage": coverage,
        "campaigns": campaigns,
        "open_opportunities": [item for item in live if item.stage in OPEN_OPPORTUNITY_STAGES],
        # Who else works this customer's products at the same time (issue 20), flagged on every side's page. Works
        # meet in a campaign (a plan, its call lists) or between two opportunities of different channels,
        # departments or partners; a customer with neither (most) pays no query more for it.
        "channel_conflicts": (
            channel_conflicts(Customer.objects.filter(pk=customer.pk), known={customer.pk: customer})
            if campaigns or _parties_differ(live)
            else []
        ),
    }


def _parties_differ(opportunities: list[Opportunity]) -> bool:
    """Whether two of the opportunities are worked by different channels, departments or partners (their owners
    read with them): only then may they conflict."""
    parties = {(item.channel_id, item.owner.department_id, item.owner.partner_id) for item in opportunities}
    return len(parties) > 1


def customer_group_context(*, request, customer, branches) -> dict:
    """A group's coverage (issue 21): each product's active customers of the group — its headquarters and the
    branches the reader sees — uncovered, fake, thin or covered, as the gap matrix counts a territory's."""
    return {"group_coverage": gap_matrix(Customer.objects.filter(pk__in=[customer.pk, *(b.pk for b in branches)]))}


def _entry(row: TimelineRow, openable: set[int]) -> customer_hooks.TimelineEntry:
    actor = row.actor.display_name if row.actor is not None else ""
    subject = row.subject
    if isinstance(subject, Opportunity):
        return customer_hooks.TimelineEntry(
            at=row.at,
            kind="opportunity",
            title=gettext("Opportunity found: %(title)s") % {"title": subject.title},
            body=gettext("%(stage)s · %(amount)s CNY a month expected by %(day)s")
            % {
                "stage": OpportunityStage(subject.stage).label,
                "amount": f"{subject.expected_monthly_revenue:,.2f}",
                "day": subject.expected_close_on.isoformat(),
            },
            url=reverse("campaigns:opportunity", args=[subject.pk]),
            actor=actor,
        )
    if isinstance(subject, OpportunityStageChange):
        return customer_hooks.TimelineEntry(
            at=row.at,
            kind="opportunity",
            title=gettext("Opportunity %(title)s: %(from)s → %(to)s")
            % {
                "title": subject.opportunity.title,
                "from": OpportunityStage(subject.from_stage).label,
                "to": OpportunityStage(subject.to_stage).label,
            },
            body=subject.opportunity.lost_reason if subject.to_stage == OpportunityStage.LOST else "",
            url=reverse("campaigns:opportunity", args=[subject.opportunity_id]),
            actor=actor,
        )
    if isinstance(subject, CallAttempt):
        body = subject.campaign.name
        if subject.call_back_at is not None:
            body += " · " + gettext("call back at %(time)s") % {"time": local_minute(subject.call_back_at)}
        elif subject.call_back_on is not None:
            body += " · " + gettext("call back on %(day)s") % {"day": subject.call_back_on.isoformat()}
        if subject.note:
            body += " · " + subject.note
        return customer_hooks.TimelineEntry(
            at=row.at,
            kind="call",
            title=gettext("Outbound call: %(outcome)s") % {"outcome": CallOutcome(subject.outcome).label},
            body=body,
            actor=actor,
        )
    assert isinstance(subject, PlanStageChange)
    campaign = subject.plan.campaign
    return customer_hooks.TimelineEntry(
        at=row.at,
        kind="plan",
        title=gettext("Plan of %(campaign)s: %(from)s → %(to)s")
        % {
            "campaign": campaign.name,
            "from": PlanStage(subject.from_stage).label,
            "to": PlanStage(subject.to_stage).label,
        },
        body=subject.reason,
        url=reverse("campaigns:campaign", args=[campaign.pk]) if campaign.pk in openable else "",
        actor=actor,
    )


def customer_timeline(*, customer, user, before, limit) -> list[customer_hooks.TimelineEntry]:
    """The customer's opportunities (found, moved), outbound calls and campaign plan moves, newest first, at most
    `limit`, before `before`; a plan links to its campaign when the reader may open it."""
    rows = customer_campaign_events(customer, before=before, limit=limit)
    campaign_ids = {row.subject.plan.campaign_id for row in rows if isinstance(row.subject, PlanStageChange)}
    openable = (
        set(campaigns_for(user).filter(pk__in=campaign_ids).values_list("pk", flat=True)) if campaign_ids else set()
    )
    return [_entry(row, openable) for row in rows]


def plan_label(plan: CustomerPlan) -> str:
    return f"{plan.campaign.name}（{PlanStage(plan.stage).label}）"


def register() -> None:
    notification_hooks.digest_items.register("campaigns.due", digest.due_items)
    customer_hooks.customer_page_context.register("campaigns.coverage", customer_page_context)
    customer_hooks.customer_timeline.register("campaigns.timeline", customer_timeline)
    customer_hooks.customer_group_context.register("campaigns.group_coverage", customer_group_context)
    customer_filter_add(
        "product",
        django_filters.ModelChoiceFilter(
            queryset=Product.objects.all(),
            to_field_name="code",
            method=filter_product,
            label=_("Product"),
            empty_label=_("All"),
        ),
        after="visits",
    )
    customer_filter_add(
        "coverage",
        CoverageFilter(choices=list(COVERAGE_LABELS.items()), label=_("Coverage of the product")),
        after="product",
        check=coverage_needs_product,
    )
    team_hooks.visit_plans.fill(
        team_hooks.VisitPlans(
            queryset=lambda: CustomerPlan.objects.select_related("campaign"),
            to_visit=plans_to_visit,
            label=plan_label,
            advance=plans_advance_by_visit,
        )
    )
    team_hooks.visit_opportunities.fill(
        team_hooks.VisitOpportunities(
            open_of=lambda customer: customer.opportunities.filter(stage__in=OPEN_OPPORTUNITY_STAGES).order_by(
                "expected_close_on", "id"
            ),
            label=lambda opportunity: opportunity.title,
            stages=lambda: [(stage, label) for stage, label in OpportunityStage.choices if stage != "lost"],
            record=opportunities_by_visit,
        )
    )
