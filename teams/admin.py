from __future__ import annotations

from django.contrib import admin

from accounts.models import Customer
from crm.admin import ProvincialStaffAdminMixin

from .models import ServiceStandard, TeamRole, VipAssignment, Visit
from .services import CHECK_IN_FIELDS, CHECK_OUT_FIELDS, STANDARD_FIELDS, service_standard_update


@admin.register(TeamRole)
class TeamRoleAdmin(ProvincialStaffAdminMixin, admin.ModelAdmin):
    list_display = ["customer", "role", "user", "starts_on", "ends_on"]
    list_filter = ["role"]
    search_fields = ["=customer__code", "user__username"]
    autocomplete_fields = ["customer", "user"]
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).filter(customer__in=Customer.objects.visible_to(request.user))


@admin.register(ServiceStandard)
class ServiceStandardAdmin(ProvincialStaffAdminMixin, admin.ModelAdmin):
    list_display = ["tier", "period", "visits_required", "visits_role", "visits_role_required", "updated_at"]
    readonly_fields = ["updated_at", "updated_by"]

    def service_audits(self, change: bool) -> bool:
        return True  # service_standard_update writes the trail

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in form.changed_data if name in STANDARD_FIELDS}
        service_standard_update(by=request.user, standard=obj, data=data)


@admin.register(Visit)
class VisitAdmin(ProvincialStaffAdminMixin, admin.ModelAdmin):
    list_display = ["customer", "visited_at", "visitor", "visitor_role", "kind", "verified"]
    list_filter = ["kind", "visitor_role", "verified"]
    search_fields = ["=customer__code", "visitor__username"]
    autocomplete_fields = ["customer", "visitor", "staff_present", "key_persons"]
    date_hierarchy = "visited_at"
    show_full_result_count = False
    # What the phone reported at check-in and what it proved: shown, never typed in here.
    readonly_fields = [*CHECK_IN_FIELDS, *CHECK_OUT_FIELDS, "distance_m", "verified", "unverified_reason"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(customer__in=Customer.objects.visible_to(request.user))


@admin.register(VipAssignment)
class VipAssignmentAdmin(ProvincialStaffAdminMixin, admin.ModelAdmin):
    """Personal VIPs in their managers' care (SPEC §4.3), read here; they are dealt and moved from the load page."""

    list_display = ["member", "manager", "starts_on", "ends_on", "assigned_by"]
    search_fields = ["=member__customer__code", "manager__username"]
    list_select_related = ["member", "manager", "assigned_by"]
    show_full_result_count = False

    def get_queryset(self, request):
        visible = Customer.objects.visible_to(request.user)
        return super().get_queryset(request).filter(member__customer__in=visible)

    def has_add_permission(self, request, *args) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
