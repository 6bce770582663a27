from __future__ import annotations

from django.contrib import admin

from crm.admin import ProvincialStaffAdminMixin
from crm.visibility import visible_customers

from .models import TeamRole


@admin.register(TeamRole)
class TeamRoleAdmin(ProvincialStaffAdminMixin, admin.ModelAdmin):
    list_display = ["customer", "role", "user", "starts_on", "ends_on"]
    list_filter = ["role"]
    search_fields = ["=customer__code", "user__username"]
    autocomplete_fields = ["customer", "user"]
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).filter(customer__in=visible_customers(request.user))
