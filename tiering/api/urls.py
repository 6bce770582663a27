from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("customers/<str:code>/tier/", views.CustomerTierView.as_view(), name="customer-tier"),
    path("customers/<str:code>/tier-override/", views.TierOverrideView.as_view(), name="customer-tier-override"),
    path("tiering/recompute/", views.TierRecomputeView.as_view(), name="tier-recompute"),
    path("exports/tier-list.csv", views.TierListExportView.as_view(file_format="csv"), name="tier-list-csv"),
    path("exports/tier-list.xlsx", views.TierListExportView.as_view(file_format="xlsx"), name="tier-list-xlsx"),
]
