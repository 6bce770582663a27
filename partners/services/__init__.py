"""Writes of the partners app (issue 20): partner companies, commission rules and settlements."""

from .commissions import commission_rule_create, commission_rule_delete, commission_rule_update
from .partners import PARTNER_FIELDS, partner_create, partner_update
from .settlements import (
    SettlementRun,
    settlement_approve,
    settlement_chunk_compute,
    settlement_chunk_failed,
    settlement_chunks,
    settlement_run_abandon,
    settlement_run_finish,
    settlement_run_start,
    settlements_compute,
)

__all__ = [
    "PARTNER_FIELDS",
    "SettlementRun",
    "commission_rule_create",
    "commission_rule_delete",
    "commission_rule_update",
    "partner_create",
    "partner_update",
    "settlement_approve",
    "settlement_chunk_compute",
    "settlement_chunk_failed",
    "settlement_chunks",
    "settlement_run_abandon",
    "settlement_run_finish",
    "settlement_run_start",
    "settlements_compute",
]
