from __future__ import annotations

from django.contrib import admin

from crm.admin import ProvincialStaffAdminMixin
from crm.visibility import territory_path

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


@admin.register(NewCustomerTarget)
class NewCustomerTargetAdmin(TerritoryAdmin):
    list_display = ["region", "year", "target"]
    list_filter = ["year"]


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
