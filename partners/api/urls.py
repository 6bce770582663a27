from __future__ import annotations

from django.urls import path

from crm.api.routers import ApiRouter

from . import views

router = ApiRouter()
router.register("partners/commission-rules", views.CommissionRuleViewSet, basename="commission-rule")
router.register("partners", views.PartnerViewSet, basename="partner")

urlpatterns = [
    # commissions (酬金, issue 20): a month's settlements of a territory, and one partner's
    path("partners/settlements/", views.SettlementListView.as_view(), name="settlement-list"),
    path("partners/settlements/compute/", views.SettlementsComputeView.as_view(), name="settlements-compute"),
    path("partners/settlements/runs/<int:pk>/", views.SettlementJobView.as_view(), name="settlement-run"),
    path("partners/<int:pk>/settlements/", views.PartnerSettlementView.as_view(), name="partner-settlement"),
    path(
        "partners/<int:pk>/settlements/compute/",
        views.PartnerSettlementComputeView.as_view(),
        name="partner-settlement-compute",
    ),
    path(
        "partners/<int:pk>/settlements/approve/",
        views.PartnerSettlementApproveView.as_view(),
        name="partner-settlement-approve",
    ),
    path(
        "partners/<int:pk>/settlements/export.csv",
        views.PartnerSettlementExportView.as_view(file_format="csv"),
        name="partner-settlement-csv",
    ),
    path(
        "partners/<int:pk>/settlements/export.xlsx",
        views.PartnerSettlementExportView.as_view(file_format="xlsx"),
        name="partner-settlement-xlsx",
    ),
    *router.urls,
]
