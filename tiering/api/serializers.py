from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tiering.models import RuleSet, TierOverride
from tiering.reasons import customer_reasons_text
from tiering.rules import reason_text


class ReasonSerializer(serializers.Serializer):
    rule = serializers.IntegerField(allow_null=True)
    tier = serializers.CharField()
    field = serializers.CharField()
    operator = serializers.CharField()
    value = serializers.JSONField()
    threshold = serializers.CharField(allow_null=True)
    label = serializers.CharField(allow_blank=True)
    text = serializers.SerializerMethodField(
        help_text="The reason in the field's code, as it always was: `handset_count 612 ≥ 500`. For people, read "
        "`reasons_text`."
    )

    def get_text(self, reason: dict) -> str:
        return reason_text(reason)


class RuleSetBriefSerializer(serializers.ModelSerializer):
    scope = serializers.CharField(source="scope_id")

    class Meta:
        model = RuleSet
        fields = ["id", "name", "version", "scope", "effective_on"]


class TierOverrideSerializer(serializers.ModelSerializer):
    set_by = serializers.CharField(source="set_by.username", read_only=True)

    class Meta:
        model = TierOverride
        fields = ["tier", "reason", "expires_on", "set_by", "set_at"]
        read_only_fields = ["set_by", "set_at"]


class CustomerTierSerializer(serializers.Serializer):
    tier = serializers.CharField(allow_null=True)
    computed_tier = serializers.CharField(allow_null=True)
    reasons = ReasonSerializer(many=True, source="tier_reasons")
    reasons_text = serializers.SerializerMethodField(
        help_text="The reasons as people read them, one line each in the order of `reasons`, in the language of the "
        "request (the language cookie; Simplified Chinese by default): the field's name, the value with digits "
        "grouped and money with two decimals, the operator and the threshold, e.g. `手机数量 3 576 ≥ 500`, "
        "`行业 S92 国家机构 ∈ 党政机关`. For display only: scripts read `reasons`."
    )
    rule_set = RuleSetBriefSerializer(source="tier_rule_set", allow_null=True)
    override = serializers.SerializerMethodField()

    def get_reasons_text(self, customer) -> list[str]:
        return customer_reasons_text(customer)

    @extend_schema_field(TierOverrideSerializer(allow_null=True))
    def get_override(self, customer) -> dict | None:
        override = customer.tier_overrides.active().select_related("set_by").first()
        return TierOverrideSerializer(override).data if override else None


class RecomputeResultSerializer(serializers.Serializer):
    run = serializers.IntegerField(source="pk")
    scope = serializers.CharField(source="scope_id")
    status = serializers.CharField()
    customers_seen = serializers.IntegerField()
    customers_changed = serializers.IntegerField()
    members_changed = serializers.IntegerField()
    errors = serializers.JSONField()
