from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("kpis/", views.KpiListView.as_view(), name="kpis"),
]
