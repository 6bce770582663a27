from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from campaigns.models import Product
from crm.models import Partner, PartnerKind, Region


class PartnerSerializer(serializers.ModelSerializer):
    """A partner company (合作伙伴): its kinds (one or more of `sales_agent` 营销代理商, `service_agent` 服务代理商,
    `solution_provider` 解决方案提供商), contract, territory (a region code), status and the products it may sell
    (codes)."""

    kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=PartnerKind.choices),
        allow_empty=False,
        help_text=_("One or more of: sales_agent, service_agent, solution_provider."),
    )
    region = serializers.SlugRelatedField(slug_field="code", queryset=Region.objects.all())
    products = serializers.SlugRelatedField(
        slug_field="code", many=True, queryset=Product.objects.all(), required=False, help_text=_("Product codes.")
    )
    staff_count = serializers.SerializerMethodField(help_text=_("How many users are its staff."))

    class Meta:
        model = Partner
        fields = [
            "id",
            "name",
            "uscc",
            "kinds",
            "region",
            "contract_starts_on",
            "contract_ends_on",
            "status",
            "products",
            "staff_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "staff_count", "created_at", "updated_at"]

    def get_staff_count(self, partner: Partner) -> int:
        return partner.staff.count()

    def validate_kinds(self, kinds: list[str]) -> list[str]:
        if len(set(kinds)) != len(kinds):
            raise serializers.ValidationError(_("Each kind is named once."))
        return kinds

    def validate(self, attrs: dict) -> dict:
        starts = attrs.get("contract_starts_on", getattr(self.instance, "contract_starts_on", None))
        ends = attrs.get("contract_ends_on", getattr(self.instance, "contract_ends_on", None))
        if starts and ends and ends < starts:
            raise serializers.ValidationError({"contract_ends_on": _("A contract cannot end before it starts.")})
        return attrs
