"""What campaigns adds to the floors below it: the product-coverage filters of the customer list and the coverage
and campaigns of the customer page (`accounts.hooks`), and the campaign plans a logged visit moves on
(`teams.hooks.visit_plans`). `register()` runs in `CampaignsConfig.ready`."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts import hooks as customer_hooks
from accounts.filters import customer_filter_add
from teams import hooks as team_hooks

from .models import CustomerPlan, PlanStage, Product
from .rules import COVERAGE_LABELS
from .selectors import coverage_condition, customer_campaigns, customer_coverage, plans_to_visit
from .services import plans_advance_by_visit


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
    return {
        "coverage": customer_coverage(customer),
        "campaigns": customer_campaigns(customer, request.user),
    }


def plan_label(plan: CustomerPlan) -> str:
    return f"{plan.campaign.name}（{PlanStage(plan.stage).label}）"


def register() -> None:
    customer_hooks.customer_page_context.register("campaigns.coverage", customer_page_context)
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
