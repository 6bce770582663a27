"""Campaigns, their customer plans (一户一案) on the five-step path, and site activities (SPEC §6.2)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crm.models import ChunkedJobRun

from .channels import channel_field
from .products import ZERO, Product


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
    # A cancelled campaign (已取消) keeps its plans, closed: read-only, off the lists of work and no channel conflict.
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cancelled by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("campaign (营销活动)")
        verbose_name_plural = _("campaigns (营销活动)")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="campaign_ends_after_start"),
            models.CheckConstraint(
                condition=Q(cancelled_at__isnull=True) | ~Q(cancel_reason=""), name="campaign_cancelled_with_reason"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

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


class CustomerPlanQuerySet(models.QuerySet["CustomerPlan"]):
    def in_force(self, on=None) -> CustomerPlanQuerySet:
        """Plans of campaigns that run today (or on `on`): not cancelled, not yet ended. A plan given to a partner
        lets its staff see the customer while it is in force (`Customer.objects.visible_to`)."""
        from django.utils import timezone

        day = on or timezone.localdate()
        return self.filter(campaign__cancelled_at__isnull=True, campaign__ends_on__gte=day)


class CustomerPlan(models.Model):
    """One customer's plan in a campaign (一户一案): objective, gap products, owner and stage on the five-step path;
    the channel working it, and the partner company when it is given to one."""

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
    channel = channel_field()
    partner = models.ForeignKey(
        "crm.Partner",
        verbose_name=_("partner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="plans",
        help_text=_("The partner company the plan is given to; its staff then see the customer."),
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

    objects = CustomerPlanQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer plan (一户一案)")
        verbose_name_plural = _("customer plans (一户一案)")
        ordering = ["campaign_id", "customer_id"]
        constraints = [models.UniqueConstraint(fields=["campaign", "customer"], name="plan_one_per_campaign_customer")]
        indexes = [models.Index(fields=["partner", "customer"], name="plan_partner_customer_idx")]

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
    channel = channel_field()
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


class CampaignCreationRun(ChunkedJobRun):
    """A campaign too large to create while its planner waits (CAMPAIGN_BACKGROUND_PLANS plans or more), created by a
    worker (`campaigns.tasks.campaign_creation_run`): what to create, as confirmed on its preview (`data`, and the
    preview's `fingerprint`: customers changed meanwhile fail the run), and the campaign it created. One chunk: the
    whole campaign is written in one transaction."""

    name = models.CharField(_("name"), max_length=100)
    department = models.ForeignKey(
        "crm.Department", verbose_name=_("owning department"), on_delete=models.PROTECT, related_name="+"
    )
    region = models.ForeignKey("crm.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    # The confirmed form as `campaigns.services.creation_data` reads it back: ids, codes and ISO dates.
    data = models.JSONField(_("campaign data"), default=dict)
    fingerprint = models.CharField(_("preview fingerprint"), max_length=64)
    # The same confirmation sent twice (a double click) finds its first run by this key: data and fingerprint.
    request_key = models.CharField(max_length=64, editable=False)
    # The planner's language when confirming: a failure is written in it.
    language = models.CharField(max_length=10, blank=True, editable=False)
    plans = models.PositiveIntegerField(_("plans"), default=0)
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(ChunkedJobRun.Meta):
        verbose_name = _("campaign creation run")
        verbose_name_plural = _("campaign creation runs")
        indexes = [models.Index(fields=["triggered_by", "request_key"], name="campaign_run_request_idx")]

    def __str__(self) -> str:
        return f"{self.name} {self.started_at:%Y-%m-%d %H:%M} {self.status}"

    def get_absolute_url(self) -> str:
        return reverse("campaigns:creation", args=[self.pk])
