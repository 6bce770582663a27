"""The partners app's models (issue 20): what partner companies are given (assignments) and what they earn
(commission rules and monthly settlements)."""

from .assignments import AssignmentQuerySet, AssignmentRole, PartnerAssignment
from .commissions import (
    KINDS_PAID,
    CommissionBasis,
    CommissionRule,
    Settlement,
    SettlementJobRun,
    SettlementLine,
    SettlementStatus,
)

__all__ = [
    "KINDS_PAID",
    "AssignmentQuerySet",
    "AssignmentRole",
    "CommissionBasis",
    "CommissionRule",
    "PartnerAssignment",
    "Settlement",
    "SettlementJobRun",
    "SettlementLine",
    "SettlementStatus",
]
