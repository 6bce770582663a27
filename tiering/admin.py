from __future__ import annotations

from django.contrib import admin
from django.db.models import Q

from crm.admin import ProvincialStaffAdminMixin
from crm.visibility import filing_regions

from .models import Rule, RuleSet, RuleSetStatus, TierJobRun


class RuleInline(admin.TabularInline):
    model = Rule
    extra = 0


def _own_scope(request):
    """The national set (to read) and the rule sets of the user's own territory."""
    if request.user.sees_everything:
        return Q()
    return Q(scope_id="000000") | Q(scope__in=filing_regions(request.user))


@admin.register(RuleSet)
class RuleSetAdmin(ProvincialStaffAdminMixin, admin.ModelAdmin):
    list_display = ["name", "scope", "version", "status", "effective_on", "published_at"]
    list_filter = ["status"]
    inlines = [RuleInline]
    autocomplete_fields = ["scope"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(_own_scope(request))

    def has_change_permission(self, request, obj=None) -> bool:
        allowed = super().has_change_permission(request, obj)
        if obj is None or not allowed:
            return allowed
        # Published and retired sets are history: only drafts change, and only in one's own scope.
        own = request.user.sees_everything or obj.scope_id != "000000"
        return obj.status == RuleSetStatus.DRAFT and own


@admin.register(TierJobRun)
class TierJobRunAdmin(ProvincialStaffAdminMixin, admin.ModelAdmin):
    list_display = ["started_at", "scope", "source", "status", "customers_seen", "customers_changed", "finished_at"]
    list_filter = ["status", "source"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(_own_scope(request))

    def has_add_permission(self, request, *args) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
