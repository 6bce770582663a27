from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts import selectors
from accounts.models import Customer, GroupMember, Industry, KeyPerson
from accounts.services import CUSTOMER_WRITABLE_FIELDS
from crm.api.serializers import StrictModelSerializer
from crm.models import Region


class IndustrySerializer(serializers.ModelSerializer):
    class Meta:
        model = Industry
        fields = ["code", "name", "section", "segment"]


@extend_schema_field({"type": "string", "nullable": True, "example": "HQ0001"})
class ParentCodeField(serializers.Field):
    """A customer's parent group (issue 21) by its code, or null. Given, the code is looked up among the customers
    the caller sees (§2): one outside them is no customer, with the same message as one that does not exist."""

    default_error_messages = {
        "invalid": _("Parent group: give a customer code, or null."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", _("The code of the group headquarters this customer is a branch of, or null."))
        super().__init__(**kwargs)

    def get_attribute(self, instance):
        return instance

    def to_representation(self, customer):
        # Null as well for a parent the caller does not see (§2): it is no customer of theirs.
        if customer.parent_id is None:
            return None
        if hasattr(customer, "parent_code"):  # `selectors.with_group_fields`
            return customer.parent_code
        return selectors.visible_code(user=self._user(), pk=customer.parent_id)

    def _user(self):
        request = self.context.get("request")
        return getattr(request, "user", None)

    def to_internal_value(self, data):
        if not isinstance(data, str) or not data.strip():
            self.fail("invalid")
        code = data.strip()
        parent = selectors.customer_visible_by_code(user=self._user(), code=code)
        if parent is None:
            raise serializers.ValidationError(selectors.parent_unknown(code), code="unknown")
        return parent


@extend_schema_field({"type": "string", "nullable": True, "readOnly": True, "example": "CD0001"})
class SeenCustomerCodeField(serializers.ReadOnlyField):
    """A customer another row names (its id at `key`) by its code if the caller sees it, else null (§2: one outside
    what they see is no customer of theirs). Read from the query's annotation `annotation` when it has one
    (`selectors.visible_customer_code`), else looked up."""

    def __init__(self, *, key: str, annotation: str, **kwargs):
        self.key, self.annotation = key, annotation
        kwargs.setdefault("source", "*")
        super().__init__(**kwargs)

    def to_representation(self, instance):
        pk = getattr(instance, self.key)
        if pk is None:
            return None
        if hasattr(instance, self.annotation):
            return getattr(instance, self.annotation)
        request = self.context.get("request")
        return selectors.visible_code(user=getattr(request, "user", None), pk=pk)


class CustomerSerializer(StrictModelSerializer):
    industry = serializers.SlugRelatedField(
        slug_field="code", queryset=Industry.objects.all(), allow_null=True, required=False
    )
    region = serializers.SlugRelatedField(slug_field="code", queryset=Region.objects.all())
    uscc = serializers.CharField(max_length=18, allow_null=True, allow_blank=True, required=False)
    profile_complete = serializers.BooleanField(read_only=True)
    profile_missing = serializers.ListField(child=serializers.CharField(), read_only=True)
    parent = ParentCodeField()
    children_count = serializers.SerializerMethodField(
        help_text=_("How many customers are direct branches of this one, among those the caller sees.")
    )

    class Meta:
        model = Customer
        fields = [
            *CUSTOMER_WRITABLE_FIELDS,
            "tier",
            "tier_reasons",
            "profile_complete",
            "profile_missing",
            "children_count",
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

    @extend_schema_field(serializers.IntegerField())
    def get_children_count(self, customer: Customer) -> int:
        count = getattr(customer, "children_count", None)  # `selectors.with_group_fields`
        if count is None:
            request = self.context.get("request")
            count = Customer.objects.visible_to(request.user).filter(parent_id=customer.pk).count() if request else 0
        return count

    def validate_parent(self, value: Customer | None) -> Customer | None:
        if value is None and self.instance is not None and self.instance.parent_id is not None:
            # A parent the caller does not see reads as null (`ParentCodeField`): null sent back keeps it, so that
            # writing back what was read does not take a branch out of a group the caller cannot see.
            user = self.fields["parent"]._user()
            if selectors.visible_code(user=user, pk=self.instance.parent_id) is None:
                return self.instance.parent
        return value

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
