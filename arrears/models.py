"""Arrears collection (大额欠费, issue 21): what the latest bill says each customer owes, the thresholds that make
arrears "large", and the collection cases opened over them with the outcomes of each chase."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Tier
from crm.models import UpdateStamped

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


class ArrearsThreshold(UpdateStamped):
    """From how much a customer's arrears are large (大额欠费) for its tier: nationally (the national root) or in one
    province, which then overrides the national row tier by tier; without a row, `rules.DEFAULT_THRESHOLDS`."""

    region = models.ForeignKey(
        "crm.Region",
        verbose_name=_("national root or province"),
        on_delete=models.CASCADE,
        related_name="+",
        limit_choices_to={"level__in": ["national", "province"]},
    )
    tier = models.CharField(_("tier"), max_length=2, choices=Tier.choices)
    amount = models.DecimalField(
        _("threshold (CNY)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(CENT)]
    )

    class Meta:
        verbose_name = _("arrears threshold (大额欠费标准)")
        verbose_name_plural = _("arrears thresholds (大额欠费标准)")
        ordering = ["region_id", "tier"]
        constraints = [
            models.UniqueConstraint(fields=["region", "tier"], name="arrears_threshold_one_per_region_tier"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="arrears_threshold_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.tier} {self.amount}"

    def clean(self) -> None:
        if self.region_id and self.region.level not in ("national", "province"):
            raise ValidationError({"region": _("Arrears thresholds are set nationally or per province.")})


class CustomerArrears(models.Model):
    """What a customer owes as its latest bill says (`accounts.BillingPeriod`), kept by every billing import for the
    customers it names: a row only while the amount is above zero, so that the KPIs and lists read the few customers
    in arrears, not every customer's bills."""

    customer = models.OneToOneField(
        "accounts.Customer",
        verbose_name=_("customer"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="arrears",
    )
    amount = models.DecimalField(_("arrears (CNY)"), max_digits=14, decimal_places=2)
    since = models.DateField(_("in arrears since"), null=True, blank=True)
    period = models.DateField(_("month billed"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("customer arrears (欠费)")
        verbose_name_plural = _("customer arrears (欠费)")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="customer_arrears_gt_0")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.amount}"


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PROMISED = "promised", _("Payment promised")
    PAID = "paid", _("Paid (awaiting the bill)")
    PARTLY_PAID = "partly_paid", _("Partly paid")
    DISPUTED = "disputed", _("Disputed")
    ESCALATED = "escalated", _("Escalated")
    CLOSED = "closed", _("Closed (paid)")


class OutcomeKind(models.TextChoices):
    PROMISED = "promised", _("Payment promised")
    PAID = "paid", _("Paid")
    PARTLY_PAID = "partly_paid", _("Partly paid")
    DISPUTED = "disputed", _("Disputed")
    ESCALATED = "escalated", _("Escalated")


class ArrearsCase(models.Model):
    """A collection case (催收): opened when a customer's arrears reach the threshold of its tier, assigned to its
    billing manager (账务经理) and second manager (第二客户经理), due by the age of the arrears; its status is the last
    outcome recorded, and it closes when a billing import shows the arrears paid."""

    customer = models.ForeignKey(
        "accounts.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="arrears_cases",
        db_index=False,  # the index below starts with it
    )
    status = models.CharField(_("status"), max_length=12, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    opened_on = models.DateField(_("opened on"), default=timezone.localdate)
    opened_amount = models.DecimalField(_("arrears when opened (CNY)"), max_digits=14, decimal_places=2)
    amount = models.DecimalField(_("arrears as last billed (CNY)"), max_digits=14, decimal_places=2)
    since = models.DateField(_("in arrears since"), null=True, blank=True)
    threshold = models.DecimalField(_("threshold passed (CNY)"), max_digits=14, decimal_places=2)
    due_on = models.DateField(_("due on"))
    billing_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("billing manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    second_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("second manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("collection case (催收工单)")
        verbose_name_plural = _("collection cases (催收工单)")
        ordering = ["-opened_on", "-id"]
        indexes = [
            models.Index(fields=["customer", "opened_on"], name="arrears_case_customer_idx"),
            # The open cases, oldest due first (the collectors' lists, the nightly work).
            models.Index(fields=["due_on"], name="arrears_case_open_due_idx", condition=Q(closed_on__isnull=True)),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=Q(closed_on__isnull=True), name="arrears_case_one_open_per_customer"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="arrears_case_amount_gte_0"),
            models.CheckConstraint(condition=Q(opened_amount__gt=0), name="arrears_case_opened_amount_gt_0"),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(status=CaseStatus.CLOSED), name="arrears_case_closed_status"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.opened_on} {self.status}"

    @property
    def is_open(self) -> bool:
        return self.closed_on is None

    @property
    def is_overdue(self) -> bool:
        return self.closed_on is None and self.due_on < timezone.localdate()


class ArrearsOutcome(models.Model):
    """One outcome of chasing a case: a promise to pay by a date, a payment (whole or part), a dispute, an
    escalation; kept, never edited."""

    case = models.ForeignKey(ArrearsCase, verbose_name=_("case"), on_delete=models.CASCADE, related_name="outcomes")
    kind = models.CharField(_("outcome"), max_length=12, choices=OutcomeKind.choices)
    promised_on = models.DateField(_("promised for"), null=True, blank=True)
    amount = models.DecimalField(
        _("amount paid (CNY)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(CENT)],
    )
    note = models.TextField(_("note"), max_length=2000, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("collection outcome (催收结果)")
        verbose_name_plural = _("collection outcomes (催收结果)")
        ordering = ["case_id", "recorded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind=OutcomeKind.PROMISED) | Q(promised_on__isnull=False),
                name="arrears_outcome_promise_dated",
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gt=0), name="arrears_outcome_amount_gt_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"

    def clean(self) -> None:
        if self.kind == OutcomeKind.PROMISED:
            if self.promised_on is None:
                raise ValidationError({"promised_on": _("A promise to pay needs the date by which it is promised.")})
            if self.promised_on < timezone.localdate():
                raise ValidationError({"promised_on": _("A promise to pay is for today or a later day.")})
        elif self.promised_on is not None:
            raise ValidationError({"promised_on": _("Only a promise to pay has a promised date.")})
        if self.amount is not None and self.kind not in (OutcomeKind.PAID, OutcomeKind.PARTLY_PAID):
            raise ValidationError({"amount": _("Only a payment, whole or part, has an amount.")})
