"""What campaigns tells people (`crm.notifications`): campaign plans (一户一案) that became theirs. Called by the
campaign services inside their transactions; the one who made the change is not told of it."""

from __future__ import annotations

from django.db.models import Count
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crm.models import NotificationKind, User
from crm.notifications import notify, phrase

from .models import Campaign, CustomerPlan


def campaign_plans_notified(*, by: User, campaign: Campaign) -> None:
    """Each owner of the new campaign's plans hears how many are theirs: one notification per owner, however many
    plans (a province's campaign writes a couple of hundred thousand)."""
    owners = campaign.plans.exclude(owner=None).exclude(owner=by).values("owner_id").annotate(n=Count("*")).order_by()
    url = reverse("campaigns:campaign", args=[campaign.pk])
    for row in owners:
        notify(
            recipients=[row["owner_id"]],
            kind=NotificationKind.PLAN_ASSIGNED,
            title=phrase(
                _("%(count)d customer plans of the campaign %(campaign)s are yours"),
                {"count": row["n"], "campaign": campaign.name},
            ),
            body=phrase(_("Campaign by %(name)s, %(start)s to %(end)s."), _period(by, campaign)),
            url=url,
            dedupe_key=f"campaign:{campaign.pk}:plans",
        )


def _period(by: User, campaign: Campaign) -> dict[str, str]:
    return {"name": by.display_name, "start": campaign.starts_on.isoformat(), "end": campaign.ends_on.isoformat()}


def plan_owner_notified(*, by: User, plan: CustomerPlan) -> None:
    """A plan handed to a new owner: the owner hears of it."""
    if plan.owner_id is None or plan.owner_id == by.pk:
        return
    notify(
        recipients=[plan.owner_id],
        kind=NotificationKind.PLAN_ASSIGNED,
        title=phrase(
            _("The plan for %(customer)s in %(campaign)s is yours"),
            {"customer": plan.customer.name, "campaign": plan.campaign.name},
        ),
        body=phrase(_("Handed over by %(name)s."), {"name": by.display_name}),
        url=reverse("campaigns:campaign", args=[plan.campaign_id]),
    )
