"""What tiering tells people (`crm.notifications`): a manual tier request (人工调级) reaches the staff who may
decide it, and the decision the one who asked. Called by the override services inside their transactions."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crm.models import NotificationKind, User
from crm.notifications import notify, phrase
from crm.permissions import provincial_deciders

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


def override_deciders(override: TierOverride) -> list[int]:
    """Who may decide the request (`tiering.decide_override`) by their role and territory: the active provincial
    staff of the customer's province and headquarters (hq_admin), not its requester. One query."""
    staff = provincial_deciders(override.customer.region)
    return list(staff.exclude(pk=override.set_by_id).values_list("pk", flat=True))


def override_requested_notified(*, override: TierOverride) -> None:
    """The staff who may decide a new request hear of it, with the reason, and find it in their queue."""
    customer = override.customer
    notify(
        recipients=override_deciders(override),
        kind=NotificationKind.OVERRIDE_REQUESTED,
        title=phrase(
            _("Manual tier %(tier)s for %(customer)s requested"), {"tier": override.tier, "customer": customer.name}
        ),
        body=phrase(
            _("Requested by %(name)s, until %(until)s. Reason: %(reason)s"),
            {"name": override.set_by.display_name, "until": override.expires_on.isoformat(), "reason": override.reason},
        ),
        url=reverse("tiering:overrides"),
        dedupe_key=f"tier-override:{override.pk}:requested",
    )
