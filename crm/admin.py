from __future__ import annotations

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from . import audit
from .forms import AdminLoginForm
from .models import AuditAction, Department, Partner, Region, Role, User
from .notifications import robot_audited
from .permissions import may
from .visibility import filing_regions, territory_departments, visible_partners

# The admin carries the product's name, not Django's ("Django 管理"), in the user's language; its own stylesheet
# and icon are added by templates/admin/base_site.html.
admin.site.site_header = _("Group-customer CRM")
admin.site.site_title = _("Group-customer CRM")
admin.site.index_title = _("Administration")
admin.site.login_form = AdminLoginForm


def staff_in_territory(user: User):
    """Staff whose home region lies in the user's territory: the people a provincial admin may manage."""
    if user.sees_everything:
        return User.objects.all()
    return User.objects.filter(region__in=filing_regions(user))


# What the audit trail never copies from a record the admin writes.
UNAUDITED_FIELDS = {"password", "last_login"}


class ProvincialStaffAdminMixin:
    """Admin access for provincial staff and headquarters, confined to the user's territory.

    Deleting stays with headquarters. Every foreign key to a customer, region, department or member of staff only
    offers (and only accepts) what lies in the user's territory. Every record the admin adds, changes or deletes
    goes to the audit trail (channel `admin`) with each field's old and new value, unless `service_audits` says
    the service the admin saves through records it.
    """

    def service_audits(self, change: bool) -> bool:
        """Whether the save goes through a service that writes the audit trail itself."""
        return False

    @staticmethod
    def _audit_facts(obj) -> dict:
        facts = {
            field.name: audit.plain(getattr(obj, field.attname))
            for field in obj._meta.concrete_fields
            if field.name not in UNAUDITED_FIELDS and not getattr(field, "auto_now", False)
        }
        # A department's robot only in part: its webhook key and signing secret let anyone post to the group.
        facts = robot_audited(facts)
        if obj.pk is not None:
            for field in obj._meta.many_to_many:
                facts[field.name] = sorted(str(pk) for pk in getattr(obj, field.name).values_list("pk", flat=True))
        return facts

    @staticmethod
    def _audit_customer(obj):
        from django.apps import apps

        customer_model = apps.get_model("accounts", "Customer")
        if isinstance(obj, customer_model):
            return obj
        customer_id = getattr(obj, "customer_id", None)
        return customer_model.objects.select_related("region").filter(pk=customer_id).first() if customer_id else None

    def save_model(self, request, obj, form, change):
        stored = type(obj)._default_manager.filter(pk=obj.pk).first() if change and obj.pk is not None else None
        request.audit_before = self._audit_facts(stored) if stored is not None else {}  # before the row changes
        super().save_model(request, obj, form, change)  # type: ignore[misc]

    def save_related(self, request, form, formsets, change):
        # the inline rows to delete, read while they still have their id
        doomed = [
            (inline.instance, str(inline.instance.pk), self._audit_facts(inline.instance))
            for formset in formsets
            for inline in getattr(formset, "deleted_forms", [])
            if inline.instance.pk is not None
        ]
        super().save_related(request, form, formsets, change)  # type: ignore[misc]
        self._audit_inlines(request, formsets, doomed)
        if self.service_audits(change) or not hasattr(request, "audit_before"):
            return
        obj = form.instance
        if changes := audit.diff(request.audit_before, self._audit_facts(obj)):
            audit.record(
                user=request.user,
                action=AuditAction.UPDATE if change else AuditAction.CREATE,
                obj=obj,
                customer=self._audit_customer(obj),
                changes=changes,
            )

    def _audit_inlines(self, request, formsets, doomed) -> None:
        """The rows of the page's inlines (a customer's key persons) added, changed and deleted: saved directly by
        their formsets, whatever saves the record above them."""
        for formset in formsets:
            initial = {id(inline.instance): inline.initial for inline in formset.initial_forms}
            for obj in formset.new_objects:
                self._audit_row(request, AuditAction.CREATE, obj, audit.diff({}, self._audit_facts(obj)))
            for obj, names in formset.changed_objects:
                before = {name: initial.get(id(obj), {}).get(name) for name in names}
                after = {name: getattr(obj, name) for name in names}
                self._audit_row(request, AuditAction.UPDATE, obj, audit.diff(before, after))
        for obj, pk, facts in doomed:
            self._audit_row(request, AuditAction.DELETE, obj, audit.diff(facts, {}), object_id=pk)

    def _audit_row(self, request, action: str, obj, changes: dict, object_id: str = "") -> None:
        if changes or action != AuditAction.UPDATE:
            audit.record(
                user=request.user,
                action=action,
                obj=obj,
                object_id=object_id,
                customer=self._audit_customer(obj),
                changes=changes,
            )

    def _audit_deleted(self, request, obj) -> None:
        self._audit_row(request, AuditAction.DELETE, obj, audit.diff(self._audit_facts(obj), {}))

    def delete_model(self, request, obj):
        self._audit_deleted(request, obj)
        super().delete_model(request, obj)  # type: ignore[misc]

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self._audit_deleted(request, obj)
        super().delete_queryset(request, queryset)  # type: ignore[misc]

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
        elif model is Partner:
            kwargs["queryset"] = visible_partners(user)
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
    # The group robot is the head's to set, on its own page (audited, its key never shown to others).
    fields = ["name", "region", "head"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(region__in=filing_regions(request.user))


@admin.register(Partner)
class PartnerAdmin(ProvincialStaffAdminMixin, admin.ModelAdmin):
    """Partner companies (issue 20) working in the territory, as the API registers and changes them."""

    list_display = ["name", "uscc", "region", "contract_starts_on", "contract_ends_on", "status"]
    list_filter = ["status"]
    search_fields = ["name", "=uscc"]
    autocomplete_fields = ["region"]

    def get_queryset(self, request):
        return visible_partners(request.user)


@admin.register(User)
class UserAdmin(ProvincialStaffAdminMixin, BaseUserAdmin):
    list_display = ["username", "last_name", "first_name", "role", "region", "department", "is_active"]
    list_filter = ["role", "is_active"]
    search_fields = ["username", "first_name", "last_name", "region__name", "department__name"]
    autocomplete_fields = ["region", "department"]
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Organisation"), {"fields": ("role", "region", "department", "partner")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (_("Organisation"), {"fields": ("role", "region", "department", "partner")}),
    )

    def get_queryset(self, request):
        return staff_in_territory(request.user)

    def get_readonly_fields(self, request, obj=None):
        if request.user.sees_everything:
            return ()
        # Only headquarters grants administrative rights.
        return ("is_staff", "is_superuser", "groups", "user_permissions")

    def log_change(self, request, obj, message):
        """Django's own admin log; a password set on the admin's password page goes to the audit trail as well
        (that it changed, never the hash: the page saves the user itself, not through `save_model`)."""
        entry = super().log_change(request, obj, message)
        if request.path.rstrip("/").endswith("/password"):
            audit.record(user=request.user, action=AuditAction.UPDATE, obj=obj, changes={"password": ["***", "***"]})
        return entry

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
