from django.urls import path

from . import views

app_name = "partners"

urlpatterns = [
    # commissions (酬金): a month's settlements, computed and approved by provincial staff, read by partner staff
    path("settlements/", views.SettlementListView.as_view(), name="settlements"),
    path("settlements/compute/", views.SettlementsComputeView.as_view(), name="settlements-compute"),
    path("settlements/<int:pk>/", views.SettlementView.as_view(), name="settlement"),
    path("settlements/<int:pk>/approve/", views.SettlementApproveView.as_view(), name="settlement-approve"),
    # commission rules (酬金规则): provincial staff keep their province's, headquarters the national ones
    path("commission-rules/", views.CommissionRuleListView.as_view(), name="commission-rules"),
    path("commission-rules/new/", views.CommissionRuleFormView.as_view(), name="commission-rule-create"),
    path("commission-rules/<int:pk>/", views.CommissionRuleFormView.as_view(), name="commission-rule"),
    path("commission-rules/<int:pk>/end/", views.CommissionRuleEndView.as_view(), name="commission-rule-end"),
]
