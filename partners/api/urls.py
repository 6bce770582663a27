from __future__ import annotations

from crm.api.routers import ApiRouter

from . import views

router = ApiRouter()
router.register("partners", views.PartnerViewSet, basename="partner")

urlpatterns = [*router.urls]
