from __future__ import annotations

from django.urls import path

from crm.api.routers import ApiRouter

from . import calls, views

router = ApiRouter()
router.register("channels", views.ChannelViewSet, basename="channel")
router.register("products", views.ProductViewSet, basename="product")
router.register("campaigns", views.CampaignViewSet, basename="campaign")
router.register("opportunities", views.OpportunityViewSet, basename="opportunity")
router.register("leads", views.LeadViewSet, basename="lead")

urlpatterns = [
    path("customers/<str:code>/products/<str:product>/", views.HoldingView.as_view(), name="customer-product"),
    path("customers/<str:code>/coverage/", views.CoverageView.as_view(), name="customer-coverage"),
    path("do-not-call/", views.DoNotCallView.as_view(), name="do-not-call"),
    path("channel-conflicts/", views.ChannelConflictsView.as_view(), name="channel-conflicts"),
    path("desk/agents/", views.DeskAgentsView.as_view(), name="desk-agents"),
    path("desk/lists/", views.DeskListsView.as_view(), name="desk-lists"),
    path("campaigns/<int:pk>/plans/<int:plan>/", views.PlanView.as_view(), name="campaign-plan"),
    path("campaigns/<int:pk>/call-list/", views.CallListBuildView.as_view(), name="campaign-call-list"),
    path("call-lists/<int:pk>/entries/", views.CallEntryListView.as_view(), name="call-list-entries"),
    path("call-lists/<int:pk>/distribute/", calls.CallListDistributeView.as_view(), name="call-list-distribute"),
    path("call-lists/<int:pk>/left-out/", calls.CallLeftOutListView.as_view(), name="call-list-left-out"),
    path("call-lists/<int:pk>/dialer-file/", calls.DialerFileView.as_view(), name="call-list-dialer-file"),
    path("call-lists/<int:pk>/dialer-results/", calls.DialerResultsView.as_view(), name="call-list-dialer-results"),
    path(
        "call-lists/<int:pk>/entries/<int:entry>/outcome/", views.CallOutcomeView.as_view(), name="call-entry-outcome"
    ),
    path("do-not-call/<str:mobile>/", views.DoNotCallNumberView.as_view(), name="do-not-call-number"),
    *router.urls,
]
