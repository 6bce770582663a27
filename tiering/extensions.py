"""What tiering adds to the customers' floor below it (`accounts.hooks`): a saved customer's tier follows its
values at once, not only at the next nightly recompute; the customer page shows the tier's history and the
override in force. `register()` runs in `TieringConfig.ready`."""

from __future__ import annotations

from accounts import hooks as customer_hooks

from .services import tier_refresh


def customer_saved(*, customer, user) -> None:
    tier_refresh(customer=customer, user=user)


def customer_page_context(*, request, customer) -> dict:
    return {
        "tier_changes": customer.tier_changes.select_related("rule_set")[:12],
        "tier_override": customer.tier_overrides.active().select_related("set_by").first(),
    }


def register() -> None:
    customer_hooks.customer_saved.register("tiering.refresh", customer_saved)
    customer_hooks.customer_page_context.register("tiering.history", customer_page_context)
