from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tiering.models import RuleSet
from tiering.rules import reason_text


class ReasonSerializer(serializers.Serializer):
    rule = serializers.IntegerField(allow_null=True)
    tier = serializers.CharField()
    field = serializers.CharField()
    operator = serializers.CharField()
    value = serializers.JSONField()
    threshold = serializers.CharField(allow_null=True)
    label = serializers.CharField(allow_blank=True)
    text = serializers.SerializerMethodField()

    def get_text(self, reason: dict) -> str:
        return reason_text(reason)


class RuleSetBriefSerializer(serializers.ModelSerializer):
    scope = serializers.CharField(source="scope_id")

    class Meta:
        model = RuleSet
        fields = ["id", "name", "version", "scope", "effective_on"]


class CustomerTierSerializer(serializers.Serializer):
    tier = serializers.CharField(allow_null=True)
    reasons = ReasonSerializer(many=True, source="tier_reasons")
    rule_set = RuleSetBriefSerializer(source="tier_rule_set", allow_null=True)
    override = serializers.SerializerMethodField()

    @extend_schema_field({"type": "object", "nullable": True})
    def get_override(self, customer) -> None:
        # Manual overrides (人工调级) are not part of the product yet: no customer has one.
        return None


class RecomputeResultSerializer(serializers.Serializer):
    run = serializers.IntegerField(source="pk")
    scope = serializers.CharField(source="scope_id")
    status = serializers.CharField()
    customers_seen = serializers.IntegerField()
    customers_changed = serializers.IntegerField()
    errors = serializers.JSONField()
