"""Writes of commission rules (酬金规则, issue 20, point 3): kept by provincial staff for their province and by
headquarters nationally, each write in the audit trail. A rule never changes what an approved settlement paid: a
change that would apply in a month already approved in its scope is refused (end the rule and add another from the
next open month instead)."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from crm import audit
from crm.models import RegionLevel, User
from crm.permissions import require
from partners.models import CommissionRule, Settlement, SettlementStatus

from ..months import format_month

RULE_FIELDS = (
    "scope",
    "partner_kind",
    "product",
    "basis",
    "rate",
    "months",
    "amount",
    "valid_from",
    "valid_until",
)
VALUE_FIELDS = ("scope", "partner_kind", "product", "basis", "rate", "months", "amount")


def _next_month(month: datetime.date) -> datetime.date:
    return (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def _approved_from(rule: CommissionRule, first: datetime.date, field: str) -> None:
    """Refuse when a settlement of a month from `first` on is approved in the rule's scope: the change would apply
    to a month that never changes."""
    latest = (
        Settlement.objects.filter(
            status=SettlementStatus.APPROVED, period__gte=first, partner__region__path__startswith=rule.scope.path
        )
        .order_by("-period")
        .values_list("period", flat=True)
        .first()
    )
    if latest is not None:
        raise ValidationError(
            {
                field: _(
                    "Settlements of %(month)s are approved in this scope, and never change: a rule may change from "
                    "%(next)s on. End this rule and add another instead."
                )
                % {"month": format_month(latest), "next": format_month(_next_month(latest))}
            }
        )


def _check(rule: CommissionRule) -> None:
    rule.full_clean()
    if rule.scope.level not in (RegionLevel.NATIONAL, RegionLevel.PROVINCE):
        raise ValidationError({"scope": _("A commission rule is national or a province's: name the province.")})
    overlapping = CommissionRule.objects.filter(
        scope=rule.scope, partner_kind=rule.partner_kind, product=rule.product, basis=rule.basis
    ).exclude(pk=rule.pk)
    overlapping = overlapping.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=rule.valid_from))
    if rule.valid_until is not None:
        overlapping = overlapping.filter(valid_from__lte=rule.valid_until)
    if clash := overlapping.order_by("valid_from").first():
        raise ValidationError(
            {
                "valid_from": _(
                    "Rule #%(rule)s already pays this kind of partner for this product on this basis from %(month)s: "
                    "end it first."
                )
                % {"rule": clash.pk, "month": format_month(clash.valid_from)}
            }
        )


def _apply(rule: CommissionRule, data: dict[str, Any]) -> None:
    for name, value in data.items():
        if name in RULE_FIELDS:
            setattr(rule, name, value)


@transaction.atomic
def commission_rule_create(*, user: User, data: dict[str, Any]) -> CommissionRule:
    rule = CommissionRule(created_by=user)
    _apply(rule, data)
    if rule.scope_id is None:
        rule.full_clean()  # names the missing scope
    require(user, "partners.keep_commission_rules", rule)
    _check(rule)
    _approved_from(rule, rule.valid_from, "valid_from")
    rule.save()
    audit.record_created(user=user, obj=rule, fields=RULE_FIELDS)
    return rule


def _first_changed_month(before: CommissionRule, after: CommissionRule) -> tuple[datetime.date | None, str]:
    """The first month the change applies in (None: nothing changes), and the field to name."""
    if any(getattr(before, name) != getattr(after, name) for name in VALUE_FIELDS):
        return min(before.valid_from, after.valid_from), "valid_from"
    firsts: list[datetime.date] = []
    if before.valid_from != after.valid_from:
        firsts.append(min(before.valid_from, after.valid_from))
    if before.valid_until != after.valid_until:
        ends = [end for end in (before.valid_until, after.valid_until) if end is not None]
        firsts.append(_next_month(min(ends)))
    field = "valid_from" if before.valid_from != after.valid_from else "valid_until"
    return (min(firsts) if firsts else None), field


@transaction.atomic
def commission_rule_update(*, user: User, rule: CommissionRule, data: dict[str, Any]) -> CommissionRule:
    require(user, "partners.keep_commission_rules", rule)
    before = CommissionRule.objects.select_for_update().select_related("scope").get(pk=rule.pk)
    rule = CommissionRule.objects.select_related("scope").get(pk=rule.pk)
    _apply(rule, data)
    require(user, "partners.keep_commission_rules", rule)  # moved within the user's scope only
    _check(rule)
    first, field = _first_changed_month(before, rule)
    if first is None:
        return rule
    _approved_from(before, first, field)
    if rule.scope_id != before.scope_id:
        _approved_from(rule, first, field)
    rule.save()
    audit.record_changed(user=user, obj=rule, before=audit.snapshot(before, RULE_FIELDS), fields=RULE_FIELDS)
    return rule


@transaction.atomic
def commission_rule_delete(*, user: User, rule: CommissionRule) -> None:
    require(user, "partners.keep_commission_rules", rule)
    rule = CommissionRule.objects.select_for_update().select_related("scope").get(pk=rule.pk)
    if rule.lines.exists():
        raise ValidationError(
            {"valid_until": _("Settlements hold lines of this rule: end it (valid until) rather than remove it.")}
        )
    _approved_from(rule, rule.valid_from, "valid_from")
    audit.record_deleted(user=user, obj=rule, fields=RULE_FIELDS)
    rule.delete()
