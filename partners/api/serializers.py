from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from campaigns.models import Product
from crm.models import Partner, PartnerKind, Region

from ..models import CommissionRule, Settlement, SettlementJobRun, SettlementLine
from ..months import format_month, parse_month
from ..selectors import settlement_lines
from ..services.commissions import RULE_FIELDS


class PartnerSerializer(serializers.ModelSerializer):
    """A partner company (合作伙伴): its kinds (one or more of `sales_agent` 营销代理商, `service_agent` 服务代理商,
    `solution_provider` 解决方案提供商), contract, territory (a region code), status and the products it may sell
    (codes)."""

    kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=PartnerKind.choices),
        allow_empty=False,
        help_text=_("One or more of: sales_agent, service_agent, solution_provider."),
    )
    region = serializers.SlugRelatedField(slug_field="code", queryset=Region.objects.all())
    products = serializers.SlugRelatedField(
        slug_field="code", many=True, queryset=Product.objects.all(), required=False, help_text=_("Product codes.")
    )
    staff_count = serializers.SerializerMethodField(help_text=_("How many users are its staff."))

    class Meta:
        model = Partner
        fields = [
            "id",
            "name",
            "uscc",
            "kinds",
            "region",
            "contract_starts_on",
            "contract_ends_on",
            "status",
            "products",
            "staff_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "staff_count", "created_at", "updated_at"]

    def get_staff_count(self, partner: Partner) -> int:
        return partner.staff.count()

    def validate_kinds(self, kinds: list[str]) -> list[str]:
        if len(set(kinds)) != len(kinds):
            raise serializers.ValidationError(_("Each kind is named once."))
        return kinds

    def validate(self, attrs: dict) -> dict:
        starts = attrs.get("contract_starts_on", getattr(self.instance, "contract_starts_on", None))
        ends = attrs.get("contract_ends_on", getattr(self.instance, "contract_ends_on", None))
        if starts and ends and ends < starts:
            raise serializers.ValidationError({"contract_ends_on": _("A contract cannot end before it starts.")})
        return attrs


class MonthField(serializers.Field):
    """A month written YYYY-MM, kept as its first day; refused with `parse_month`'s reason."""

    def to_internal_value(self, data):
        try:
            return parse_month(data if isinstance(data, str) else None)
        except ValueError as wrong:
            raise serializers.ValidationError(str(wrong), code="invalid") from None

    def to_representation(self, value):
        return format_month(value)


extend_schema_field({"type": "string", "pattern": r"^\d{4}-\d{2}$", "example": "2026-11"})(MonthField)


class CommissionRuleSerializer(serializers.ModelSerializer):
    """A commission rule (酬金规则): pays partners of one kind for one product on one basis — `revenue_share` (`rate`
    per cent of the first `months` months' revenue of what they sold), `per_active_user` (`amount` per active user
    per month of the customers they serve) or `one_off` (`amount` once per solution sold, solution providers) —
    from `valid_from` to `valid_until` (months, YYYY-MM). `scope` is the national root (000000, headquarters) or a
    province (its provincial staff)."""

    scope = serializers.SlugRelatedField(slug_field="code", queryset=Region.objects.all())
    product = serializers.SlugRelatedField(slug_field="code", queryset=Product.objects.all())
    valid_from = MonthField()
    valid_until = MonthField(required=False, allow_null=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = CommissionRule
        fields = ["id", *RULE_FIELDS, "created_by", "created_at", "updated_at"]
        read_only_fields = ["id", "created_by", "created_at", "updated_at"]
        # the model's own checks (a negative rate or amount, which fields a basis takes) speak through the service
        extra_kwargs = {
            "rate": {"min_value": None, "max_value": None},
            "amount": {"min_value": None},
            "months": {"min_value": None, "max_value": None, "validators": []},
        }


class SettlementLineSerializer(serializers.ModelSerializer):
    """One commission of a settlement, traceable to its customer, product and rule: `quantity` (active users; 1 for a
    share or a one-off) and `base` (the month's revenue for a share, the rule's amount otherwise) are what `amount`
    was computed from; `corrects_period` names the approved month a correction line pays or takes back."""

    customer = serializers.CharField(source="customer.code", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    product = serializers.CharField(source="product_id", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    rule = serializers.IntegerField(source="rule_id", read_only=True)
    corrects_period = MonthField(read_only=True)

    class Meta:
        model = SettlementLine
        fields = [
            "id",
            "customer",
            "customer_name",
            "product",
            "product_name",
            "rule",
            "basis",
            "partner_kind",
            "quantity",
            "base",
            "rate",
            "month_index",
            "amount",
            "corrects_period",
        ]
        read_only_fields = fields


class SettlementSummarySerializer(serializers.ModelSerializer):
    """A partner's settlement of a month (酬金结算单): `draft` to review, or `approved` (by whom, when) and final."""

    partner_name = serializers.CharField(source="partner.name", read_only=True)
    period = MonthField(read_only=True)
    computed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    approved_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Settlement
        fields = [
            "id",
            "partner",
            "partner_name",
            "period",
            "status",
            "total",
            "lines_count",
            "computed_at",
            "computed_by",
            "approved_at",
            "approved_by",
        ]
        read_only_fields = fields


class SettlementSerializer(SettlementSummarySerializer):
    """The settlement with every line."""

    lines = serializers.SerializerMethodField()

    class Meta(SettlementSummarySerializer.Meta):
        fields = [*SettlementSummarySerializer.Meta.fields, "lines"]
        read_only_fields = fields

    @extend_schema_field(SettlementLineSerializer(many=True))
    def get_lines(self, settlement: Settlement) -> list:
        return SettlementLineSerializer(settlement_lines(settlement), many=True).data


class PeriodSerializer(serializers.Serializer):
    period = MonthField(help_text=_("The month, YYYY-MM."))


class SettlementsComputeSerializer(PeriodSerializer):
    region = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Region.objects.all(),
        required=False,
        help_text=_("The province (or the national root) whose partners to settle; the caller's territory by default."),
    )


class SettlementApproveSerializer(PeriodSerializer):
    computed_at = serializers.DateTimeField(
        required=False, help_text=_("When the settlement reviewed was computed: refused if computed again since.")
    )


class SettlementRunSerializer(serializers.Serializer):
    period = serializers.CharField()
    computed = serializers.IntegerField(help_text=_("Settlements computed (drafts)."))
    approved_left = serializers.IntegerField(help_text=_("Settlements already approved, left as they are."))
    lines = serializers.IntegerField()
    corrections = serializers.IntegerField(help_text=_("Lines correcting approved earlier months."))
    total = serializers.DecimalField(max_digits=16, decimal_places=2)


class SettlementJobSerializer(serializers.ModelSerializer):
    """A month's settlements of a territory computed by the workers: `running` while its chunks of partners are
    computed (`chunks_done` of `chunks_total`), then `succeeded` with what the month's settlements hold (the counts
    of `SettlementRun`), or `failed` with its `errors` (the chunks that succeeded keep their settlements)."""

    period = MonthField(read_only=True)
    region = serializers.CharField(source="region_id", read_only=True)
    started_by = serializers.SlugRelatedField(source="triggered_by", slug_field="username", read_only=True)
    errors = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField(help_text=_("Where to follow it: GET it until it is no longer running."))

    class Meta:
        model = SettlementJobRun
        fields = [
            "id",
            "period",
            "region",
            "status",
            "started_by",
            "started_at",
            "finished_at",
            "chunks_total",
            "chunks_done",
            "computed",
            "approved_left",
            "lines",
            "corrections",
            "total",
            "errors",
            "url",
        ]
        read_only_fields = fields

    def get_errors(self, run: SettlementJobRun) -> list[str]:
        return [str(error.get("error", error)) if isinstance(error, dict) else str(error) for error in run.errors]

    def get_url(self, run: SettlementJobRun) -> str:
        return reverse("settlement-run", args=[run.pk])
