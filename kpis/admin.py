from __future__ import annotations

from django.contrib import admin

from crm.admin import ProvincialStaffAdminMixin
from crm.permissions import is_headquarters, kept_scope

from . import selectors, services
from .models import KpiJobRun, KpiTarget, ProductRevenueTarget, VisitCompliancePolicy


def kept_rows(rows, user):
    """The rows of a province's settings the user keeps: every one for headquarters (a superuser made with
    `createsuperuser` included, who has no home region), their province's for provincial staff, none for anyone
    else — staff without a home region too (`kept_scope`), never a server error."""
    if is_headquarters(user):
        return rows
    kept = kept_scope(user)
    return rows.filter(region=kept) if kept is not None else rows.none()


@admin.register(KpiTarget)
class KpiTargetAdmin(ProvincialStaffAdminMixin, admin.ModelAdmin):
    """The same targets as /kpis/targets/; provincial staff only ever pick their own province."""

    list_display = ["metric", "region", "value", "updated_by", "updated_at"]
    list_filter = ["metric"]
    readonly_fields = ["updated_by", "updated_at"]

    def get_queryset(self, request):
        targets = super().get_queryset(request).select_related("region", "updated_by")
        return kept_rows(targets, request.user)

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(VisitCompliancePolicy)
class VisitCompliancePolicyAdmin(ProvincialStaffAdminMixin, admin.ModelAdmin):
    """Each province chooses whether visit compliance counts only verified on-site visits (外勤签到); provincial
    staff set their own province's, headquarters any."""

    list_display = ["region", "verified_only", "updated_by", "updated_at"]
    readonly_fields = ["updated_by", "updated_at"]

    def get_queryset(self, request):
        policies = super().get_queryset(request).select_related("region", "updated_by")
        return kept_rows(policies, request.user)

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(KpiJobRun)
class KpiJobRunAdmin(ProvincialStaffAdminMixin, admin.ModelAdmin):
    list_display = ["started_at", "period", "as_of", "source", "status", "customers_seen", "snapshots_written"]
    list_filter = ["status", "source"]

    def get_queryset(self, request):
        return selectors.runs_for(request.user)

    def has_add_permission(self, request, *args) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ProductRevenueTarget)
class ProductRevenueTargetAdmin(ProvincialStaffAdminMixin, admin.ModelAdmin):
    """The same targets as /kpis/product-targets/; provincial staff only ever pick their own province."""

    list_display = ["region", "product", "year", "month", "amount", "updated_by", "updated_at"]
    list_filter = ["year", "product"]
    readonly_fields = ["updated_by", "updated_at"]

    def get_queryset(self, request):
        targets = super().get_queryset(request).select_related("region", "product", "updated_by")
        return kept_rows(targets, request.user)

    def service_audits(self, change: bool) -> bool:
        return True  # saved through product_revenue_target_set, which asks its rule and writes the trail

    @staticmethod
    def _key(obj) -> dict:
        return {"region": obj.region, "product": obj.product, "year": obj.year, "month": obj.month}

    def save_model(self, request, obj, form, change):
        stored = ProductRevenueTarget.objects.filter(pk=obj.pk).first() if change and obj.pk is not None else None
        if stored is not None and self._key(stored) != self._key(obj):
            services.product_revenue_target_set(user=request.user, amount=None, **self._key(stored))
        target = services.product_revenue_target_set(user=request.user, amount=obj.amount, **self._key(obj))
        if target is not None:
            obj.pk, obj.updated_by, obj.updated_at = target.pk, target.updated_by, target.updated_at

    def delete_model(self, request, obj):
        services.product_revenue_target_set(user=request.user, amount=None, **self._key(obj))

    def delete_queryset(self, request, queryset):
        for obj in queryset.select_related("region", "product"):
            self.delete_model(request, obj)
