"""Reads of tier rules."""

from __future__ import annotations

from crm.models import Region

from .models import RuleSet, RuleSetStatus

NATIONAL = "000000"


def published_rule_set(province: Region | None) -> RuleSet:
    """The rule set in force for a province: its own published one, else the national one."""
    published = RuleSet.objects.filter(status=RuleSetStatus.PUBLISHED).prefetch_related("rules")
    if province is not None:
        own = published.filter(scope=province).first()
        if own is not None:
            return own
    return published.get(scope_id=NATIONAL)
