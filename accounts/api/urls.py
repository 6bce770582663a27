from __future__ import annotations

from django.urls import path

from crm.api.routers import ApiRouter

from . import views

router = ApiRouter()
router.register("industries", views.IndustryViewSet, basename="industry")
router.register("customers", views.CustomerViewSet, basename="customer")

# A customer's sub-resources come before the router's `customers/<code>/`, whose code may hold any character but "/".
urlpatterns = [
    path("customers/<str:code>/key-persons/", views.KeyPersonListCreateView.as_view(), name="customer-key-persons"),
    path("customers/<str:code>/members/", views.GroupMemberListCreateView.as_view(), name="customer-members"),
    path("customers/<str:code>/history/", views.CustomerHistoryView.as_view(), name="customer-history"),
    *router.urls,
]
