from __future__ import annotations

from rest_framework import serializers

from crm.api.serializers import StrictModelSerializer

from ..models import CustomerProduct, Product
from ..rules import COVERED, FAKE, THIN, UNCOVERED


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
