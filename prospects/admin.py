from __future__ import annotations

from django.contrib import admin

from crm.admin import ProvincialStaffAdminMixin
from crm.visibility import territory_path

from . import services
from .models import ClaimRule, NewCustomerTarget, ProfileTarget, Prospect


class TerritoryAdmin(ProvincialStaffAdminMixin, admin.ModelAdmin):
    """Rows of the user's territory only (provincial staff: their province; headquarters: all)."""

    def get_queryset(self, request):
        rows = super().get_queryset(request).select_related("region")
        path = territory_path(request.user)
        if path is None:
            return rows.none()
        return rows.filter(region__path__startswith=path) if path else rows


@admin.register(ClaimRule)
class ClaimRuleAdmin(TerritoryAdmin):
    """How many prospects one manager may hold in a province, and after how many days without a visit a claim goes
    back to the pool (公海)."""

    list_display = ["region", "max_claimed", "return_after_days"]

    def service_audits(self, change: bool) -> bool:
        return True  # saved through claim_rule_set, which asks its rule and writes the trail

    def save_model(self, request, obj, form, change):
        stored = ClaimRule.objects.filter(pk=obj.pk).select_related("region").first() if change else None
        if stored is not None and stored.region_id != obj.region_id:
            services.claim_rule_set(user=request.user, region=stored.region, max_claimed=None, return_after_days=None)
        rule = services.claim_rule_set(
            user=request.user, region=obj.region, max_claimed=obj.max_claimed, return_after_days=obj.return_after_days
        )
        if rule is not None:
            obj.pk = rule.pk

    def delete_model(self, request, obj):
        services.claim_rule_set(user=request.user, region=obj.region, max_claimed=None, return_after_days=None)

    def delete_queryset(self, request, queryset):
        for obj in queryset.select_related("region"):
            self.delete_model(request, obj)


@admin.register(NewCustomerTarget)
class NewCustomerTargetAdmin(TerritoryAdmin):
    """Kept on the targets page (`/prospects/targets/`); the admin saves through the same service."""

    list_display = ["region", "year", "target"]
    list_filter = ["year"]

    def service_audits(self, change: bool) -> bool:
        return True  # saved through new_customer_target_set, which asks its rule and writes the trail

    def save_model(self, request, obj, form, change):
        stored = NewCustomerTarget.objects.filter(pk=obj.pk).select_related("region").first() if change else None
        if stored is not None and (stored.region_id, stored.year) != (obj.region_id, obj.year):
            services.new_customer_target_set(user=request.user, region=stored.region, year=stored.year, target=None)
        target = services.new_customer_target_set(
            user=request.user, region=obj.region, year=obj.year, target=obj.target
        )
        if target is not None:
            obj.pk = target.pk

    def delete_model(self, request, obj):
        services.new_customer_target_set(user=request.user, region=obj.region, year=obj.year, target=None)

    def delete_queryset(self, request, queryset):
        for obj in queryset.select_related("region"):
            self.delete_model(request, obj)


@admin.register(ProfileTarget)
class ProfileTargetAdmin(TerritoryAdmin):
    list_display = ["region", "tier", "rate"]
    list_filter = ["tier"]


@admin.register(Prospect)
class ProspectAdmin(TerritoryAdmin):
    """Prospects are filed, claimed and converted on their pages; the admin reads them."""

    list_display = ["name", "region", "status", "claimed_by", "claimed_at", "created_at"]
    list_filter = ["status"]
    search_fields = ["name", "uscc"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
