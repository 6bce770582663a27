from __future__ import annotations

from django.contrib import admin

from crm.admin import ProvincialStaffAdminMixin

from . import selectors
from .models import Rule, RuleSet, TierJobRun


class RuleInline(admin.TabularInline):
    model = Rule
    extra = 0


@admin.register(RuleSet)
class RuleSetAdmin(ProvincialStaffAdminMixin, admin.ModelAdmin):
    list_display = ["name", "scope", "version", "status", "effective_on", "published_at"]
    list_filter = ["status"]
    inlines = [RuleInline]
    autocomplete_fields = ["scope"]

    def get_queryset(self, request):
        return selectors.rule_sets_for(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed if obj is None or not allowed else obj.editable_by(request.user)


@admin.register(TierJobRun)
class TierJobRunAdmin(ProvincialStaffAdminMixin, admin.ModelAdmin):
    list_display = [
        "started_at",
        "scope",
        "source",
        "status",
        "customers_seen",
        "customers_changed",
        "members_changed",
        "finished_at",
    ]
    list_filter = ["status", "source"]

    def get_queryset(self, request):
        return selectors.job_runs_for(request.user)

    def has_add_permission(self, request, *args) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
