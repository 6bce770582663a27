from django.urls import path

from . import views

app_name = "partners"

urlpatterns = [
    # commissions (酬金): a month's settlements, computed and approved by provincial staff, read by partner staff
    path("settlements/", views.SettlementListView.as_view(), name="settlements"),
    path("settlements/compute/", views.SettlementsComputeView.as_view(), name="settlements-compute"),
    path("settlements/<int:pk>/", views.SettlementView.as_view(), name="settlement"),
    path("settlements/<int:pk>/approve/", views.SettlementApproveView.as_view(), name="settlement-approve"),
]
