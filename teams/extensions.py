"""What teams adds to the customers' floor below it (`accounts.hooks`): a new customer's customer manager, the
visit status on *my customers*, the team and visits on the customer page, and the team and visit filters of the
customer list. `register()` runs in `TeamsConfig.ready`."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import hooks as customer_hooks
from accounts.filters import COMPLETENESS, customer_filter_add
from crm import notifications as notification_hooks
from crm.permissions import may

from . import digest, hooks, selectors, timeline
from .services import team_customer_filed

VISIT_CHOICES = [
    ("met", _("Standard met this period")),
    ("due", _("Due this period")),
    ("overdue", _("Overdue from the last period")),
]


def filter_team(queryset: QuerySet, name: str, value: str) -> QuerySet:
    complete = Q(selectors.team_complete(selectors.standards()))
    return queryset.filter(Q(tier__isnull=False), complete if value == "complete" else ~complete)


def filter_visits(queryset: QuerySet, name: str, value: str) -> QuerySet:
    by_tier, today = selectors.standards(), timezone.localdate()
    # The customers the visit compliance KPI counts (the figure links here): in a province that counts only verified
    # on-site visits, only those.
    provider = hooks.verified_only_provinces.provider
    strict = provider() if provider is not None else ()
    if value == "overdue":
        return queryset.filter(selectors.visits_overdue(by_tier, today, strict))
    met = selectors.visits_met(by_tier, today, strict)
    return queryset.filter(met if value == "met" else Q(tier__in=list(by_tier)) & ~met)


def customer_list_context(*, request, page) -> dict:
    """Each listed customer's visit status, and the count of one's own due visits (only staff on teams have
    customers of their own that fall due); for those who read a territory, each customer's manager and last visit."""
    standards, verified_only = selectors.standards_of(request), selectors.verified_only_of(request)
    statuses = selectors.visit_statuses([(c.pk, c.tier) for c in page], by_tier=standards, verified_only=verified_only)
    for customer in page:
        customer.visit_status = statuses.get(customer.pk)
    # An account manager whose page lists customers holds a role on their teams: no need to ask.
    on_teams = (request.user.sees_own_customers_only and len(page) > 0) or request.user.team_roles.exists()
    due = selectors.due_visit_count(request.user, by_tier=standards, verified_only=verified_only) if on_teams else None
    # Those who read a territory's customers (department heads, provincial staff, headquarters) see whose each one
    # is and when it was last visited: one query for the page.
    team_columns = not request.user.sees_own_customers_only
    if team_columns:
        tz = timezone.get_current_timezone()
        facts = selectors.managers_and_last_visits([customer.pk for customer in page])
        for customer in page:
            manager_name, last_visit = facts.get(customer.pk, ("", None))
            customer.manager_name = manager_name
            customer.last_visited_on = timezone.localdate(last_visit, tz) if last_visit else None
    return {"due_count": due, "team_columns": team_columns}


def customer_page_context(*, request, customer) -> dict:
    standards = selectors.standards_of(request)
    team = selectors.team_status(customer, standards)
    visits = selectors.customer_visits(
        user=request.user,
        customer=customer,
        verified_only=selectors.verified_only_of(request),
        holders=team.holders,
        by_tier=standards,
    )
    return {
        "team": team,
        "visits": visits.recent,
        "visit_status": visits.status,
        "second_manager_duties": visits.second_manager,
        # A department head makes a verified visit's position the customer's location (外勤签到).
        "may_confirm_location": may(request.user, "accounts.confirm_location", customer),
    }


def register() -> None:
    notification_hooks.digest_items.register("teams.visits_due", digest.visits_due)
    customer_hooks.customer_filed.register("teams.customer_manager", team_customer_filed)
    customer_hooks.customer_list_context.register("teams.visits", customer_list_context)
    customer_hooks.customer_page_context.register("teams.team", customer_page_context)
    customer_hooks.customer_timeline.register("teams.visits", timeline.visit_entries)
    customer_hooks.customer_timeline.register("teams.team", timeline.team_entries)
    customer_filter_add(
        "team",
        django_filters.ChoiceFilter(choices=COMPLETENESS, method=filter_team, label=_("Team")),
        after="profile",
    )
    customer_filter_add(
        "visits",
        django_filters.ChoiceFilter(choices=VISIT_CHOICES, method=filter_visits, label=_("Visits")),
        after="team",
    )
