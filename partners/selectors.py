"""Reading partner companies (issue 20) as the caller may: the partners, their commission rules and settlements."""

from __future__ import annotations

import datetime

from django.db.models import F, Max, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from crm.models import Partner, Region, User
from crm.permissions import is_headquarters, is_provincial_staff
from crm.visibility import NATIONAL_CODE, province_path, territory_path, visible_partners

from .models import CommissionRule, Settlement, SettlementJobRun, SettlementLine, SettlementStatus


def partners_for(user: User) -> QuerySet[Partner]:
    """The partners the caller sees (`crm.visibility.visible_partners`), with the products they may sell."""
    return visible_partners(user).prefetch_related("products")


def partner_get(*, user: User, pk: int) -> Partner:
    """A partner the caller sees; 404 otherwise."""
    return get_object_or_404(visible_partners(user), pk=pk)


def commission_rules_for(user: User) -> QuerySet[CommissionRule]:
    """The rules provincial staff and headquarters read: headquarters every one; provincial staff the national ones
    and their province's; nobody else any (a rule outside them is 404)."""
    rules = CommissionRule.objects.select_related("scope", "product", "created_by")
    if not user.is_authenticated or not user.is_active:
        return rules.none()
    if user.sees_everything:
        return rules
    if user.is_provincial_staff and user.region is not None:
        return rules.filter(Q(scope_id=NATIONAL_CODE) | Q(scope__path=province_path(user.region)))
    return rules.none()


def approved_until(user: User, *, scope: Region | None = None) -> datetime.date | None:
    """The latest month with an approved settlement in `scope` (the user's territory by default): a rule of that
    scope, or of the national root, may change from the month after it only (`services.commission_rule_update`)."""
    path = scope.path if scope is not None else territory_path(user)
    if path is None:
        return None
    approved = Settlement.objects.filter(status=SettlementStatus.APPROVED)
    if path:
        approved = approved.filter(partner__region__path__startswith=path)
    return approved.aggregate(last=Max("period"))["last"]


def settlements_for(user: User) -> QuerySet[Settlement]:
    """The settlements the caller reads: headquarters all; provincial staff those of the partners of their province;
    partner staff their own company's; nobody else any."""
    settlements = Settlement.objects.select_related("partner", "partner__region", "computed_by", "approved_by")
    if not user.is_authenticated or not user.is_active:
        return settlements.none()
    if user.sees_everything:
        return settlements
    if user.is_partner_staff:
        return settlements.filter(partner_id=user.partner_id) if user.partner_id else settlements.none()
    if user.is_provincial_staff and user.region is not None:
        return settlements.filter(partner__region__path__startswith=province_path(user.region))
    return settlements.none()


def settlement_runs_for(user: User) -> QuerySet[SettlementJobRun]:
    """The computations of settlements the caller follows: headquarters all; provincial staff those of their
    province; nobody else any (a run outside them is 404)."""
    runs = SettlementJobRun.objects.select_related("region", "triggered_by")
    if not user.is_authenticated or not user.is_active:
        return runs.none()
    if is_headquarters(user):
        return runs
    # The province's path read off the user's home region, without a query: the jobs page asks this once per list.
    path = territory_path(user) if is_provincial_staff(user) else None
    return runs.filter(region__path__startswith=path) if path else runs.none()


def settlement_run_running(user: User, *, region: Region, month: datetime.date) -> SettlementJobRun | None:
    """The computation of the month now running over the territory (or a part of it), if the caller follows it."""
    return (
        settlement_runs_for(user)
        .filter(period=month, status="running", region__path__startswith=region.path)
        .order_by("-started_at")
        .first()
    )


def settlement_of(*, user: User, partner: Partner, month: datetime.date) -> Settlement:
    """The partner's settlement of the month as the caller reads it; 404 when it has none (yet)."""
    found = settlements_for(user).filter(partner=partner, period=month).first()
    if found is None:
        raise Http404
    return found


def settlement_get(*, user: User, pk: int) -> Settlement:
    """A settlement of a partner the caller sees (the right to read it is asked after: 403); 404 otherwise."""
    return get_object_or_404(
        Settlement.objects.select_related("partner", "partner__region", "computed_by", "approved_by").filter(
            partner__in=visible_partners(user)
        ),
        pk=pk,
    )


def settlement_lines(settlement: Settlement) -> QuerySet[SettlementLine]:
    """A settlement's lines with what they name, the month's own first, then the corrections by month corrected."""
    return (
        SettlementLine.objects.filter(settlement=settlement)
        .select_related("customer", "product", "rule")
        .order_by(F("corrects_period").asc(nulls_first=True), "basis", "customer__code", "product_id", "pk")
    )
