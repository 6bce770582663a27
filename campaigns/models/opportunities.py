"""Opportunities (商机): the unit of the sales pipeline, from found to opened (issue 17), with every move of stage."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import customer_region_copy

from ..rules import OPEN_OPPORTUNITY_STAGES, OPPORTUNITY_PROBABILITY
from .calls import CallAttempt
from .campaigns import CustomerPlan
from .channels import channel_field
from .products import ZERO, Product


class OpportunityStage(models.TextChoices):
    FOUND = "found", _("Found")
    PROPOSAL = "proposal", _("Proposal")
    NEGOTIATION = "negotiation", _("Negotiation")
    WON = "won", _("Won")
    OPENED = "opened", _("Opened")
    LOST = "lost", _("Lost")


class Competitor(models.TextChoices):
    CMCC = "cmcc", _("China Mobile")
    CTCC = "ctcc", _("China Telecom")
    CUCC = "cucc", _("China Unicom")
    CBN = "cbn", _("China Broadnet")
    OTHER = "other", _("Other")


class OpportunitySource(models.TextChoices):
    VISIT = "visit", _("Visit")
    PLAN = "plan", _("Campaign plan")
    CALL = "call", _("Outbound call")
    INBOUND = "inbound", _("Inbound")
    PARTNER = "partner", _("Partner")


class Opportunity(models.Model):
    """A sales opportunity (商机) at a customer: what may be sold, for how much, how likely, by when, against whom,
    where it was found and who owns it (someone on the customer's team)."""

    customer = models.ForeignKey(
        "accounts.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="opportunities"
    )
    # The customer's region, a copy the database keeps (triggers of migration 0017: set on every opportunity written,
    # moved with a customer that moves), so that a territory's opportunities are found by their own region
    # (`Customer.objects.restrict`) instead of looking up each one's customer.
    region = customer_region_copy()
    title = models.CharField(_("name"), max_length=100)
    products = models.ManyToManyField(Product, verbose_name=_("products"), blank=True, related_name="opportunities")
    expected_monthly_revenue = models.DecimalField(
        _("expected monthly revenue (CNY)"),
        max_digits=14,
        decimal_places=2,
        default=ZERO,
        validators=[MinValueValidator(ZERO, _("The expected monthly revenue cannot be negative."))],
    )
    expected_one_off_revenue = models.DecimalField(
        _("expected one-off revenue (CNY)"),
        max_digits=14,
        decimal_places=2,
        default=ZERO,
        validators=[MinValueValidator(ZERO, _("The expected one-off revenue cannot be negative."))],
    )
    stage = models.CharField(
        _("stage"), max_length=20, choices=OpportunityStage.choices, default=OpportunityStage.FOUND
    )
    lost_reason = models.CharField(_("reason lost"), max_length=200, blank=True)
    # Not a PositiveSmallIntegerField: its own range validator would add a second, vaguer message to ours.
    probability = models.SmallIntegerField(
        _("probability (%)"),
        default=OPPORTUNITY_PROBABILITY["found"],
        validators=[
            MinValueValidator(0, _("The probability is a percentage from 0 to 100.")),
            MaxValueValidator(100, _("The probability is a percentage from 0 to 100.")),
        ],
    )
    expected_close_on = models.DateField(_("expected close date"))
    competitor = models.CharField(_("competitor"), max_length=10, choices=Competitor.choices, blank=True)
    source = models.CharField(
        _("source"), max_length=10, choices=OpportunitySource.choices, default=OpportunitySource.VISIT
    )
    channel = channel_field()
    source_visit = models.ForeignKey(
        "teams.Visit",
        verbose_name=_("found on visit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="found_opportunities",
    )
    source_plan = models.ForeignKey(
        CustomerPlan,
        verbose_name=_("found in campaign plan"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities",
    )
    source_call = models.ForeignKey(
        CallAttempt,
        verbose_name=_("found on call"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="opportunities"
    )
    stage_changed_at = models.DateTimeField(_("stage changed at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("opportunity (商机)")
        verbose_name_plural = _("opportunities (商机)")
        ordering = ["expected_close_on", "-id"]
        indexes = [
            models.Index(fields=["customer", "stage"], name="opportunity_customer_idx"),
            models.Index(fields=["owner", "stage", "expected_close_on"], name="opportunity_owner_idx"),
            models.Index(fields=["stage", "expected_close_on"], name="opportunity_stage_close_idx"),
            # A small territory's opportunities, read by their region.
            models.Index(fields=["region", "stage"], name="opportunity_region_idx"),
            # The default order (the list endpoint's): its first page is read off the index, each opportunity's
            # visibility checked only until the page is full, instead of checking and sorting them all.
            models.Index(fields=["expected_close_on", "-id"], name="opportunity_close_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(expected_monthly_revenue__gte=0) & Q(expected_one_off_revenue__gte=0),
                name="opportunity_revenue_gte_0",
            ),
            models.CheckConstraint(
                condition=Q(probability__gte=0) & Q(probability__lte=100), name="opportunity_probability_0_100"
            ),
            models.CheckConstraint(condition=~Q(stage="lost") | ~Q(lost_reason=""), name="opportunity_lost_has_reason"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_OPPORTUNITY_STAGES

    def clean(self) -> None:
        if self.stage == OpportunityStage.LOST and not self.lost_reason.strip():
            raise ValidationError({"lost_reason": _("Say why the opportunity was lost.")})


class OpportunityStageChange(models.Model):
    """One move of an opportunity from a stage to another, who made it and when: how long it has been idle, and
    the customer's timeline."""

    opportunity = models.ForeignKey(
        Opportunity, verbose_name=_("opportunity"), on_delete=models.CASCADE, related_name="changes"
    )
    from_stage = models.CharField(_("from"), max_length=20, choices=OpportunityStage.choices)
    to_stage = models.CharField(_("to"), max_length=20, choices=OpportunityStage.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("changed by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("opportunity stage change")
        verbose_name_plural = _("opportunity stage changes")
        ordering = ["opportunity_id", "changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.opportunity_id} {self.from_stage}→{self.to_stage}"
