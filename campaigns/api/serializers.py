from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.validators import validate_mobile
from crm.api.serializers import RejectUnknownFieldsMixin, StrictModelSerializer
from crm.models import Department, Partner, Region, User
from crm.permissions import may
from teams.api.serializers import VisibleCustomerField

from ..models import (
    CallEntry,
    CallList,
    CallMode,
    CallOutcome,
    CallSource,
    Campaign,
    Channel,
    Competitor,
    CustomerPlan,
    CustomerProduct,
    DoNotCall,
    Lead,
    Opportunity,
    OpportunitySource,
    OpportunityStage,
    PlanStage,
    Product,
)
from ..rules import COVERED, FAKE, THIN, UNCOVERED, mask_mobile


def channel_named(help_text: str | None = None) -> serializers.PrimaryKeyRelatedField:
    """A channel (issue 20) given by its code, optional. The code is the channel's key: it is read off the row, with
    no query for the channel."""
    return serializers.PrimaryKeyRelatedField(
        queryset=Channel.objects.all(),
        required=False,
        help_text=help_text,
        error_messages={"does_not_exist": _("Unknown channel {pk_value}.")},
    )


class ChannelSerializer(serializers.ModelSerializer):
    """A channel (渠道, issue 20): its code and its name in Chinese and English."""

    class Meta:
        model = Channel
        fields = ["code", "name", "name_en"]
        read_only_fields = fields


class ProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ["code", "name", "category", "per_member"]


class HoldingSerializer(StrictModelSerializer):
    """A holding as PUT replaces it: the fields not given take their defaults (no users, no revenue, never used)."""

    customer = serializers.CharField(source="customer.code", read_only=True)
    product = serializers.CharField(source="product.code", read_only=True)
    channel = channel_named(_("The channel the sale came through (issue 20); direct when not given."))
    partner = serializers.PrimaryKeyRelatedField(
        queryset=Partner.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("The partner credited with the sale, for the partner channel."),
        error_messages={"does_not_exist": _("No partner has the id {pk_value}.")},
    )

    class Meta:
        model = CustomerProduct
        fields = [
            "customer",
            "product",
            "active_users",
            "monthly_revenue",
            "subscribed_on",
            "last_used_on",
            "channel",
            "partner",
        ]
        validators = []  # one holding per customer and product: the service upserts it


class CoverageSerializer(serializers.Serializer):
    product = serializers.CharField(source="product.code")
    name = serializers.CharField(source="product.name")
    per_member = serializers.BooleanField(source="product.per_member")
    status = serializers.ChoiceField(choices=[UNCOVERED, FAKE, THIN, COVERED])
    active_users = serializers.IntegerField(source="holding.active_users", allow_null=True, default=None)


class DoNotCallSerializer(StrictModelSerializer):
    """A number on the do-not-call list; shown whole to provincial staff and headquarters, masked (138****1234)
    to everyone else."""

    added_by = serializers.CharField(source="added_by.username", read_only=True, default=None)

    class Meta:
        model = DoNotCall
        fields = ["mobile", "reason", "added_by", "added_at"]
        read_only_fields = ["added_at"]
        validators = []  # a number already listed is answered with its entry, not refused

    def get_fields(self):
        fields = super().get_fields()
        fields["mobile"].validators = [validate_mobile]  # the unique check is the service's: see above
        return fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or not may(request.user, "campaigns.manage_do_not_call"):
            data["mobile"] = mask_mobile(data["mobile"])
        return data


class DoNotCallRemoveSerializer(serializers.Serializer):
    mobile = serializers.CharField(max_length=11, validators=[validate_mobile])


class SegmentSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    tiers = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    industries = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    coverage = serializers.ListField(child=serializers.CharField(), required=False, default=list)


