from __future__ import annotations

from crm.api.routers import ApiRouter

from . import views

router = ApiRouter()
router.register("prospects", views.ProspectViewSet, basename="prospect")

urlpatterns = router.urls
