from django.urls import path

from . import views

app_name = "tiering"

urlpatterns = [
    path("rule-sets/", views.RuleSetListView.as_view(), name="rule-sets"),
    path("rule-sets/<int:pk>/", views.RuleSetView.as_view(), name="rule-set"),
    path("recompute/", views.RecomputeView.as_view(), name="recompute"),
    path("quota/", views.QuotaReportView.as_view(), name="quota"),
]