class CampaignSerializer(StrictModelSerializer):
    """A campaign (SPEC §6.2). Creating one generates a plan per matching customer; `plans_count` (the plans of
    customers the caller sees) and `conflicts` (ids of campaigns of other departments, that the caller sees,
    targeting the same customers in an overlapping period) are read-only."""

    region = serializers.SlugRelatedField(slug_field="code", queryset=Region.objects.all())
    department = serializers.PrimaryKeyRelatedField(queryset=Department.objects.all(), required=False)
    target_products = serializers.SlugRelatedField(
        slug_field="code", queryset=Product.objects.all(), many=True, allow_empty=True
    )
    segment = SegmentSerializer(required=False)
    plans_count = serializers.IntegerField(read_only=True)
    conflicts = serializers.ListField(child=serializers.IntegerField(), source="conflict_ids", read_only=True)

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "kind",
            "department",
            "region",
            "starts_on",
            "ends_on",
            "target_products",
            "segment",
            "goal_openings",
            "goal_revenue",
            "plans_count",
            "conflicts",
        ]
        validators = []  # the service checks the period, so that its message is the one given


class PlanSerializer(serializers.ModelSerializer):
    customer = serializers.CharField(source="customer.code")
    customer_name = serializers.CharField(source="customer.name")
    gap_products = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    owner = serializers.CharField(source="owner.username", default=None)
    channel = serializers.CharField(source="channel_id", read_only=True, help_text=_("The channel's code."))
    partner = serializers.IntegerField(
        source="partner_id", read_only=True, allow_null=True, help_text=_("The partner company's id, if given one.")
    )

    class Meta:
        model = CustomerPlan
        fields = [
            "id",
            "customer",
            "customer_name",
            "objective",
            "gap_products",
            "owner",
            "stage",
            "stage_changed_at",
            "channel",
            "partner",
        ]


class PlanUpdateSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """What PATCH changes on a plan; every field optional. `reason` goes with a move back along the path."""

    stage = serializers.ChoiceField(choices=PlanStage.choices, required=False)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    gap_products = serializers.SlugRelatedField(
        slug_field="code", queryset=Product.objects.all(), many=True, required=False
    )
    owner = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        error_messages={"does_not_exist": _("No active member of staff has the username {value}.")},
    )


class CampaignCancelSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """Why the campaign is cancelled: its plans are kept, closed."""

    reason = serializers.CharField(max_length=200)


class GiveToPartnerSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """Which partner company the campaign's plans go to (null: taken back to the direct channel), and optionally the
    region whose customers' plans go (the whole campaign as the caller sees it by default)."""

    partner = serializers.PrimaryKeyRelatedField(
        queryset=Partner.objects.all(),
        allow_null=True,
        error_messages={"does_not_exist": _("No partner has the id {pk_value}.")},
    )
    region = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Region.objects.all(),
        required=False,
        allow_null=True,
        error_messages={"does_not_exist": _("Unknown region code {value}.")},
    )


class PlansGivenSerializer(serializers.Serializer):
    plans = serializers.IntegerField(help_text=_("Plans given to the partner (or taken back)."))
    outside_territory = serializers.IntegerField(
        help_text=_("Plans of customers outside the partner's territory, left as they were.")
    )


class CallListBuildSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """What builds a call list: whom to call (key persons, group members or both), the agent who calls them
    (the caller by default; naming someone else is for department heads and provincial staff), and how: `manual`
    (agents call) or `auto` (a dialer broadcasts it from its file)."""

    source = serializers.ChoiceField(choices=CallSource.choices, default=CallSource.ALL)
    mode = serializers.ChoiceField(choices=CallMode.choices, default=CallMode.MANUAL)
    agent = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        required=False,
        error_messages={"does_not_exist": _("No active member of staff has the username {value}.")},
    )
    channel = channel_named(
        _("Through which channel it is called: hotline_10000 for the 10000 desk; direct by default.")
    )


class CallListSerializer(serializers.ModelSerializer):
    campaign = serializers.IntegerField(source="campaign_id", read_only=True)
    channel = serializers.CharField(source="channel_id", read_only=True)
    agent = serializers.CharField(source="agent.username", read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True, default=None)
    entries_count = serializers.IntegerField(read_only=True)
    left_out = serializers.DictField(
        child=serializers.IntegerField(),
        source="left_out_counts",
        read_only=True,
        help_text="the numbers the build left out, per reason (`do_not_call`, `done_in_campaign`, "
        "`tried_in_campaign`, `on_open_list`, `touch_limit`); listed at /call-lists/{id}/left-out/",
    )

    class Meta:
        model = CallList
        fields = [
            "id",
            "campaign",
            "agent",
            "source",
            "mode",
            "channel",
            "created_by",
            "created_at",
            "closed_at",
            "entries_count",
            "left_out",
        ]


