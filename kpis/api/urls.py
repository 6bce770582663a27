from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("kpis/", views.KpiListView.as_view(), name="kpis"),
    path("kpis/product-revenue/", views.ProductRevenueListView.as_view(), name="kpis-product-revenue"),
]
