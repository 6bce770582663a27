from django.urls import path

from . import grids, views

app_name = "kpis"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("targets/", views.TargetsView.as_view(), name="targets"),
    path("product-targets/", views.ProductTargetsView.as_view(), name="product-targets"),
    path("recompute/", views.RecomputeView.as_view(), name="recompute"),
    # grids (网格, issue 21): the territory's grids, and one grid's page
    path("grids/", grids.GridListView.as_view(), name="grids"),
    path("grids/<str:code>/", grids.GridView.as_view(), name="grid"),
]
