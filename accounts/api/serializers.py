from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import Customer, GroupMember, Industry, KeyPerson
from accounts.services import CUSTOMER_WRITABLE_FIELDS
from crm.api.serializers import StrictModelSerializer
from crm.models import Region


class IndustrySerializer(serializers.ModelSerializer):
    class Meta:
        model = Industry
        fields = ["code", "name", "section", "segment"]


class CustomerSerializer(StrictModelSerializer):
    industry = serializers.SlugRelatedField(
        slug_field="code", queryset=Industry.objects.all(), allow_null=True, required=False
    )
    region = serializers.SlugRelatedField(slug_field="code", queryset=Region.objects.all())
    uscc = serializers.CharField(max_length=18, allow_null=True, allow_blank=True, required=False)
    profile_complete = serializers.BooleanField(read_only=True)
    profile_missing = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Customer
        fields = [
            *CUSTOMER_WRITABLE_FIELDS,
            "tier",
            "tier_reasons",
            "profile_complete",
            "profile_missing",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["tier", "tier_reasons", "created_at", "updated_at"]

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None:
            # The code is the business key other systems address the customer by: set once, at creation.
            fields["code"].read_only = True
        return fields

    def validate_uscc(self, value: str | None) -> str | None:
        # The model's validator gives the rule that failed; an empty value means "no USCC known".
        return value or None


class KeyPersonSerializer(StrictModelSerializer):
    class Meta:
        model = KeyPerson
        fields = ["id", "name", "title", "mobile", "is_decision_maker", "notes"]
        read_only_fields = ["id"]


class GroupMemberSerializer(StrictModelSerializer):
    class Meta:
        model = GroupMember
        fields = ["id", "name", "mobile", "on_net", "verified", "arpu", "vip_level", "left_on"]
        read_only_fields = ["id", "vip_level", "left_on"]
        extra_kwargs = {
            "left_on": {
                "help_text": _(
                    "The day an import replacing the customer's members no longer listed this one; null while "
                    "a current member."
                )
            }
        }
