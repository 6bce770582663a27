"""What KPIs add to the floors below (`accounts.hooks`, `teams.hooks`): an account manager's own figures on their
home page, counted live over their few customers; the provinces whose visit compliance counts only verified visits.
`register()` runs in `KpisConfig.ready`."""

from __future__ import annotations

from accounts import hooks as customer_hooks
from accounts.models import Customer
from teams import hooks as visit_hooks
from teams.selectors import standards_of

from . import selectors


def customer_list_context(*, request, page) -> dict:
    user = request.user
    if not user.sees_own_customers_only:
        return {}
    targets = selectors.targets_for(selectors.province_code(user.region))
    return {"mine": selectors.live_figures(Customer.objects.visible_to(user), targets, standards_of(request))}


def register() -> None:
    customer_hooks.customer_list_context.register("kpis.mine", customer_list_context)
    # The customer list's visit filter, where the visit compliance figure links, counts as the KPI does.
    visit_hooks.verified_only_provinces.fill(selectors.verified_only_provinces)
