"""Pages of the campaign app, one module per entity group; re-exported here for the URLconf."""

from __future__ import annotations

from .calls import (
    CAMPAIGN_CALL_LISTS_SHOWN,
    CallListCloseView,
    CallListsView,
    CallListView,
    CampaignCallsView,
    DoNotCallView,
)
from .campaigns import (
    NO_OWNER,
    ActivityCreateView,
    ActivityListView,
    CampaignCancelView,
    CampaignCreateView,
    CampaignCreationView,
    CampaignDetailView,
    CampaignListView,
    PlanMoveView,
)
from .coverage import (
    STATUSES,
    GapMatrixView,
)
from .opportunities import (
    OpportunityBoardView,
    OpportunityFormView,
)

__all__ = [
    "ActivityCreateView",
    "ActivityListView",
    "CAMPAIGN_CALL_LISTS_SHOWN",
    "CallListCloseView",
    "CallListView",
    "CallListsView",
    "CampaignCallsView",
    "CampaignCancelView",
    "CampaignCreateView",
    "CampaignCreationView",
    "CampaignDetailView",
    "CampaignListView",
    "DoNotCallView",
    "GapMatrixView",
    "NO_OWNER",
    "OpportunityBoardView",
    "OpportunityFormView",
    "PlanMoveView",
    "STATUSES",
]
