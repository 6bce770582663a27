"""Reading inbound leads (来电商机, issue 20) as the caller may."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from crm.models import Region, User
from crm.visibility import territory_path

from ..models import Lead


def leads_for(user: User) -> QuerySet[Lead]:
    """The leads a user sees: those they recorded and those assigned to them; department heads, provincial staff and
    headquarters also every lead of their territory's regions. Another's lead is 404."""
    leads = Lead.objects.select_related("customer", "region", "assigned_to", "recorded_by", "channel")
    if not user.is_authenticated:
        return leads.none()
    mine = Q(recorded_by=user) | Q(assigned_to=user)
    if user.sees_own_customers_only:
        return leads.filter(mine)
    path = territory_path(user)
    if path is None:
        return leads.filter(mine)
    if path == "":
        return leads
    return leads.filter(mine | Q(region__in=Region.objects.codes_under(path)))
