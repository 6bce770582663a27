"""The campaign app's models, one module per entity group; every name re-exported here."""

from __future__ import annotations

from .calls import (
    FINAL_OUTCOMES,
    MAX_ATTEMPTS,
    CallAttempt,
    CallEntry,
    CallLeftOut,
    CallList,
    CallMode,
    CallOutcome,
    CallSource,
    DoNotCall,
    LeftOutReason,
)
from .campaigns import (
    Activity,
    Campaign,
    CampaignCreationRun,
    CampaignKind,
    CustomerPlan,
    CustomerPlanQuerySet,
    PlanStage,
    PlanStageChange,
)
from .channels import CHANNELS, Attribution, Channel, ChannelPolicy
from .leads import Lead, LeadStatus
from .opportunities import (
    Competitor,
    Opportunity,
    OpportunitySource,
    OpportunityStage,
    OpportunityStageChange,
)
from .products import (
    PERCENT,
    ZERO,
    CoverageCount,
    CoverageThresholds,
    CustomerProduct,
    HoldingEnd,
    Product,
    ProductCategory,
)

__all__ = [
    "Activity",
    "Attribution",
    "ChannelPolicy",
    "HoldingEnd",
    "Lead",
    "LeadStatus",
    "CallAttempt",
    "CallEntry",
    "CallLeftOut",
    "CallList",
    "CallMode",
    "CHANNELS",
    "Channel",
    "CallOutcome",
    "CallSource",
    "Campaign",
    "CampaignCreationRun",
    "CampaignKind",
    "Competitor",
    "CoverageCount",
    "CoverageThresholds",
    "CustomerPlan",
    "CustomerPlanQuerySet",
    "CustomerProduct",
    "DoNotCall",
    "FINAL_OUTCOMES",
    "LeftOutReason",
    "MAX_ATTEMPTS",
    "Opportunity",
    "OpportunitySource",
    "OpportunityStage",
    "OpportunityStageChange",
    "PERCENT",
    "PlanStage",
    "PlanStageChange",
    "Product",
    "ProductCategory",
    "ZERO",
]
