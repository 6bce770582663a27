"""Campaign plans given to partner companies (issue 20): the plans of a campaign, within a region, handed to a partner
that works (active, under contract) and whose territory holds the customers; its staff then see those customers
and work the plans (`Customer.objects.visible_to`). Taken back, a plan returns to the direct channel."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Customer
from crm import audit
from crm.models import AuditAction, Partner, Region, User
from crm.permissions import require
from crm.visibility import visible_partners

from ..models import Campaign, CustomerPlan
from ..models.channels import DIRECT, PARTNER


def refuse_unseen_partner(user: User, partner: Partner) -> None:
    """A partner the user does not see (`crm.visibility.visible_partners`) is refused as if it did not exist."""
    if not visible_partners(user).filter(pk=partner.pk).exists():
        raise ValidationError({"partner": _("No partner has the id %(id)s.") % {"id": partner.pk}})


def refuse_idle_partner(partner: Partner, *, on: datetime.date) -> None:
    """A partner that does not work on the day (suspended, ended, out of contract) is refused."""
    if not Partner.objects.working(on=on).filter(pk=partner.pk).exists():
        raise ValidationError(
            {
                "partner": _("%(name)s is not working: it is suspended, ended or out of contract.")
                % {"name": partner.name}
            }
        )


@dataclass(frozen=True)
class PlansGiven:
    plans: int  # plans given (or taken back)
    outside_territory: int  # plans of customers outside the partner's territory, left as they were


def _plans(user: User, campaign: Campaign, region: Region | None) -> QuerySet[CustomerPlan]:
    plans = CustomerPlan.objects.filter(campaign=campaign, customer__in=Customer.objects.visible_to(user))
    if region is not None:
        plans = plans.filter(customer__region__path__startswith=region.path)
    return plans


@transaction.atomic
def plans_give_to_partner(
    *, user: User, campaign: Campaign, partner: Partner | None, region: Region | None = None
) -> PlansGiven:
    """Give the campaign's plans of the customers the user sees (within `region` when given) to `partner`, through
    the partner channel; `partner` None takes them back to the direct channel. Department heads and provincial
    staff (`campaigns.hand_over_plan`); a cancelled campaign, or a partner suspended, ended or out of contract for
    the campaign's days, is refused. Each plan that changes hands gets an entry in its customer's history."""
    require(user, "campaigns.hand_over_plan")
    if campaign.is_cancelled:
        raise ValidationError(_("The campaign is cancelled: its plans are closed and read-only."))
    plans = _plans(user, campaign, region)
    outside = 0
    if partner is not None:
        refuse_unseen_partner(user, partner)
        refuse_idle_partner(partner, on=max(campaign.starts_on, timezone.localdate()))
        if partner.contract_ends_on < campaign.ends_on:
            raise ValidationError(
                {
                    "partner": _("%(name)s's contract ends on %(day)s, before the campaign does.")
                    % {"name": partner.name, "day": partner.contract_ends_on}
                }
            )
        inside = plans.filter(customer__region__path__startswith=partner.region.path)
        outside = plans.count() - inside.count()
        plans = inside
    changing = plans.exclude(partner=partner) if partner is not None else plans.filter(partner__isnull=False)
    # Locked first, so that the entries and the update see the same plans.
    list(changing.select_for_update(of=("self",)).values_list("pk", flat=True))
    _audited(user=user, plans=changing, partner=partner, campaign=campaign)
    given = changing.update(partner=partner, channel_id=PARTNER if partner is not None else DIRECT)
    return PlansGiven(plans=given, outside_territory=outside)


def _audited(*, user: User, plans: QuerySet[CustomerPlan], partner: Partner | None, campaign: Campaign) -> None:
    """One entry per plan, in each customer's history: the partner it had and the one it has."""
    plan, customer, region = (
        connection.ops.quote_name(model._meta.db_table) for model in (CustomerPlan, Customer, Region)
    )
    changes = audit.changes_sql({"partner": (f"{plan}.partner_id", "CAST(%s AS bigint)")})
    chosen, chosen_params = plans.values("pk").query.sql_with_params()
    audit.record_select(
        user=user,
        action=AuditAction.UPDATE,
        object_type=CustomerPlan._meta.label_lower,
        select_sql=(
            f"SELECT CAST({plan}.id AS text) AS object_id, {customer}.name AS object_repr, "
            f"{customer}.id AS customer_id, {customer}.code AS customer_code, {region}.path AS region_path, "
            f"{changes} AS changes "
            f"FROM {plan} JOIN {customer} ON {customer}.id = {plan}.customer_id "
            f"JOIN {region} ON {region}.code = {customer}.region_id WHERE {plan}.id IN ({chosen})"
        ),
        params=[partner.pk if partner is not None else None, *chosen_params],
        detail={"campaign": campaign.pk},
    )
