from django.urls import path

from . import views

app_name = "tiering"

urlpatterns = [
    path("rule-sets/", views.RuleSetListView.as_view(), name="rule-sets"),
    path("rule-sets/<int:pk>/", views.RuleSetView.as_view(), name="rule-set"),
    path("rule-sets/<int:pk>/movers.csv", views.SimulationMoversExportView.as_view(), name="simulation-movers"),
    path("recompute/", views.RecomputeView.as_view(), name="recompute"),
    path("quota/", views.QuotaReportView.as_view(), name="quota"),
    # manual tier overrides (人工调级): requested on the customer page, decided from the staff's queue
    path("overrides/", views.OverrideQueueView.as_view(), name="overrides"),
    path("overrides/new/<str:code>/", views.TierOverrideRequestView.as_view(), name="override-request"),
    path("overrides/<int:pk>/decide/", views.OverrideDecideView.as_view(), name="override-decide"),
    path("overrides/<int:pk>/withdraw/", views.OverrideWithdrawView.as_view(), name="override-withdraw"),
    path("overrides/<int:pk>/remove/", views.OverrideRemoveView.as_view(), name="override-remove"),
]
