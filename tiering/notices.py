"""What tiering tells people (`crm.notifications`): the decision on a manual tier request (人工调级) reaches the
one who asked. Called by the override services inside their transactions."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crm.models import NotificationKind, User
from crm.notifications import notify, phrase

from .models import OverrideStatus, TierOverride


def override_decided_notified(*, by: User, override: TierOverride) -> None:
    """The requester hears whether the request was approved or rejected, with the note; not when they decided it
    themselves (staff setting a tier directly)."""
    if override.set_by_id is None or override.set_by_id == by.pk:
        return
    approved = override.status == OverrideStatus.APPROVED
    title = (
        _("Manual tier %(tier)s for %(customer)s approved")
        if approved
        else _("Manual tier %(tier)s for %(customer)s rejected")
    )
    body = (
        _("Decided by %(name)s, in force until %(until)s. %(note)s") if approved else _("Decided by %(name)s. %(note)s")
    )
    customer = override.customer
    notify(
        recipients=[override.set_by_id],
        kind=NotificationKind.OVERRIDE_DECIDED,
        title=phrase(title, {"tier": override.tier, "customer": customer.name}),
        body=phrase(
            body,
            {"name": by.display_name, "until": override.expires_on.isoformat(), "note": override.decision_note},
        ),
        url=reverse("accounts:customer-detail", args=[customer.code]),
        dedupe_key=f"tier-override:{override.pk}:decided",
    )
