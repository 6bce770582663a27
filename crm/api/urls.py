from django.urls import include, path
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from accounts.api import views as accounts_views
from campaigns.api import views as campaigns_views
from kpis.api import views as kpis_views
from teams.api import views as teams_views
from tiering.api import views as tiering_views

from . import views

router = DefaultRouter()
router.register("regions", views.RegionViewSet, basename="region")
router.register("industries", accounts_views.IndustryViewSet, basename="industry")
router.register("customers", accounts_views.CustomerViewSet, basename="customer")
router.register("visits", teams_views.VisitViewSet, basename="visit")
router.register("products", campaigns_views.ProductViewSet, basename="product")
router.register("campaigns", campaigns_views.CampaignViewSet, basename="campaign")

urlpatterns = [
    path("auth/token/", obtain_auth_token, name="auth-token"),
    path(
        "customers/<str:code>/key-persons/",
        accounts_views.KeyPersonListCreateView.as_view(),
        name="customer-key-persons",
    ),
    path("customers/<str:code>/members/", accounts_views.GroupMemberListCreateView.as_view(), name="customer-members"),
    path("customers/<str:code>/tier/", tiering_views.CustomerTierView.as_view(), name="customer-tier"),
    path(
        "customers/<str:code>/tier-override/", tiering_views.TierOverrideView.as_view(), name="customer-tier-override"
    ),
    path("customers/<str:code>/team/", teams_views.CustomerTeamView.as_view(), name="customer-team"),
    path(
        "customers/<str:code>/products/<str:product>/",
        campaigns_views.HoldingView.as_view(),
        name="customer-product",
    ),
    path("customers/<str:code>/coverage/", campaigns_views.CoverageView.as_view(), name="customer-coverage"),
    path("do-not-call/", campaigns_views.DoNotCallView.as_view(), name="do-not-call"),
    path("campaigns/<int:pk>/plans/<int:plan>/", campaigns_views.PlanView.as_view(), name="campaign-plan"),
    path("campaigns/<int:pk>/call-list/", campaigns_views.CallListBuildView.as_view(), name="campaign-call-list"),
    path("call-lists/<int:pk>/entries/", campaigns_views.CallEntryListView.as_view(), name="call-list-entries"),
    path(
        "call-lists/<int:pk>/entries/<int:entry>/outcome/",
        campaigns_views.CallOutcomeView.as_view(),
        name="call-entry-outcome",
    ),
    path("do-not-call/<str:mobile>/", campaigns_views.DoNotCallNumberView.as_view(), name="do-not-call-number"),
    path("tiering/recompute/", tiering_views.TierRecomputeView.as_view(), name="tier-recompute"),
    path("exports/tier-list.csv", tiering_views.TierListExportView.as_view(file_format="csv"), name="tier-list-csv"),
    path("exports/tier-list.xlsx", tiering_views.TierListExportView.as_view(file_format="xlsx"), name="tier-list-xlsx"),
    path("kpis/", kpis_views.KpiListView.as_view(), name="kpis"),
    path("", include(router.urls)),
]
