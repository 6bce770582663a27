from __future__ import annotations

from rest_framework import serializers

from accounts.validators import validate_mobile
from crm.api.serializers import StrictModelSerializer
from crm.models import Department, Region

from ..models import Campaign, CustomerPlan, CustomerProduct, DoNotCall, PlanStage, Product
from ..rules import COVERED, FAKE, THIN, UNCOVERED, mask_mobile
from ..selectors import conflicts_of


class ProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ["code", "name", "category", "per_member"]


class HoldingSerializer(StrictModelSerializer):
    """A holding as PUT replaces it: the fields not given take their defaults (no users, no revenue, never used)."""

    customer = serializers.CharField(source="customer.code", read_only=True)
    product = serializers.CharField(source="product.code", read_only=True)

    class Meta:
        model = CustomerProduct
        fields = ["customer", "product", "active_users", "monthly_revenue", "subscribed_on", "last_used_on"]
        validators = []  # one holding per customer and product: the service upserts it


class CoverageSerializer(serializers.Serializer):
    product = serializers.CharField(source="product.code")
    name = serializers.CharField(source="product.name")
    per_member = serializers.BooleanField(source="product.per_member")
    status = serializers.ChoiceField(choices=[UNCOVERED, FAKE, THIN, COVERED])
    active_users = serializers.IntegerField(source="holding.active_users", allow_null=True, default=None)


class DoNotCallSerializer(StrictModelSerializer):
    """A number on the do-not-call list; shown whole to provincial staff and headquarters, masked (138****1234)
    to everyone else."""

    added_by = serializers.CharField(source="added_by.username", read_only=True, default=None)

    class Meta:
        model = DoNotCall
        fields = ["mobile", "reason", "added_by", "added_at"]
        read_only_fields = ["added_at"]
        validators = []  # a number already listed is answered with its entry, not refused

    def get_fields(self):
        fields = super().get_fields()
        fields["mobile"].validators = [validate_mobile]  # the unique check is the service's: see above
        return fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or not request.user.is_provincial_or_above:
            data["mobile"] = mask_mobile(data["mobile"])
        return data


class DoNotCallRemoveSerializer(serializers.Serializer):
    mobile = serializers.CharField(max_length=11, validators=[validate_mobile])


class SegmentSerializer(serializers.Serializer):
    tiers = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    industries = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    coverage = serializers.ListField(child=serializers.CharField(), required=False, default=list)


class CampaignSerializer(StrictModelSerializer):
    """A campaign (SPEC §6.2). Creating one generates a plan per matching customer; `plans_count` and
    `conflicts` (ids of campaigns of other departments targeting the same customers in an overlapping period)
    are read-only."""

    region = serializers.SlugRelatedField(slug_field="code", queryset=Region.objects.all())
    department = serializers.PrimaryKeyRelatedField(queryset=Department.objects.all(), required=False)
    target_products = serializers.SlugRelatedField(
        slug_field="code", queryset=Product.objects.all(), many=True, allow_empty=True
    )
    segment = SegmentSerializer(required=False)
    plans_count = serializers.IntegerField(read_only=True)
    conflicts = serializers.SerializerMethodField()

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "kind",
            "department",
            "region",
            "starts_on",
            "ends_on",
            "target_products",
            "segment",
            "plans_count",
            "conflicts",
        ]
        validators = []  # the service checks the period, so that its message is the one given

    def get_conflicts(self, campaign: Campaign) -> list[int]:
        return conflicts_of(campaign)


class PlanSerializer(serializers.ModelSerializer):
    customer = serializers.CharField(source="customer.code")
    customer_name = serializers.CharField(source="customer.name")
    gap_products = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    owner = serializers.CharField(source="owner.username", default=None)

    class Meta:
        model = CustomerPlan
        fields = ["id", "customer", "customer_name", "objective", "gap_products", "owner", "stage", "stage_changed_at"]


class PlanStageSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=PlanStage.choices)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
