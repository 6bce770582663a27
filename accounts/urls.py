from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("", views.CustomerListView.as_view(), name="customer-list"),
    path("new/", views.CustomerFormView.as_view(), name="customer-create"),
    path("<str:code>/", views.CustomerDetailView.as_view(), name="customer-detail"),
    path("<str:code>/edit/", views.CustomerFormView.as_view(), name="customer-edit"),
    path("<str:code>/history/", views.CustomerHistoryView.as_view(), name="customer-history"),
]
