from __future__ import annotations

from django.urls import reverse
from django.utils.encoding import smart_str
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import Customer, KeyPerson
from crm import permissions
from crm.api.serializers import RejectUnknownFieldsMixin, StrictModelSerializer
from crm.models import User

from .. import hooks, services
from ..models import SINGLE_ROLES, TeamRoleKind, Visit, VisitPhoto


def _staff_field(**kwargs) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True).select_related("region"),
        error_messages={"does_not_exist": _("No active member of staff has the username {value}.")},
        **kwargs,
    )


class TeamSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """The customer's team: one username (or null) per role, the assistants, and whether the tier's standard is met.

    A PUT states the whole team: every role (null for nobody) and the assistants.
    """

    assistants = serializers.ListField(child=_staff_field(), allow_empty=True)
    complete = serializers.BooleanField(read_only=True)
    missing = serializers.ListField(child=serializers.ChoiceField(choices=TeamRoleKind.choices), read_only=True)

    def get_fields(self):
        fields = {role.value: _staff_field(allow_null=True) for role in SINGLE_ROLES}
        fields.update(super().get_fields())
        return fields

    def validate_assistants(self, value: list[User]) -> list[User]:
        if len({user.pk for user in value}) != len(value):
            raise serializers.ValidationError(_("Name each assistant once."))
        return value


def team_representation(status) -> dict:
    data = {role: (user.username if user else None) for role, user in status.holders.items()}
    data["assistants"] = [user.username for user in status.assistants]
    data["complete"] = status.complete
    data["missing"] = status.missing
    return data


LATITUDE_RANGE = _("A latitude lies between -90 and 90 degrees.")
LONGITUDE_RANGE = _("A longitude lies between -180 and 180 degrees.")


class VisitPhotoSerializer(serializers.ModelSerializer):
    """A photo of a visit, with the address that serves it to those who may see the customer."""

    url = serializers.SerializerMethodField(help_text="where the photo is served (to those who see the customer)")
    uploaded_by = serializers.CharField(source="uploaded_by.username", read_only=True)

    class Meta:
        model = VisitPhoto
        fields = ["id", "url", "width", "height", "size", "uploaded_by", "created_at"]
        read_only_fields = fields

    def get_url(self, photo: VisitPhoto) -> str:
        path = reverse("teams:visit-photo", args=[photo.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class VisitPhotoUploadSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    photo = serializers.FileField(
        help_text="an image (JPEG, PNG or WebP) up to the size limit (settings.VISIT_PHOTO_MAX_BYTES, 10 MB by default)"
    )


class VisibleCustomerField(serializers.SlugRelatedField):
    """A customer named by code, looked up among the customers the caller may see (SPEC §2) only when a value
    comes in: answers and other methods build the serializer without ever querying."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "error_messages",
            {"does_not_exist": _("No customer with code {value} is on your team or in your territory.")},
        )
        super().__init__(slug_field="code", **kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return Customer.objects.none()
        # With its region: the audit trail files what is written about the customer under its region.
        return Customer.objects.visible_to(request.user).select_related("region")

    def to_internal_value(self, data):
        """The customer of that code if the caller sees it (`permissions.sees_customer`): read by its code, then
        checked, which for an account manager is the roles they hold on its team, read once for the whole request
        (the service asks them again), rather than the whole rule built into the lookup: the visit POST is the most
        frequent write. A customer the caller does not see gets the words of one that does not exist."""
        if not isinstance(data, (str, int)) or isinstance(data, bool):
            self.fail("invalid")
        request = self.context.get("request")
        try:
            customer = Customer.objects.select_related("region").get(code=str(data))
        except Customer.DoesNotExist:
            customer = None
        if customer is None or request is None or not permissions.sees_customer(request.user, customer):
            self.fail("does_not_exist", slug_name=self.slug_field, value=smart_str(data))
        return customer


class PlanField(serializers.PrimaryKeyRelatedField):
    """A campaign plan by id. Plans live on the campaigns floor above: `VisitSerializer.get_fields` gives the field
    its queryset from `teams.hooks.visit_plans`."""

    def get_queryset(self):
        return self.queryset


class VisitSerializer(StrictModelSerializer):
    customer = VisibleCustomerField()
    visitor = serializers.CharField(source="visitor.username", read_only=True)
    visitor_role = serializers.ChoiceField(choices=TeamRoleKind.choices, required=False)
    staff_present = _staff_field(many=True, required=False)
    key_persons = serializers.PrimaryKeyRelatedField(
        many=True,
        required=False,
        queryset=KeyPerson.objects.all(),
        # The service's words for a key person of another customer: an id says nothing of what exists elsewhere.
        error_messages={"does_not_exist": _("No key person of this customer has the id {pk_value}.")},
    )
    plans = PlanField(
        many=True,
        required=False,
        write_only=True,
        queryset=None,  # set in `get_fields`: the plans live on the campaigns floor (`teams.hooks.visit_plans`)
        help_text="ids of the customer's campaign plans the visit was for: they move on to 'visited' (new visits)",
        error_messages={"does_not_exist": _("No campaign plan with id {pk_value}.")},
    )

    class Meta:
        model = Visit
        fields = [
            "id",
            "customer",
            "visited_at",
            "visitor",
            "visitor_role",
            "kind",
            "staff_present",
            "key_persons",
            "purpose",
            "summary",
            "opportunities",
            "next_step",
            "next_visit_on",
            "plans",
            *services.CHECK_IN_FIELDS,
            *services.CHECK_OUT_FIELDS,
            "distance_m",
            "verified",
            "unverified_reason",
            "verification",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at", "distance_m", "verified", "unverified_reason"]
        extra_kwargs = {
            "visited_at": {"required": False},
            **{
                name: {"error_messages": {"min_value": LATITUDE_RANGE, "max_value": LATITUDE_RANGE}}
                for name in ("latitude", "checkout_latitude")
            },
            **{
                name: {"error_messages": {"min_value": LONGITUDE_RANGE, "max_value": LONGITUDE_RANGE}}
                for name in ("longitude", "checkout_longitude")
            },
            **{
                name: {
                    "help_text": "metres: the radius within which the true position lies, as the browser or phone "
                    "reports it (Geolocation API `coords.accuracy`)",
                    "error_messages": {"min_value": _("An accuracy is a distance in metres, 0 or more.")},
                }
                for name in ("accuracy_m", "checkout_accuracy_m")
            },
        }

    verification = serializers.SerializerMethodField(
        help_text="what the check-in proved, in the reader's language: verified and how far, or why not"
    )

    def get_verification(self, visit: Visit) -> str:
        return services.visit_verification_text(visit)

    def get_fields(self):
        fields = super().get_fields()
        if hooks.visit_plans.provider is None:
            del fields["plans"]
        else:
            fields["plans"].child_relation.queryset = hooks.visit_plans.provider.queryset()
        return fields

    def validate_summary(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError(_("Write a short summary of the visit."))
        return value

    def validate(self, attrs: dict) -> dict:
        # A plan of another customer is answered as one that does not exist: ids tell nothing about other customers.
        customer = attrs.get("customer") or getattr(self.instance, "customer", None)
        strangers = [plan for plan in attrs.get("plans", []) if customer is None or plan.customer_id != customer.pk]
        if strangers:
            message = _("No campaign plan with id {pk_value}.").format(pk_value=strangers[0].pk)
            raise serializers.ValidationError({"plans": [message]})
        return attrs
