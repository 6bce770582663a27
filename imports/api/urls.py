from __future__ import annotations

from django.urls import path

from crm.api.routers import ApiRouter

from . import views

router = ApiRouter()
router.register("imports", views.ImportRunViewSet, basename="import-run")

urlpatterns = [
    path("imports/<int:pk>/errors.csv", views.ImportErrorFileView.as_view(), name="import-run-errors"),
    path(
        "imports/templates/<str:kind>.xlsx",
        views.ImportTemplateView.as_view(file_format="xlsx"),
        name="import-template-xlsx",
    ),
    path(
        "imports/templates/<str:kind>.csv",
        views.ImportTemplateView.as_view(file_format="csv"),
        name="import-template-csv",
    ),
    *router.urls,
]
