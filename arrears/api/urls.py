from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("customers/<str:code>/arrears/", views.CustomerArrearsView.as_view(), name="customer-arrears"),
    path("customers/<str:code>/arrears/outcomes/", views.OutcomeCreateView.as_view(), name="customer-arrears-outcome"),
]
