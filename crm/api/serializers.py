from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from crm.models import Region


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
