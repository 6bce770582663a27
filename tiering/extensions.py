"""What tiering adds to the customers' floor below it (`accounts.hooks`): a saved customer's tier follows its
values at once, not only at the next nightly recompute; the customer page shows the tier's history, the override in
force, the request waiting and the ways to ask for, decide on or end one. `register()` runs in
`TieringConfig.ready`."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from accounts import hooks as customer_hooks
from accounts.hooks import TimelineEntry
from crm import notifications as notification_hooks
from crm.permissions import may

from . import digest
from .reasons import COMPARISONS, customer_reasons_text
from .selectors import customer_overrides
from .services import tier_refresh


def customer_saved(*, customer, user, former_parent_id=None) -> None:
    tier_refresh(customer=customer, user=user, former_parent_id=former_parent_id)


def customer_page_context(*, request, customer) -> dict:
    reasons = customer.tier_reasons or []
    overrides = customer_overrides(customer)
    user = request.user
    panel = {
        "customer": customer,
        "overrides": overrides,
        "may_request": may(user, "tiering.request_override", customer),
        "may_set": may(user, "tiering.override_tier", customer),
        "may_decide": overrides["waiting"] is not None and may(user, "tiering.decide_override", overrides["waiting"]),
        "may_withdraw": overrides["waiting"] is not None
        and may(user, "tiering.withdraw_override", overrides["waiting"]),
    }
    return {
        "tier_changes": customer.tier_changes.select_related("rule_set")[:12],
        "tier_override": overrides["in_force"],
        # the override in force, the request waiting and what the user may do about them, with earlier requests
        "tier_override_panel": render_to_string("tiering/_customer_override.html", panel, request=request),
        # each reason as people read it, with the rule's own name where it names a threshold
        "tier_reasons_shown": [
            (text, reason.get("label", "") if reason["operator"] in COMPARISONS else "")
            for text, reason in zip(customer_reasons_text(customer), reasons, strict=True)
        ],
    }


def tier_timeline(*, customer, user, before, limit) -> list[TimelineEntry]:
    """The customer's changes of tier, newest first: one query over tierchange_customer_idx."""
    changes = customer.tier_changes.all()
    if before is not None:
        changes = changes.filter(changed_at__lt=before)
    entries = []
    for change in changes.select_related("rule_set").order_by("-changed_at", "-id")[:limit]:
        body = change.get_source_display()
        if change.rule_set is not None:
            body += f" · {change.rule_set.name} v{change.rule_set.version}"
        title = _("Tier: %(old)s → %(new)s") % {"old": change.from_tier or "—", "new": change.to_tier or "—"}
        entries.append(TimelineEntry(at=change.changed_at, kind="tier", title=title, body=body))
    return entries


def register() -> None:
    notification_hooks.digest_items.register("tiering.overrides_expiring", digest.overrides_expiring)
    customer_hooks.customer_saved.register("tiering.refresh", customer_saved)
    customer_hooks.customer_page_context.register("tiering.history", customer_page_context)
    customer_hooks.customer_timeline.register("tiering.changes", tier_timeline)
