from __future__ import annotations

from django.urls import path

from crm.api.routers import ApiRouter

from . import views

router = ApiRouter()
router.register("visits", views.VisitViewSet, basename="visit")

urlpatterns = [
    path("customers/<str:code>/team/", views.CustomerTeamView.as_view(), name="customer-team"),
    *router.urls,
]
