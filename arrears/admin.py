from __future__ import annotations

from django.contrib import admin

from crm.admin import ProvincialStaffAdminMixin
from crm.visibility import province_path

from .models import ArrearsCase, ArrearsThreshold


@admin.register(ArrearsThreshold)
class ArrearsThresholdAdmin(ProvincialStaffAdminMixin, admin.ModelAdmin):
    """The same thresholds as /arrears/thresholds/; provincial staff only ever pick their own province."""

    list_display = ["region", "tier", "amount", "updated_by", "updated_at"]
    list_filter = ["tier"]
    readonly_fields = ["updated_by", "updated_at"]

    def get_queryset(self, request):
        rows = super().get_queryset(request).select_related("region", "updated_by")
        if request.user.sees_everything:
            return rows
        return rows.filter(region__path=province_path(request.user.region))

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(ArrearsCase)
class ArrearsCaseAdmin(ProvincialStaffAdminMixin, admin.ModelAdmin):
    """Collection cases, to read: they open and close with the billing imports, and move with their outcomes."""

    list_display = ["customer", "status", "opened_on", "amount", "due_on", "billing_manager", "second_manager"]
    list_filter = ["status"]
    raw_id_fields = ["customer", "billing_manager", "second_manager"]

    def get_queryset(self, request):
        cases = super().get_queryset(request).select_related("customer", "billing_manager", "second_manager")
        if request.user.sees_everything:
            return cases
        return cases.filter(customer__region__path__startswith=province_path(request.user.region))

    def has_add_permission(self, request, *args) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
