from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.validators import validate_mobile
from crm.api.serializers import RejectUnknownFieldsMixin, StrictModelSerializer
from crm.models import Department, Region, User
from crm.permissions import may

from ..models import (
    CallEntry,
    CallList,
    CallOutcome,
    CallSource,
    Campaign,
    CustomerPlan,
    CustomerProduct,
    DoNotCall,
    PlanStage,
    Product,
)
from ..rules import COVERED, FAKE, THIN, UNCOVERED, mask_mobile


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
        if request is None or not may(request.user, "campaigns.manage_do_not_call"):
            data["mobile"] = mask_mobile(data["mobile"])
        return data


class DoNotCallRemoveSerializer(serializers.Serializer):
    mobile = serializers.CharField(max_length=11, validators=[validate_mobile])


class SegmentSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    tiers = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    industries = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    coverage = serializers.ListField(child=serializers.CharField(), required=False, default=list)


class CampaignSerializer(StrictModelSerializer):
    """A campaign (SPEC §6.2). Creating one generates a plan per matching customer; `plans_count` (the plans of
    customers the caller sees) and `conflicts` (ids of campaigns of other departments, that the caller sees,
    targeting the same customers in an overlapping period) are read-only."""

    region = serializers.SlugRelatedField(slug_field="code", queryset=Region.objects.all())
    department = serializers.PrimaryKeyRelatedField(queryset=Department.objects.all(), required=False)
    target_products = serializers.SlugRelatedField(
        slug_field="code", queryset=Product.objects.all(), many=True, allow_empty=True
    )
    segment = SegmentSerializer(required=False)
    plans_count = serializers.IntegerField(read_only=True)
    conflicts = serializers.ListField(child=serializers.IntegerField(), source="conflict_ids", read_only=True)

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
            "goal_openings",
            "goal_revenue",
            "plans_count",
            "conflicts",
        ]
        validators = []  # the service checks the period, so that its message is the one given


class PlanSerializer(serializers.ModelSerializer):
    customer = serializers.CharField(source="customer.code")
    customer_name = serializers.CharField(source="customer.name")
    gap_products = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    owner = serializers.CharField(source="owner.username", default=None)

    class Meta:
        model = CustomerPlan
        fields = ["id", "customer", "customer_name", "objective", "gap_products", "owner", "stage", "stage_changed_at"]


class PlanUpdateSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """What PATCH changes on a plan; every field optional. `reason` goes with a move back along the path."""

    stage = serializers.ChoiceField(choices=PlanStage.choices, required=False)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    gap_products = serializers.SlugRelatedField(
        slug_field="code", queryset=Product.objects.all(), many=True, required=False
    )
    owner = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        error_messages={"does_not_exist": _("No active member of staff has the username {value}.")},
    )


class CallListBuildSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """What builds a call list: whom to call (key persons, group members or both) and the agent who calls them
    (the caller by default; naming someone else is for department heads and provincial staff)."""

    source = serializers.ChoiceField(choices=CallSource.choices, default=CallSource.ALL)
    agent = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        required=False,
        error_messages={"does_not_exist": _("No active member of staff has the username {value}.")},
    )


class CallListSerializer(serializers.ModelSerializer):
    campaign = serializers.IntegerField(source="campaign_id", read_only=True)
    agent = serializers.CharField(source="agent.username", read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True, default=None)
    entries_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = CallList
        fields = ["id", "campaign", "agent", "source", "created_by", "created_at", "closed_at", "entries_count"]


class CallEntrySerializer(serializers.ModelSerializer):
    """A number on a call list; whole for the customer's customer manager, masked (138****1234) for everyone else:
    the context's `owned` holds the customers whose numbers are shown whole."""

    customer = serializers.CharField(source="customer.code", read_only=True)

    class Meta:
        model = CallEntry
        fields = ["id", "name", "mobile", "customer", "attempts", "last_outcome"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if instance.customer_id not in self.context.get("owned", ()):
            data["mobile"] = mask_mobile(data["mobile"])
        return data


class CallOutcomeSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    outcome = serializers.ChoiceField(choices=CallOutcome.choices)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
