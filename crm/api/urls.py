"""The project's API router module, mounted at /api/v1/: the ground floor's own routes, then each app's routes,
included by dotted path so that the ground floor imports no app (see `crm.api.routers`)."""

from __future__ import annotations

from django.urls import include, path

from . import views
from .notifications import NotificationViewSet
from .routers import ApiRouter, api_root_urls

router = ApiRouter()
router.register("regions", views.RegionViewSet, basename="region")
router.register("departments", views.DepartmentViewSet, basename="department")
router.register("audit", views.AuditViewSet, basename="audit")
router.register("notifications", NotificationViewSet, basename="notification")

urlpatterns = [
    path("auth/token/", views.TokenLoginView.as_view(), name="auth-token"),
    path("auth/logout/", views.TokenLogoutView.as_view(), name="auth-logout"),
    *router.urls,
    path("", include("accounts.api.urls")),
    path("", include("tiering.api.urls")),
    path("", include("teams.api.urls")),
    path("", include("campaigns.api.urls")),
    path("", include("arrears.api.urls")),
    path("", include("kpis.api.urls")),
    path("", include("imports.api.urls")),
    path("", include("partners.api.urls")),
    path("", include("prospects.api.urls")),
    *api_root_urls(),
]
