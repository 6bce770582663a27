"""Products, the customers' holdings of them and the coverage thresholds (SPEC §6.1).

Holdings (`CustomerProduct`, SPEC §3) live here with the catalogue rather than in accounts/: campaigns build on
customers, and a holding is the customer's side of a product.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.validators import validate_mobile

from .rules import Holding, Thresholds

ZERO = Decimal("0")
PERCENT = [MinValueValidator(ZERO), MaxValueValidator(Decimal("100"))]


class ProductCategory(models.TextChoices):
    VOICE = "voice", _("Voice")
    DATA = "data", _("Data")
    INDUSTRY_APPLICATION = "industry_application", _("Industry application")
    PERSONALISED_SERVICE = "personalised_service", _("Personalised service")


class Product(models.Model):
    """A group product (集团产品): counted in users (per member, e.g. 集团V网) or as subscribed or not (专线)."""

    code = models.CharField(
        _("code"),
        max_length=20,
        primary_key=True,
        validators=[RegexValidator(r"^[A-Z][A-Z0-9_]{1,19}$", _("A product code is capitals, digits and _."))],
    )
    name = models.CharField(_("name"), max_length=50, unique=True)
    category = models.CharField(_("category"), max_length=30, choices=ProductCategory.choices)
    per_member = models.BooleanField(
        _("per member"), help_text=_("Counted in users (V网, 彩铃); otherwise subscribed or not (专线).")
    )
    is_active = models.BooleanField(_("on sale"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        verbose_name = _("product (集团产品)")
        verbose_name_plural = _("products (集团产品)")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class CustomerProduct(models.Model):
    """A customer's holding of a product (订购): users, revenue, when subscribed and last used."""

    customer = models.ForeignKey(
        "accounts.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="holdings"
    )
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="holdings")
    active_users = models.PositiveIntegerField(_("active users"), default=0)
    monthly_revenue = models.DecimalField(
        _("monthly revenue (CNY)"), max_digits=14, decimal_places=2, default=ZERO, validators=[MinValueValidator(ZERO)]
    )
    subscribed_on = models.DateField(_("subscribed on"))
    last_used_on = models.DateField(_("last used on"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("product holding (客户订购)")
        verbose_name_plural = _("product holdings (客户订购)")
        ordering = ["customer_id", "product__sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "product"], name="holding_one_per_customer_product"),
            models.CheckConstraint(condition=Q(monthly_revenue__gte=0), name="holding_revenue_gte_0"),
            models.CheckConstraint(
                condition=Q(last_used_on__isnull=True) | Q(last_used_on__gte=models.F("subscribed_on")),
                name="holding_used_after_subscribed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.product_id}"

    def clean(self) -> None:
        if self.last_used_on and self.subscribed_on and self.last_used_on < self.subscribed_on:
            raise ValidationError({"last_used_on": _("A product cannot be last used before it was subscribed.")})

    def facts(self) -> Holding:
        return Holding(self.active_users, self.last_used_on)


class CoverageThresholds(models.Model):
    """The thresholds of fake and thin coverage (SPEC §6.1): one row, edited by headquarters."""

    idle_days = models.PositiveSmallIntegerField(_("no use for more than (days): fake"), default=90)
    fake_share = models.DecimalField(
        _("per member: active users below this percentage of handsets: fake"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("5"),
        validators=PERCENT,
    )
    thin_share = models.DecimalField(
        _("per member: active users below this percentage of handsets: thin"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("30"),
        validators=PERCENT,
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("updated by"), null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        verbose_name = _("coverage thresholds")
        verbose_name_plural = _("coverage thresholds")

    def __str__(self) -> str:
        return f"{self.idle_days} d / {self.fake_share} % / {self.thin_share} %"

    def clean(self) -> None:
        if self.fake_share is not None and self.thin_share is not None and self.fake_share > self.thin_share:
            raise ValidationError({"thin_share": _("Thin coverage starts where fake coverage ends: not below it.")})

    def rules(self) -> Thresholds:
        return Thresholds(self.idle_days, self.fake_share, self.thin_share)

    @classmethod
    def current(cls) -> Thresholds:
        row = cls.objects.order_by("pk").first()
        return row.rules() if row is not None else Thresholds()


class DoNotCall(models.Model):
    """A number that asked not to be called (营销黑名单): never on a call list (SPEC §6.3). Removal needs
    provincial staff."""

    mobile = models.CharField(_("mobile"), max_length=11, unique=True, validators=[validate_mobile])
    reason = models.CharField(_("reason"), max_length=200)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("added by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("do-not-call number (营销黑名单)")
        verbose_name_plural = _("do-not-call list (营销黑名单)")
        ordering = ["-added_at", "-id"]

    def __str__(self) -> str:
        return self.mobile


class CampaignKind(models.TextChoices):
    SITE_EVENT = "site_event", _("Site event")
    OUTBOUND_CALL = "outbound_call", _("Outbound calls")
    PRODUCT_PUSH = "product_push", _("Product push")


class Campaign(models.Model):
    """A campaign (营销活动) of a department over a region and a period, with target products and the segment
    whose customers each get a plan (一户一案, SPEC §6.2)."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=CampaignKind.choices)
    department = models.ForeignKey(
        "crm.Department", verbose_name=_("owning department"), on_delete=models.PROTECT, related_name="campaigns"
    )
    region = models.ForeignKey("crm.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    target_products = models.ManyToManyField(Product, verbose_name=_("target products"), related_name="campaigns")
    # {"tiers": [...], "industries": [...], "coverage": [...]}: empty lists mean any
    segment = models.JSONField(_("segment"), default=dict, blank=True)
    goal_openings = models.PositiveIntegerField(
        _("goal: customers opened"), null=True, blank=True, help_text=_("How many plans should reach 'opened'.")
    )
    goal_revenue = models.DecimalField(
        _("goal: new monthly revenue (CNY)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(ZERO)],
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("campaign (营销活动)")
        verbose_name_plural = _("campaigns (营销活动)")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="campaign_ends_after_start")
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("A campaign cannot end before it starts.")})


class PlanStage(models.TextChoices):
    SCREENED = "screened", _("Screened")
    OPPORTUNITY = "opportunity", _("Opportunity")
    VISITED = "visited", _("Visited")
    OPENED = "opened", _("Opened")
    AFTER_SALES = "after_sales", _("After sales")
    LOST = "lost", _("Lost")


class CustomerPlan(models.Model):
    """One customer's plan in a campaign (一户一案): objective, gap products, owner and stage on the five-step path."""

    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="plans")
    customer = models.ForeignKey(
        "accounts.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="plans"
    )
    objective = models.CharField(_("objective"), max_length=300)
    gap_products = models.ManyToManyField(Product, verbose_name=_("gap products"), related_name="+", blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="campaign_plans",
    )
    stage = models.CharField(_("stage"), max_length=20, choices=PlanStage.choices, default=PlanStage.SCREENED)
    stage_changed_at = models.DateTimeField(_("stage changed at"), auto_now_add=True)
    stage_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("stage changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("customer plan (一户一案)")
        verbose_name_plural = _("customer plans (一户一案)")
        ordering = ["campaign_id", "customer_id"]
        constraints = [models.UniqueConstraint(fields=["campaign", "customer"], name="plan_one_per_campaign_customer")]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.customer_id} {self.stage}"


class PlanStageChange(models.Model):
    """One move of a plan along the path, who made it, when, and why (a move back needs a reason)."""

    plan = models.ForeignKey(CustomerPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="changes")
    from_stage = models.CharField(_("from"), max_length=20, choices=PlanStage.choices)
    to_stage = models.CharField(_("to"), max_length=20, choices=PlanStage.choices)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    visit = models.ForeignKey(
        "teams.Visit",
        verbose_name=_("visit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="plan_changes",
        help_text=_("The logged visit that moved the plan, if one did."),
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("changed by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("plan stage change")
        verbose_name_plural = _("plan stage changes")
        ordering = ["plan_id", "changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.from_stage}→{self.to_stage}"


class Activity(models.Model):
    """A site activity (现场活动) of a department, usually within a campaign: when and where, who of the staff
    went, how many came, and what came of it (SPEC §6.2). Each department holds at least one a month."""

    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities",
    )
    department = models.ForeignKey(
        "crm.Department", verbose_name=_("department"), on_delete=models.PROTECT, related_name="activities"
    )
    held_on = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=200)
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("staff"), blank=True, related_name="activities_staffed"
    )
    attendance = models.PositiveIntegerField(_("attendance"), default=0)
    new_subscriptions = models.PositiveIntegerField(_("new subscriptions"), default=0)
    revenue = models.DecimalField(
        _("revenue (CNY)"), max_digits=14, decimal_places=2, default=ZERO, validators=[MinValueValidator(ZERO)]
    )
    note = models.TextField(_("note"), max_length=2000, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("activity (现场活动)")
        verbose_name_plural = _("activities (现场活动)")
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["department", "held_on"], name="activity_department_day_idx")]
        constraints = [models.CheckConstraint(condition=Q(revenue__gte=0), name="activity_revenue_gte_0")]

    def __str__(self) -> str:
        return f"{self.held_on} {self.place}"


class CallSource(models.TextChoices):
    KEY_PERSONS = "key_persons", _("Key persons")
    MEMBERS = "members", _("Group members")
    ALL = "all", _("Key persons and group members")


class CallOutcome(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    NO_ANSWER = "no_answer", _("No answer")
    CALL_BACK = "call_back", _("Call back")
    DO_NOT_CALL = "do_not_call", _("Do not call")


# Outcomes after which an entry is not called again in the campaign.
FINAL_OUTCOMES = (CallOutcome.ACCEPTED, CallOutcome.DECLINED, CallOutcome.DO_NOT_CALL)
# Nobody is tried more often than this in one campaign (SPEC §6.3).
MAX_ATTEMPTS = 7


class CallList(models.Model):
    """An outbound call list (外呼清单) of a campaign, worked by one agent (SPEC §6.3); open until closed."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="call_lists"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("agent"), on_delete=models.PROTECT, related_name="call_lists"
    )
    source = models.CharField(_("called"), max_length=20, choices=CallSource.choices, default=CallSource.ALL)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("built by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("built at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("call list (外呼清单)")
        verbose_name_plural = _("call lists (外呼清单)")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class CallEntry(models.Model):
    """One number to ring on a call list: a key person or group member of one of the campaign's customers."""

    call_list = models.ForeignKey(
        CallList, verbose_name=_("call list"), on_delete=models.CASCADE, related_name="entries"
    )
    customer = models.ForeignKey(
        "accounts.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(_("name"), max_length=50)
    mobile = models.CharField(_("mobile"), max_length=11, validators=[validate_mobile])
    attempts = models.PositiveSmallIntegerField(_("attempts in the campaign"), default=0)
    last_outcome = models.CharField(_("last outcome"), max_length=20, choices=CallOutcome.choices, blank=True)
    last_called_at = models.DateTimeField(_("last called at"), null=True, blank=True)

    class Meta:
        verbose_name = _("call list entry")
        verbose_name_plural = _("call list entries")
        ordering = ["call_list_id", "id"]
        indexes = [models.Index(fields=["mobile"], name="call_entry_mobile_idx")]
        constraints = [models.UniqueConstraint(fields=["call_list", "mobile"], name="call_entry_one_per_list_mobile")]

    def __str__(self) -> str:
        return f"{self.name} {self.mobile}"

    @property
    def is_done(self) -> bool:
        return self.last_outcome in FINAL_OUTCOMES or self.attempts >= MAX_ATTEMPTS


class CallAttempt(models.Model):
    """One call made: by which agent, when, to which number in which campaign, and its outcome. Kept when the
    entry is removed (a `do_not_call` removes the number from every open list), so reports and the 7-attempt
    count stay whole."""

    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="+")
    entry = models.ForeignKey(
        CallEntry, verbose_name=_("entry"), null=True, on_delete=models.SET_NULL, related_name="calls"
    )
    customer = models.ForeignKey(
        "accounts.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="+"
    )
    mobile = models.CharField(_("mobile"), max_length=11)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("agent"), on_delete=models.PROTECT, related_name="calls"
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=CallOutcome.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    called_at = models.DateTimeField(_("called at"), auto_now_add=True)

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ["-called_at", "-id"]
        indexes = [
            models.Index(fields=["campaign", "mobile"], name="call_campaign_mobile_idx"),
            models.Index(fields=["campaign", "agent", "called_at"], name="call_campaign_agent_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.mobile} {self.outcome}"
