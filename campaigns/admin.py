from __future__ import annotations

from django.contrib import admin

from accounts.models import Customer
from crm.admin import HeadquartersWritesMixin, ProvincialStaffAdminMixin
from crm.models import RegionLevel
from crm.permissions import may
from crm.visibility import filing_regions

from . import services
from .models import (
    Activity,
    Campaign,
    CampaignCreationRun,
    ChannelPolicy,
    CoverageThresholds,
    CustomerProduct,
    DoNotCall,
    Product,
)
from .selectors import activities_for, campaigns_for, creation_runs_for


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
        return super().get_queryset(request).filter(customer__in=Customer.objects.visible_to(request.user))


@admin.register(CoverageThresholds)
class CoverageThresholdsAdmin(HeadquartersWritesMixin, admin.ModelAdmin):
    list_display = ["idle_days", "fake_share", "thin_share", "updated_by", "updated_at"]
    readonly_fields = ["updated_by", "updated_at"]

    def has_add_permission(self, request, *args) -> bool:
        return super().has_add_permission(request, *args) and not CoverageThresholds.objects.exists()

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(ChannelPolicy)
class ChannelPolicyAdmin(ProvincialStaffAdminMixin, admin.ModelAdmin):
    """A province's rules of channels (issue 20): whom a sale is credited to (first or last touch) and the window of
    a withdrawn sale; provincial staff keep their province's."""

    list_display = ["province", "attribution", "withdrawal_days", "updated_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(province__in=filing_regions(request.user))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "province":
            field.queryset = field.queryset.filter(level=RegionLevel.PROVINCE)
        return field


@admin.register(DoNotCall)
class DoNotCallAdmin(ProvincialStaffAdminMixin, admin.ModelAdmin):
    list_display = ["mobile", "reason", "added_by", "added_at"]
    search_fields = ["=mobile", "reason"]
    readonly_fields = ["added_by", "added_at"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return may(request.user, "campaigns.manage_do_not_call")  # SPEC §6.3: removal needs them

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, *(["mobile"] if obj is not None else [])]

    def service_audits(self, change: bool) -> bool:
        return not change  # an addition goes through do_not_call_add, which writes the trail

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        # through the service, as the page and the API: the number leaves every open call list at once
        entry, _created = services.do_not_call_add(user=request.user, mobile=obj.mobile, reason=obj.reason)
        obj.pk, obj.added_by, obj.added_at = entry.pk, entry.added_by, entry.added_at


@admin.register(Campaign)
class CampaignAdmin(ProvincialStaffAdminMixin, admin.ModelAdmin):
    """Campaigns of the territory, to look up or correct; they are planned on the campaign form (which writes the
    plans), so not added here. Deleting one (with its plans and call lists) stays with headquarters."""

    list_display = ["name", "kind", "department", "region", "starts_on", "ends_on", "created_by"]
    list_filter = ["kind", "starts_on"]
    search_fields = ["name", "department__name"]
    list_select_related = ["department", "region", "created_by"]
    readonly_fields = ["department", "region", "segment", "target_products", "created_by", "created_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(pk__in=campaigns_for(request.user).values("pk"))

    def has_add_permission(self, request, *args) -> bool:
        return False


@admin.register(CampaignCreationRun)
class CampaignCreationRunAdmin(ProvincialStaffAdminMixin, admin.ModelAdmin):
    """Campaigns created by a worker, to look up (their errors in full); they are started on the campaign form."""

    list_display = ["started_at", "name", "region", "triggered_by", "status", "plans", "campaign", "finished_at"]
    list_filter = ["status"]
    search_fields = ["name"]

    def get_queryset(self, request):
        return creation_runs_for(request.user)

    def has_add_permission(self, request, *args) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Activity)
class ActivityAdmin(ProvincialStaffAdminMixin, admin.ModelAdmin):
    """Activities of the territory, to look up; they are recorded on the activity form, whose checks (a date that
    has passed, the campaign's department) the service holds. Deleting one stays with headquarters."""

    list_display = ["held_on", "place", "department", "campaign", "attendance", "new_subscriptions", "revenue"]
    list_filter = ["held_on"]
    search_fields = ["place", "department__name"]
    list_select_related = ["department", "campaign"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(pk__in=activities_for(request.user).values("pk"))

    def has_add_permission(self, request, *args) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
