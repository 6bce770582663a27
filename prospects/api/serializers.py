from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.serializers import SeenCustomerCodeField
from accounts.models import Industry
from crm.api.serializers import RejectUnknownFieldsMixin, StrictModelSerializer
from crm.models import Region, User

from .. import selectors
from ..models import DuplicateKind, DuplicateReason, Prospect, ProspectVisit


class DuplicateSerializer(serializers.Serializer):
    """A customer or prospect the caller sees that is the same company: the same USCC (`uscc`) or a similar name at
    the same address (`name_address`)."""

    kind = serializers.ChoiceField(choices=DuplicateKind.choices)
    reason = serializers.ChoiceField(choices=DuplicateReason.choices)
    name = serializers.CharField()
    address = serializers.CharField()
    code = serializers.CharField(allow_null=True, help_text=_("The customer's code."))
    id = serializers.IntegerField(allow_null=True, help_text=_("The prospect's id."))
    status = serializers.CharField()


class ProspectSerializer(StrictModelSerializer):
    """A prospect (潜在客户, issue 21): a company of a grid not yet a customer, with its location; read-only, its status
    in the pool (公海), who claimed it, the customer it became, and the customers and prospects it may duplicate."""

    region = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Region.objects.all(),
        error_messages={"does_not_exist": _("Unknown region code {value}.")},
    )
    uscc = serializers.CharField(max_length=18, allow_null=True, allow_blank=True, required=False)
    address = serializers.CharField(max_length=300)
    claimed_by = serializers.CharField(source="claimed_by.username", read_only=True, default=None)
    customer = SeenCustomerCodeField(key="customer_id", annotation="customer_code")
    possible_duplicates = serializers.SerializerMethodField(
        help_text=_(
            "The customers and prospects it may duplicate, on a single prospect only (filed, read, claimed, "
            "released): always empty in the list, where each row would cost its own check."
        )
    )

    class Meta:
        model = Prospect
        fields = [
            "id",
            "name",
            "region",
            "address",
            "uscc",
            "latitude",
            "longitude",
            "status",
            "claimed_by",
            "claimed_at",
            "last_visited_at",
            "customer",
            "possible_duplicates",
            "created_at",
        ]
        read_only_fields = ["status", "claimed_at", "last_visited_at", "created_at"]

    @extend_schema_field(DuplicateSerializer(many=True))
    def get_possible_duplicates(self, prospect: Prospect) -> list[dict]:
        if prospect.status == "converted" or not self.context.get("duplicates", True):
            return []
        found = selectors.possible_duplicates(
            user=self.context["request"].user,
            name=prospect.name,
            address=prospect.address,
            uscc=prospect.uscc,
            exclude=prospect,
        )
        return [duplicate.as_dict() for duplicate in found]


class DuplicateQuerySerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """A company about to be filed: its name and address, optionally its USCC."""

    name = serializers.CharField(max_length=200)
    address = serializers.CharField(max_length=300)
    uscc = serializers.CharField(max_length=18, required=False, allow_blank=True)


class ProspectConvertSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """What a prospect needs to become a customer: its BOSS code, optionally its industry and its customer manager
    (whoever claimed it by default, else the one converting it)."""

    code = serializers.CharField(max_length=32, help_text=_("The new customer's code (the BOSS group id)."))
    industry = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Industry.objects.all(),
        required=False,
        allow_null=True,
        error_messages={"does_not_exist": _("Unknown industry code {value}.")},
    )
    customer_manager = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True).select_related("region"),
        required=False,
        allow_null=True,
        error_messages={"does_not_exist": _("No active member of staff has the username {value}.")},
    )


class ProspectVisitSerializer(StrictModelSerializer):
    """A visit to a prospect: when (now by default) and what was said; it renews the claim."""

    visitor = serializers.CharField(source="visitor.username", read_only=True)
    visited_at = serializers.DateTimeField(required=False)

    class Meta:
        model = ProspectVisit
        fields = ["id", "visited_at", "summary", "visitor"]
