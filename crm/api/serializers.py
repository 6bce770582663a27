from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from crm.models import AuditEntry, Department, Region


class RejectUnknownFieldsMixin:
    """Rejects fields a serializer does not accept, read-only ones included, instead of silently dropping them."""

    def to_internal_value(self, data):
        if hasattr(data, "keys"):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            # The browsable API's HTML form posts its CSRF token along with the fields.
            rejected = sorted(set(data.keys()) - writable - {"csrfmiddlewaretoken"})
            if rejected:
                raise serializers.ValidationError(
                    {name: [_("This field is read-only or unknown and cannot be written.")] for name in rejected}
                )
        return super().to_internal_value(data)


class StrictModelSerializer(RejectUnknownFieldsMixin, serializers.ModelSerializer):
    """A model serializer that says which fields of a request it cannot write."""


class RegionSerializer(serializers.ModelSerializer):
    parent = serializers.CharField(source="parent_id", read_only=True, allow_null=True)

    class Meta:
        model = Region
        fields = ["code", "name", "level", "parent"]


class DepartmentSerializer(serializers.ModelSerializer):
    """A department (政企客户部): its id (what other endpoints take as `department`), name, region code and head."""

    region = serializers.CharField(source="region_id", read_only=True, help_text=_("The region's code."))
    head = serializers.CharField(
        source="head.username", read_only=True, allow_null=True, default=None, help_text=_("The head's username.")
    )

    class Meta:
        model = Department
        fields = ["id", "name", "region", "head"]
        read_only_fields = fields


class HistoryEntrySerializer(serializers.ModelSerializer):
    """One change in a record's history: when, by whom, through which channel, what changed."""

    user = serializers.CharField(source="username", help_text=_("The username; empty for a job or a command."))
    changes = serializers.DictField(
        child=serializers.ListField(min_length=2, max_length=2, allow_null=True),
        help_text=_("{field: [old, new]}"),
    )
    object = serializers.CharField(source="object_repr")

    class Meta:
        model = AuditEntry
        fields = ["at", "user", "source", "action", "object_type", "object", "changes"]


class AuditEntrySerializer(HistoryEntrySerializer):
    customer = serializers.CharField(source="customer_code")

    class Meta(HistoryEntrySerializer.Meta):
        fields = [*HistoryEntrySerializer.Meta.fields, "object_id", "customer", "address", "detail"]
