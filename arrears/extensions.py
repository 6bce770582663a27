"""What arrears adds to the floors below it (`accounts.hooks`, `accounts.filters`): the arrears card of the customer
page, and the customer list's arrears filter, where the KPI figures link. `register()` runs in
`ArrearsConfig.ready`."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from accounts import hooks as customer_hooks
from accounts.filters import customer_filter_add
from crm.permissions import may

from .rules import AGE_BUCKETS, AGE_LABELS
from .selectors import arrears_annotations, arrears_condition, customer_arrears

ARREARS_CHOICES = [
    ("any", _("In arrears")),
    ("case", _("Open collection case")),
    *((code, format_lazy(_("In arrears {age}"), age=AGE_LABELS[code])) for code, _first, _last in AGE_BUCKETS),
]


class ArrearsFilter(django_filters.ChoiceFilter):
    """Customers by their arrears; for a reader who may not read arrears (partner staff), none: the filter would
    tell them what the customer page does not."""

    def filter(self, queryset: QuerySet, value: str) -> QuerySet:
        if not value:
            return queryset
        request = getattr(self.parent, "request", None)
        user = getattr(request, "user", None)
        if user is not None and not may(user, "arrears.view_cases"):
            return queryset.none()
        return queryset.filter(arrears_condition(value))


def customer_page_annotations(*, user) -> dict:
    """Read with the customer on its page: what it owes and its latest case (`selectors.customer_arrears`)."""
    return arrears_annotations()


def customer_page_context(*, request, customer) -> dict:
    """The arrears card, for the operator's staff who see the customer, when it owes something or had a case: one
    query for a customer that never had a case, read on its page with the customer (none more), four for one that
    has (three on its page: the case, its outcomes, and whether the reader may record one)."""
    if not may(request.user, "arrears.view", customer):
        return {}
    arrears = customer_arrears(customer)  # no query when the page's read of the customer says it owes nothing
    if not arrears.shown:
        return {}
    # The button shows to whoever may use the form it opens (the customer's team and the managers over it, not a grid
    # manager who reads the card).
    may_record = arrears.case is not None and may(request.user, "arrears.record_outcome", arrears.case)
    return {"arrears": arrears, "arrears_may_record": may_record}


def register() -> None:
    customer_hooks.customer_page_annotations.register("arrears.card", customer_page_annotations)
    customer_hooks.customer_page_context.register("arrears.card", customer_page_context)
    customer_filter_add(
        "arrears",
        ArrearsFilter(choices=ARREARS_CHOICES, label=_("Arrears")),
        after="coverage",
    )
