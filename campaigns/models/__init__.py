"""The campaign app's models, one module per entity group; every name re-exported here."""

from __future__ import annotations

from .calls import (
    FINAL_OUTCOMES,
    MAX_ATTEMPTS,
    CallAttempt,
    CallEntry,
    CallList,
    CallOutcome,
    CallSource,
    DoNotCall,
)
from .campaigns import (
    Activity,
    Campaign,
    CampaignCreationRun,
    CampaignKind,
    CustomerPlan,
    PlanStage,
    PlanStageChange,
)
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
    Product,
    ProductCategory,
)

__all__ = [
    "Activity",
    "CallAttempt",
    "CallEntry",
    "CallList",
    "CallOutcome",
    "CallSource",
    "Campaign",
    "CampaignCreationRun",
    "CampaignKind",
    "Competitor",
    "CoverageCount",
    "CoverageThresholds",
    "CustomerPlan",
    "CustomerProduct",
    "DoNotCall",
    "FINAL_OUTCOMES",
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
