from __future__ import annotations

from django.contrib import admin

from crm.admin import HeadquartersWritesMixin, ProvincialStaffAdminMixin
from crm.visibility import visible_customers

from .models import CoverageThresholds, CustomerProduct, DoNotCall, Product


@admin.register(Product)
class ProductAdmin(ProvincialStaffAdminMixin, admin.ModelAdmin):
    """The catalogue, edited by provincial staff (SPEC §6.1); taking a product off sale keeps its holdings."""

    list_display = ["code", "name", "category", "per_member", "is_active", "sort_order"]
    list_filter = ["category", "per_member", "is_active"]
    list_editable = ["sort_order", "is_active"]
    search_fields = ["code", "name"]

    def get_readonly_fields(self, request, obj=None):
        return ("code",) if obj is not None else ()  # holdings refer to the code


@admin.register(CustomerProduct)
class CustomerProductAdmin(ProvincialStaffAdminMixin, admin.ModelAdmin):
    list_display = ["customer", "product", "active_users", "monthly_revenue", "subscribed_on", "last_used_on"]
    list_filter = ["product"]
    search_fields = ["=customer__code", "customer__name"]
    autocomplete_fields = ["customer"]
    list_select_related = ["customer", "product"]
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).filter(customer__in=visible_customers(request.user))


@admin.register(CoverageThresholds)
class CoverageThresholdsAdmin(HeadquartersWritesMixin, admin.ModelAdmin):
    list_display = ["idle_days", "fake_share", "thin_share", "updated_by", "updated_at"]
    readonly_fields = ["updated_by", "updated_at"]

    def has_add_permission(self, request, *args) -> bool:
        return super().has_add_permission(request, *args) and not CoverageThresholds.objects.exists()

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(DoNotCall)
class DoNotCallAdmin(ProvincialStaffAdminMixin, admin.ModelAdmin):
    list_display = ["mobile", "reason", "added_by", "added_at"]
    search_fields = ["=mobile", "reason"]
    readonly_fields = ["added_by", "added_at"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_provincial_or_above  # SPEC §6.3: removal needs them

    def save_model(self, request, obj, form, change):
        if not change:
            obj.added_by = request.user
        super().save_model(request, obj, form, change)
