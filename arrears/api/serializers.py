from __future__ import annotations

from rest_framework import serializers

from ..models import ArrearsCase, ArrearsOutcome, CaseStatus, OutcomeKind


class OutcomeSerializer(serializers.ModelSerializer):
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True, default=None)

    class Meta:
        model = ArrearsOutcome
        fields = ["id", "kind", "promised_on", "amount", "note", "recorded_by", "recorded_at"]


class CaseSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=CaseStatus.choices, read_only=True)
    billing_manager = serializers.CharField(source="billing_manager.username", read_only=True, default=None)
    second_manager = serializers.CharField(source="second_manager.username", read_only=True, default=None)
    outcomes = OutcomeSerializer(many=True, read_only=True)

    class Meta:
        model = ArrearsCase
        fields = [
            "id",
            "status",
            "opened_on",
            "due_on",
            "opened_amount",
            "amount",
            "since",
            "threshold",
            "billing_manager",
            "second_manager",
            "closed_on",
            "outcomes",
        ]


class CustomerArrearsSerializer(serializers.Serializer):
    """A customer's arrears as its latest bill says (`amount` 0 and `since` null when it owes nothing), and its
    collection case: the open one, else the last closed, else null."""

    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    since = serializers.DateField(allow_null=True)
    case = CaseSerializer(allow_null=True)


class OutcomeInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=OutcomeKind.choices, help_text="what chasing the case gave")
    promised_on = serializers.DateField(
        required=False, allow_null=True, help_text="required for `promised`: the day payment is promised for"
    )
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True, help_text="paid, for `paid`, `partly_paid`"
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
