from django.urls import path

from . import views
from .views import call_pool, channels, desk, holdings, leads

app_name = "campaigns"

urlpatterns = [
    path("", views.CampaignListView.as_view(), name="campaigns"),
    path("new/", views.CampaignCreateView.as_view(), name="campaign-create"),
    path("creations/<int:pk>/", views.CampaignCreationView.as_view(), name="creation"),
    path("<int:pk>/", views.CampaignDetailView.as_view(), name="campaign"),
    path("<int:pk>/cancel/", views.CampaignCancelView.as_view(), name="campaign-cancel"),
    path("<int:pk>/plans/<int:plan>/move/", views.PlanMoveView.as_view(), name="plan-move"),
    path("activities/", views.ActivityListView.as_view(), name="activities"),
    path("activities/new/", views.ActivityCreateView.as_view(), name="activity-create"),
    path("coverage/", views.GapMatrixView.as_view(), name="gap-matrix"),
    path("conflicts/", channels.ChannelConflictsView.as_view(), name="channel-conflicts"),
    path("leads/", leads.LeadListView.as_view(), name="leads"),
    path("desk/", desk.DeskView.as_view(), name="desk"),
    path("leads/<int:pk>/close/", leads.LeadWorkView.as_view(action="close"), name="lead-close"),
    path("leads/<int:pk>/convert/", leads.LeadWorkView.as_view(action="convert"), name="lead-convert"),
    path("do-not-call/", views.DoNotCallView.as_view(), name="do-not-call"),
    path("call-lists/", views.CallListsView.as_view(), name="call-lists"),
    path("call-lists/<int:pk>/", views.CallListView.as_view(), name="call-list"),
    path("call-lists/<int:pk>/close/", views.CallListCloseView.as_view(), name="call-list-close"),
    path("call-lists/<int:pk>/distribute/", call_pool.CallListDistributeView.as_view(), name="call-list-distribute"),
    path("call-lists/<int:pk>/left-out.csv", call_pool.CallLeftOutCsvView.as_view(), name="call-list-left-out"),
    path("call-lists/<int:pk>/dialer.csv", call_pool.DialerFileView.as_view(), name="call-list-dialer-file"),
    path("call-lists/<int:pk>/dialer-results/", call_pool.DialerResultsView.as_view(), name="call-list-dialer-results"),
    path("<int:pk>/calls/", views.CampaignCallsView.as_view(), name="calls"),
    path("customers/<str:code>/products/<str:product>/", holdings.HoldingView.as_view(), name="holding"),
    path(
        "customers/<str:code>/products/<str:product>/remove/",
        holdings.HoldingRemoveView.as_view(),
        name="holding-remove",
    ),
    path("opportunities/", views.OpportunityBoardView.as_view(), name="opportunities"),
    path("opportunities/new/", views.OpportunityFormView.as_view(), name="opportunity-create"),
    path("opportunities/<int:pk>/", views.OpportunityFormView.as_view(), name="opportunity"),
]
