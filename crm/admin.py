from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Department, Region, Role, User


class ProvincialStaffAdminMixin:
    """Admin access for provincial staff and headquarters; deleting stays with headquarters."""

    def _allowed(self, request) -> bool:
        user = request.user
        return user.is_active and (user.sees_everything or user.role == Role.PROVINCIAL_STAFF)

    def has_module_permission(self, request) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request, *args) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._allowed(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.sees_everything


@admin.register(Region)
class RegionAdmin(ProvincialStaffAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]


@admin.register(Department)
class DepartmentAdmin(ProvincialStaffAdminMixin, admin.ModelAdmin):
    list_display = ["name", "region", "head"]
    search_fields = ["name", "region__name"]
    autocomplete_fields = ["region", "head"]


@admin.register(User)
class UserAdmin(ProvincialStaffAdminMixin, BaseUserAdmin):
    list_display = ["username", "last_name", "first_name", "role", "region", "department", "is_active"]
    list_filter = ["role", "is_active"]
    search_fields = ["username", "first_name", "last_name", "region__name", "department__name"]
    autocomplete_fields = ["region", "department"]
    fieldsets = (*BaseUserAdmin.fieldsets, (_("Organisation"), {"fields": ("role", "region", "department")}))
    add_fieldsets = (*BaseUserAdmin.add_fieldsets, (_("Organisation"), {"fields": ("role", "region", "department")}))
