"""Writes of the campaign app (services named `<noun>_<verb>`), one module per entity group; re-exported here."""

from __future__ import annotations

from .call_pool import call_list_audited, call_list_distribute, call_numbers_shown
from .calls import (
    CALLABLE_STAGES,
    DO_NOT_CALL_LOCK,
    ENTRY_BATCH,
    call_list_build,
    call_list_close,
    call_outcome_record,
    do_not_call_add,
    do_not_call_remove,
    left_out_text,
)
from .campaigns import (
    SEGMENT_KEYS,
    VISIT_MOVES,
    CampaignPreview,
    PreviewChanged,
    activity_record,
    campaign_cancel,
    campaign_create,
    campaign_may_cancel,
    campaign_preview,
    plan_stage_set,
    plan_update,
    plans_advance_by_visit,
)
from .coverage import coverage_snapshot
from .dialer import (
    DialerFile,
    ResultsImported,
    dialer_file_export,
    dialer_results_import,
    dialer_results_size_check,
)
from .holdings import (
    HOLDING_FIELDS,
    holding_remove,
    holding_set,
)
from .leads import lead_close, lead_convert, lead_record, lead_route
from .opportunities import (
    OPPORTUNITY_FIELDS,
    opportunities_by_visit,
    opportunity_create,
    opportunity_create_from_visit,
    opportunity_initial_from,
    opportunity_update,
)
from .partners import PlansGiven, plans_give_to_partner

__all__ = [
    "lead_close",
    "lead_convert",
    "lead_record",
    "lead_route",
    "PlansGiven",
    "plans_give_to_partner",
    "coverage_snapshot",
    "CALLABLE_STAGES",
    "DO_NOT_CALL_LOCK",
    "CampaignPreview",
    "ENTRY_BATCH",
    "HOLDING_FIELDS",
    "OPPORTUNITY_FIELDS",
    "PreviewChanged",
    "SEGMENT_KEYS",
    "VISIT_MOVES",
    "activity_record",
    "DialerFile",
    "ResultsImported",
    "call_list_audited",
    "call_list_build",
    "call_list_close",
    "call_list_distribute",
    "call_numbers_shown",
    "dialer_file_export",
    "dialer_results_import",
    "dialer_results_size_check",
    "left_out_text",
    "call_outcome_record",
    "campaign_cancel",
    "campaign_create",
    "campaign_may_cancel",
    "campaign_preview",
    "do_not_call_add",
    "do_not_call_remove",
    "holding_remove",
    "holding_set",
    "opportunities_by_visit",
    "opportunity_create",
    "opportunity_create_from_visit",
    "opportunity_initial_from",
    "opportunity_update",
    "plan_stage_set",
    "plan_update",
    "plans_advance_by_visit",
]
