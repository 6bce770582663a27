from __future__ import annotations

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Department, Region, Role, User
from .permissions import may
from .visibility import filing_regions, territory_departments


def staff_in_territory(user: User):
    """Staff whose home region lies in the user's territory: the people a provincial admin may manage."""
    if user.sees_everything:
        return User.objects.all()
    return User.objects.filter(region__in=filing_regions(user))


class ProvincialStaffAdminMixin:
    """Admin access for provincial staff and headquarters, confined to the user's territory.

    Deleting stays with headquarters. Every foreign key to a customer, region, department or member of staff only
    offers (and only accepts) what lies in the user's territory.
    """

    def _allowed(self, request) -> bool:
        user = request.user
        return may(user, "admin.use")

    def has_module_permission(self, request) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request, *args) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._allowed(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return may(request.user, "admin.delete")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        model = db_field.remote_field.model
        user = request.user
        visible_to = getattr(model._default_manager, "visible_to", None)
        if visible_to is not None:  # a model that knows who may see it (customers): only those rows
            kwargs["queryset"] = visible_to(user)
        elif model is Region:
            kwargs["queryset"] = filing_regions(user)
        elif model is Department:
            kwargs["queryset"] = territory_departments(user)
        elif model is User:
            kwargs["queryset"] = staff_in_territory(user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class HeadquartersWritesMixin(ProvincialStaffAdminMixin):
    """National reference data: provincial staff may look, headquarters maintains it."""

    def has_add_permission(self, request, *args) -> bool:
        return may(request.user, "admin.change_reference_data")

    def has_change_permission(self, request, obj=None) -> bool:
        return may(request.user, "admin.change_reference_data")


@admin.register(Region)
class RegionAdmin(HeadquartersWritesMixin, admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]


@admin.register(Department)
class DepartmentAdmin(ProvincialStaffAdminMixin, admin.ModelAdmin):
    list_display = ["name", "region", "head"]
    search_fields = ["name", "region__name"]
    autocomplete_fields = ["region", "head"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(region__in=filing_regions(request.user))


@admin.register(User)
class UserAdmin(ProvincialStaffAdminMixin, BaseUserAdmin):
    list_display = ["username", "last_name", "first_name", "role", "region", "department", "is_active"]
    list_filter = ["role", "is_active"]
    search_fields = ["username", "first_name", "last_name", "region__name", "department__name"]
    autocomplete_fields = ["region", "department"]
    fieldsets = (*BaseUserAdmin.fieldsets, (_("Organisation"), {"fields": ("role", "region", "department")}))
    add_fieldsets = (*BaseUserAdmin.add_fieldsets, (_("Organisation"), {"fields": ("role", "region", "department")}))

    def get_queryset(self, request):
        return staff_in_territory(request.user)

    def get_readonly_fields(self, request, obj=None):
        if request.user.sees_everything:
            return ()
        # Only headquarters grants administrative rights.
        return ("is_staff", "is_superuser", "groups", "user_permissions")

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role" and not request.user.sees_everything:
            kwargs["choices"] = [choice for choice in Role.choices if choice[0] != Role.HQ_ADMIN]
        return super().formfield_for_choice_field(db_field, request, **kwargs)


# Failed logins and locks (django-axes): provincial staff unlock their province's staff, headquarters anyone, by
# deleting the record; nobody writes one by hand. Replaces axes' own admin, which Django's model permissions guard.
if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class LockoutAdmin(ProvincialStaffAdminMixin, AccessAttemptAdmin):
    actions = ["delete_selected"]

    def get_queryset(self, request):
        usernames = staff_in_territory(request.user).values("username")
        return super().get_queryset(request).filter(username__in=usernames)

    def has_add_permission(self, request, *args) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._allowed(request)
