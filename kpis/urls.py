from django.urls import path

from . import views

app_name = "kpis"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("targets/", views.TargetsView.as_view(), name="targets"),
    path("recompute/", views.RecomputeView.as_view(), name="recompute"),
]
