from __future__ import annotations

from django.contrib import admin

from accounts.models import Customer
from crm.admin import ProvincialStaffAdminMixin
from crm.permissions import is_headquarters, kept_scope

from . import services
from .models import ArrearsCase, ArrearsThreshold


@admin.register(ArrearsThreshold)
class ArrearsThresholdAdmin(ProvincialStaffAdminMixin, admin.ModelAdmin):
    """The same thresholds as /arrears/thresholds/; provincial staff only ever pick their own province."""

    list_display = ["region", "tier", "amount", "updated_by", "updated_at"]
    list_filter = ["tier"]
    readonly_fields = ["updated_by", "updated_at"]

    def get_queryset(self, request):
        rows = super().get_queryset(request).select_related("region", "updated_by")
        if is_headquarters(request.user):
            return rows
        kept = kept_scope(request.user)
        return rows.filter(region=kept) if kept is not None else rows.none()

    def service_audits(self, change: bool) -> bool:
        return True  # saved through arrears_thresholds_set, which asks its rule and writes the trail

    def save_model(self, request, obj, form, change):
        stored = ArrearsThreshold.objects.filter(pk=obj.pk).first() if change and obj.pk is not None else None
        if stored is not None and (stored.region_id, stored.tier) != (obj.region_id, obj.tier):
            services.arrears_thresholds_set(user=request.user, region=stored.region, amounts={stored.tier: None})
        services.arrears_thresholds_set(user=request.user, region=obj.region, amounts={obj.tier: obj.amount})
        row = ArrearsThreshold.objects.get(region=obj.region, tier=obj.tier)
        obj.pk, obj.updated_by, obj.updated_at = row.pk, row.updated_by, row.updated_at

    def delete_model(self, request, obj):
        services.arrears_thresholds_set(user=request.user, region=obj.region, amounts={obj.tier: None})

    def delete_queryset(self, request, queryset):
        for obj in queryset.select_related("region"):
            self.delete_model(request, obj)


@admin.register(ArrearsCase)
class ArrearsCaseAdmin(ProvincialStaffAdminMixin, admin.ModelAdmin):
    """Collection cases, to read: they open and close with the billing imports, and move with their outcomes."""

    list_display = ["customer", "status", "opened_on", "amount", "due_on", "billing_manager", "second_manager"]
    list_filter = ["status"]
    raw_id_fields = ["customer", "billing_manager", "second_manager"]

    def get_queryset(self, request):
        cases = super().get_queryset(request).select_related("customer", "billing_manager", "second_manager")
        return Customer.objects.restrict(cases, request.user)  # the cases of the customers the user sees

    def has_add_permission(self, request, *args) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
