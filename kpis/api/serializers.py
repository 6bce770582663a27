from __future__ import annotations

from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from crm.periods import Period

from ..metrics import METRICS


@extend_schema_field(OpenApiTypes.NUMBER)
class NumberField(serializers.Field):
    """A Decimal as a JSON number: an integer when it is whole (a count), else a decimal fraction."""

    def to_representation(self, value: Decimal):
        return int(value) if value == value.to_integral_value() else float(value)


class KpiQuerySerializer(serializers.Serializer):
    region = serializers.CharField(required=False, help_text=_("a region code: the region and everything below it"))
    department = serializers.CharField(required=False, help_text=_("a department's id or name"))
    manager = serializers.CharField(required=False, help_text=_("a customer manager's username"))
    period = serializers.CharField(required=False, help_text=_("YYYY-MM (default: the latest month computed)"))

    def validate_period(self, value: str) -> Period:
        try:
            return Period.parse(value, timezone.localdate())
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from exc

    def validate(self, attrs):
        if sum(bool(attrs.get(name)) for name in ("region", "department", "manager")) > 1:
            raise serializers.ValidationError({"region": _("Give one scope: region, department or manager.")})
        return attrs


class KpiSerializer(serializers.Serializer):
    metric = serializers.ChoiceField(choices=[metric.code for metric in METRICS], source="metric.code")
    label = serializers.CharField(source="metric.label")
    value = NumberField(allow_null=True, help_text=_("numerator ÷ denominator as a fraction (0.27 is 27 %), or a sum"))
    numerator = NumberField()
    denominator = NumberField(allow_null=True)
    target = NumberField(allow_null=True)
    on_target = serializers.BooleanField(allow_null=True)


class ProductRevenueQuerySerializer(serializers.Serializer):
    region = serializers.CharField(required=False, help_text=_("a region code: the region and everything below it"))
    department = serializers.CharField(required=False, help_text=_("a department's id or name"))
    period = serializers.CharField(required=False, help_text=_("YYYY-MM (default: the latest month computed)"))

    validate_period = KpiQuerySerializer.validate_period

    def validate(self, attrs):
        if attrs.get("region") and attrs.get("department"):
            raise serializers.ValidationError({"region": _("Give one scope: region or department.")})
        return attrs


class ProductRevenueSerializer(serializers.Serializer):
    """One product's revenue in the scope's region against its province's targets (issue 21)."""

    product = serializers.CharField(source="product.code")
    label = serializers.CharField(source="product.name")
    revenue = serializers.DecimalField(
        max_digits=20, decimal_places=2, help_text=_("revenue of the holdings in the month, CNY")
    )
    target = serializers.DecimalField(
        max_digits=16, decimal_places=2, allow_null=True, help_text=_("the month's target, CNY (provinces only)")
    )
    year_to_date = serializers.DecimalField(
        max_digits=20, decimal_places=2, help_text=_("revenue from January to the month, CNY")
    )
    year_target = serializers.DecimalField(
        max_digits=16, decimal_places=2, allow_null=True, help_text=_("the year's target, CNY (provinces only)")
    )
    year_share = NumberField(allow_null=True, help_text=_("year to date ÷ the year's target, a fraction"))
    on_target = serializers.BooleanField(
        allow_null=True, help_text=_("the month's target met, else the year's on pace; null without a target")
    )