class CallEntrySerializer(serializers.ModelSerializer):
    """A number on a call list; whole for the customer's customer manager and, on an open list, for the agent who
    calls it, masked (138****1234) for everyone else: the context's `whole` holds the entries shown whole.
    `call_back_at`: the moment agreed to call again, while the last outcome is `call_back`, and `call_back_on` its day
    (Beijing time); `assigned_to`: the pool agent who calls the number (null: the list's agent)."""

    customer = serializers.CharField(source="customer.code", read_only=True)
    assigned_to = serializers.CharField(source="assigned_to.username", read_only=True, default=None)

    class Meta:
        model = CallEntry
        fields = [
            "id",
            "name",
            "mobile",
            "customer",
            "attempts",
            "last_outcome",
            "call_back_at",
            "call_back_on",
            "assigned_to",
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if instance.pk not in self.context.get("whole", ()):
            data["mobile"] = mask_mobile(data["mobile"])
        return data


class CallOutcomeSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    outcome = serializers.ChoiceField(choices=CallOutcome.choices)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    call_back_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="the date and time agreed to call again: required with `call_back`, in the future; no other "
        "outcome takes one",
    )


def _amount(negative) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal("0"), required=False, error_messages={"min_value": negative}
    )


class OpportunitySerializer(StrictModelSerializer):
    """An opportunity (商机, issue 17). `customer` is a code (set when created, never changed), `products` codes,
    `owner` a username of someone on the customer's team (by default the creator when on the team, else the
    customer manager); `probability` defaults to the stage's (found 10, proposal 30, negotiation 60, won 90,
    opened 100, lost 0) when created or moved without one; `lost_reason` is required with `lost`; an open
    opportunity's `expected_close_on` is today or later."""

    customer = VisibleCustomerField()
    products = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Product.objects.all(),
        many=True,
        required=False,
        error_messages={"does_not_exist": _("No product has the code {value}.")},
    )
    expected_monthly_revenue = _amount(_("The expected monthly revenue cannot be negative."))
    expected_one_off_revenue = _amount(_("The expected one-off revenue cannot be negative."))
    stage = serializers.ChoiceField(choices=OpportunityStage.choices, required=False)
    probability = serializers.IntegerField(
        min_value=0,
        max_value=100,
        required=False,
        error_messages={
            "min_value": _("The probability is a percentage from 0 to 100."),
            "max_value": _("The probability is a percentage from 0 to 100."),
        },
    )
    competitor = serializers.ChoiceField(choices=Competitor.choices, required=False, allow_blank=True)
    source = serializers.ChoiceField(choices=OpportunitySource.choices, required=False)
    channel = channel_named(
        _("The channel it came through (issue 20): direct by default, a call's channel when found on one.")
    )
    owner = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        required=False,
        error_messages={"does_not_exist": _("No active member of staff has the username {value}.")},
    )
    lost_reason = serializers.CharField(max_length=200, required=False, allow_blank=True)

    class Meta:
        model = Opportunity
        fields = [
            "id",
            "customer",
            "title",
            "products",
            "expected_monthly_revenue",
            "expected_one_off_revenue",
            "stage",
            "probability",
            "expected_close_on",
            "competitor",
            "source",
            "channel",
            "owner",
            "lost_reason",
        ]
        read_only_fields = ["id"]


class WorkSerializer(serializers.Serializer):
    """One side of a channel conflict: what works the customer (a campaign plan, an opportunity, a call list), through
    which channel, for which department or partner, over which days."""

    kind = serializers.CharField()
    id = serializers.IntegerField(source="ref")
    channel = serializers.CharField()
    department = serializers.IntegerField(source="department_id", allow_null=True)
    partner = serializers.IntegerField(source="partner_id", allow_null=True)
    campaign = serializers.IntegerField(source="campaign_id", allow_null=True)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()


class ChannelConflictSerializer(serializers.Serializer):
    """Two works of one customer and some of its products in overlapping windows (渠道冲突, issue 20)."""

    customer = serializers.CharField(source="customer.code")
    customer_name = serializers.CharField(source="customer.name")
    products = serializers.ListField(child=serializers.CharField())
    overlap_from = serializers.DateField()
    overlap_to = serializers.DateField()
    first = WorkSerializer()
    second = WorkSerializer()


class ChannelConflictFilterSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """Whose conflicts: a region's subtree, a department's territory or one customer, within what the caller sees."""

    region = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Region.objects.all(),
        required=False,
        error_messages={"does_not_exist": _("Unknown region code {value}.")},
    )
    department = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.select_related("region"),
        required=False,
        error_messages={"does_not_exist": _("No department has the id {pk_value}.")},
    )
    customer = serializers.CharField(required=False, max_length=32)
    page = serializers.IntegerField(required=False, min_value=1)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=500)


class LeadSerializer(StrictModelSerializer):
    """An inbound lead (来电商机, issue 20): who called, for which customer (its code) or company (its name, its USCC
    to find it among the customers, its region), which products, what they said, through which channel (the 10000
    hotline by default); read-only: whom it was routed to, its status and the opportunity recorded from it."""

    customer = serializers.CharField(
        source="customer.code",
        required=False,
        allow_null=True,
        default=None,
        max_length=32,
        help_text=_("The customer's code."),
    )
    uscc = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=18, help_text=_("Finds the customer by it.")
    )
    company = serializers.CharField(required=False, allow_blank=True, max_length=200)
    region = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Region.objects.all(),
        required=False,
        allow_null=True,
        error_messages={"does_not_exist": _("Unknown region code {value}.")},
    )
    products = serializers.SlugRelatedField(
        slug_field="code",
        many=True,
        queryset=Product.objects.all(),
        required=False,
        error_messages={"does_not_exist": _("No product has the code {value}.")},
    )
    channel = channel_named()
    assigned_to = serializers.CharField(source="assigned_to.username", read_only=True, default=None)
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True, default=None)
    opportunity = serializers.IntegerField(source="opportunity_id", read_only=True, allow_null=True)

    class Meta:
        model = Lead
        fields = [
            "id",
            "caller_name",
            "caller_mobile",
            "customer",
            "uscc",
            "company",
            "region",
            "products",
            "notes",
            "channel",
            "status",
            "assigned_to",
            "recorded_by",
            "opportunity",
            "closed_note",
            "created_at",
        ]
        read_only_fields = ["id", "status", "assigned_to", "recorded_by", "opportunity", "closed_note", "created_at"]

    def validate(self, attrs: dict) -> dict:
        customer = attrs.pop("customer", None)
        if isinstance(customer, dict):
            attrs["customer"] = customer.get("code")
        return attrs


class LeadCloseSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    note = serializers.CharField(max_length=200, help_text=_("Why the lead is closed."))


class LeadConvertSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """The opportunity recorded from a lead: its name (the company's by default), expected close date and products
    (the lead's by default)."""

    title = serializers.CharField(max_length=100, required=False, allow_blank=True)
    expected_close_on = serializers.DateField()
    products = serializers.SlugRelatedField(
        slug_field="code",
        many=True,
        queryset=Product.objects.all(),
        required=False,
        error_messages={"does_not_exist": _("No product has the code {value}.")},
    )


class AgentDaySerializer(serializers.Serializer):
    """One agent's day at the outbound desk (issue 20)."""

    agent = serializers.CharField(source="username")
    name = serializers.CharField()
    day = serializers.DateField()
    attempts = serializers.IntegerField()
    effective_contacts = serializers.IntegerField(source="effective")
    accepted = serializers.IntegerField()
    acceptance_rate = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    call_backs_due = serializers.IntegerField()
    call_backs_kept = serializers.IntegerField()


class ListFiguresSerializer(serializers.Serializer):
    """A call list's reach (numbers answered at least once) and conversion (numbers that accepted), in percent."""

    call_list = serializers.IntegerField(source="call_list.pk")
    campaign = serializers.IntegerField(source="call_list.campaign_id")
    mode = serializers.CharField(source="call_list.mode")
    channel = serializers.CharField(source="call_list.channel_id")
    numbers = serializers.IntegerField()
    reached = serializers.IntegerField()
    accepted = serializers.IntegerField()
    reach = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    conversion = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
