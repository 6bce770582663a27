from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from crm.admin import ProvincialStaffAdminMixin

from . import selectors, services
from .models import Customer, GroupMember, Industry, KeyPerson
from .rules import vip_level_for


@admin.register(Industry)
class IndustryAdmin(ProvincialStaffAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "section", "segment"]
    list_filter = ["segment", "section"]
    search_fields = ["code", "name"]


class KeyPersonInline(admin.TabularInline):
    model = KeyPerson
    extra = 0


@admin.register(Customer)
class CustomerAdmin(ProvincialStaffAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "region", "industry", "tier", "handset_count", "monthly_spend", "status"]
    list_filter = ["status", "tier", "list_level", "industry__segment"]
    search_fields = ["=code", "name", "=uscc"]
    autocomplete_fields = ["region", "parent"]
    readonly_fields = ["tier", "tier_reasons", "created_at", "updated_at"]
    inlines = [KeyPersonInline]
    list_select_related = ["region", "industry"]
    show_full_result_count = False

    def get_queryset(self, request):
        return Customer.objects.visible_to(request.user)

    def service_audits(self, change: bool) -> bool:
        return True  # customer_create and customer_update write the trail

    def save_model(self, request, obj, form, change):
        data = {
            name: form.cleaned_data[name] for name in form.changed_data if name in services.CUSTOMER_WRITABLE_FIELDS
        }
        if change:
            services.customer_update(user=request.user, customer=obj, data=data)
        else:
            saved = services.customer_create(user=request.user, data=data)
            obj.pk = saved.pk


@admin.register(KeyPerson)
class KeyPersonAdmin(ProvincialStaffAdminMixin, admin.ModelAdmin):
    list_display = ["name", "title", "mobile", "customer", "is_decision_maker"]
    search_fields = ["name", "mobile", "=customer__code"]
    autocomplete_fields = ["customer"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(customer__in=Customer.objects.visible_to(request.user))


class MembershipFilter(admin.SimpleListFilter):
    """Current members, or those a replacing import marked as left (kept for their history)."""

    title = _("membership")
    parameter_name = "membership"

    def lookups(self, request, model_admin):
        return [("current", _("Current members")), ("left", _("Left"))]

    def queryset(self, request, queryset):
        if self.value() == "current":
            return queryset.filter(selectors.member_current())
        if self.value() == "left":
            return queryset.exclude(selectors.member_current())
        return queryset


@admin.register(GroupMember)
class GroupMemberAdmin(ProvincialStaffAdminMixin, admin.ModelAdmin):
    list_display = ["name", "mobile", "customer", "on_net", "verified", "arpu", "vip_level", "left_on"]
    list_filter = [MembershipFilter, "on_net", "verified", "vip_level"]
    search_fields = ["name", "=mobile", "=customer__code"]
    autocomplete_fields = ["customer"]
    readonly_fields = ["vip_level", "left_on"]
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).filter(customer__in=Customer.objects.visible_to(request.user))

    def save_model(self, request, obj, form, change):
        obj.vip_level = vip_level_for(obj.arpu)
        super().save_model(request, obj, form, change)
