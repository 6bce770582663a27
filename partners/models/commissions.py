"""Commissions (酬金) of partner companies (issue 20, point 3): the rules, kept as data, and the monthly settlements
computed from them, line by line.

A rule pays a partner of one kind for one product, on one basis: a share of the first months' revenue of what it
sold, an amount per active user of the customers it serves, or a one-off amount for a solution it sold. Provincial
staff keep their province's rules, headquarters the national ones; a province's rule replaces the national one of
the same kind, product and basis. A settlement is one partner's month: its lines, each naming the customer, the
product and the rule it comes from with the quantity and base it was computed from. Approved, it never changes (the
database refuses it too); what changed in an approved month is carried by the next settlement computed, as
correction lines.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crm.models import ChunkedJobRun, PartnerKind

ZERO = Decimal("0")


class CommissionBasis(models.TextChoices):
    """What a rule pays on."""

    REVENUE_SHARE = "revenue_share", _("Share of the first months' revenue")
    PER_ACTIVE_USER = "per_active_user", _("Amount per active user per month")
    ONE_OFF = "one_off", _("One-off amount for a solution")


# Which kinds of partner each basis pays (issue 20): sales agents a sales commission, service agents a service
# commission, solution providers both and the one-off amount for their solutions.
KINDS_PAID: dict[str, tuple[str, ...]] = {
    CommissionBasis.REVENUE_SHARE: (PartnerKind.SALES_AGENT, PartnerKind.SOLUTION_PROVIDER),
    CommissionBasis.PER_ACTIVE_USER: (PartnerKind.SERVICE_AGENT, PartnerKind.SOLUTION_PROVIDER),
    CommissionBasis.ONE_OFF: (PartnerKind.SOLUTION_PROVIDER,),
}


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


class CommissionRule(models.Model):
    """How much a partner of one kind earns for one product, on one basis, from one month (and until one, or
    further notice). National (scope: the national root) or a province's own."""

    scope = models.ForeignKey(
        "crm.Region",
        verbose_name=_("scope"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The national root, or a province: a province's rule replaces the national one."),
    )
    partner_kind = models.CharField(_("partner kind"), max_length=20, choices=PartnerKind.choices)
    product = models.ForeignKey(
        "campaigns.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="commission_rules"
    )
    basis = models.CharField(_("basis"), max_length=20, choices=CommissionBasis.choices)
    rate = models.DecimalField(
        _("rate (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Share of the month's revenue, in per cent (revenue share)."),
    )
    months = models.PositiveSmallIntegerField(
        _("months"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text=_("How many months from the subscription the share is paid for (revenue share)."),
    )
    amount = models.DecimalField(
        _("amount (CNY)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Per active user per month, or once per solution."),
    )
    valid_from = models.DateField(_("valid from (month)"), help_text=_("The first day of the first month it pays."))
    valid_until = models.DateField(
        _("valid until (month)"), null=True, blank=True, help_text=_("The first day of the last month it pays.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("commission rule (酬金规则)")
        verbose_name_plural = _("commission rules (酬金规则)")
        ordering = ["scope_id", "partner_kind", "product_id", "basis", "valid_from"]
        constraints = [
            models.CheckConstraint(condition=Q(rate__isnull=True) | Q(rate__gte=0), name="commission_rate_gte_0"),
            models.CheckConstraint(condition=Q(amount__isnull=True) | Q(amount__gte=0), name="commission_amount_gte_0"),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="commission_valid_until_after_from",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.partner_kind} {self.product_id} {self.basis}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        for name in ("rate", "amount"):
            value = getattr(self, name)
            if value is not None and value < 0:
                errors[name] = str(_("The %(field)s cannot be negative: %(value)s.")) % {
                    "field": self._meta.get_field(name).verbose_name,
                    "value": value,
                }
        if self.basis == CommissionBasis.REVENUE_SHARE:
            if self.rate is None and "rate" not in errors:
                errors["rate"] = str(_("A revenue share needs its rate (per cent of the month's revenue)."))
            elif self.rate is not None and self.rate > 100 and "rate" not in errors:
                errors["rate"] = str(_("A share cannot exceed 100 per cent."))
            if not self.months:
                errors["months"] = str(_("A revenue share needs the number of months it is paid for."))
            if self.amount is not None:
                errors["amount"] = str(_("A revenue share is a rate, not an amount: leave the amount empty."))
        elif self.basis in (CommissionBasis.PER_ACTIVE_USER, CommissionBasis.ONE_OFF):
            if self.amount is None and "amount" not in errors:
                errors["amount"] = str(_("This basis pays an amount (CNY): give it."))
            if self.rate is not None:
                errors["rate"] = str(_("This basis pays an amount, not a rate: leave the rate empty."))
            if self.months is not None:
                errors["months"] = str(_("Only a revenue share is paid for a number of months."))
        paid = KINDS_PAID.get(self.basis)
        if paid is not None and self.partner_kind and self.partner_kind not in paid:
            errors["partner_kind"] = str(_("%(basis)s is paid to %(kinds)s only.")) % {
                "basis": self.get_basis_display(),
                "kinds": ", ".join(str(PartnerKind(kind).label) for kind in paid),
            }
        if self.valid_from and self.valid_from.day != 1:
            errors["valid_from"] = str(_("A rule starts with a month: give its first day."))
        if self.valid_until:
            if self.valid_until.day != 1:
                errors["valid_until"] = str(_("A rule ends with a month: give its first day."))
            elif self.valid_from and self.valid_until < self.valid_from:
                errors["valid_until"] = str(_("A rule cannot end before it starts."))
        if errors:
            raise ValidationError(errors)

    def in_force(self, month: datetime.date) -> bool:
        return self.valid_from <= month and (self.valid_until is None or self.valid_until >= month)


class SettlementStatus(models.TextChoices):
    DRAFT = "draft", _("To review")
    APPROVED = "approved", _("Approved")


class Settlement(models.Model):
    """One partner's commissions of one month (酬金结算单): computed (again, while it is a draft) by provincial staff,
    then approved by them; approved, it never changes."""

    partner = models.ForeignKey(
        "crm.Partner", verbose_name=_("partner"), on_delete=models.PROTECT, related_name="settlements"
    )
    period = models.DateField(_("month"), help_text=_("The first day of the month settled."))
    status = models.CharField(
        _("status"), max_length=10, choices=SettlementStatus.choices, default=SettlementStatus.DRAFT
    )
    total = models.DecimalField(_("total (CNY)"), max_digits=14, decimal_places=2, default=ZERO)
    lines_count = models.PositiveIntegerField(_("lines"), default=0)
    computed_at = models.DateTimeField(_("computed at"))
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("computed by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("commission settlement (酬金结算)")
        verbose_name_plural = _("commission settlements (酬金结算)")
        ordering = ["-period", "partner__name"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "period"], name="settlement_one_per_partner_month"),
            models.CheckConstraint(
                condition=Q(status=SettlementStatus.DRAFT) | Q(approved_at__isnull=False, approved_by__isnull=False),
                name="settlement_approved_by_someone",
            ),
        ]
        indexes = [models.Index(fields=["period", "status"], name="settlement_period_idx")]

    def __str__(self) -> str:
        return f"{self.partner} {self.period:%Y-%m}"

    @property
    def is_approved(self) -> bool:
        return self.status == SettlementStatus.APPROVED


class SettlementLine(models.Model):
    """One commission of a settlement: the customer, product and rule it comes from, with the quantity (active users;
    1 for a share or a one-off) and the base (the month's revenue for a share, the rule's amount otherwise) it was
    computed from. A correction line (`corrects_period` set) pays, or takes back, what an approved earlier month
    should have held and did not, or held and should not have."""

    settlement = models.ForeignKey(
        Settlement, verbose_name=_("settlement"), on_delete=models.CASCADE, related_name="lines"
    )
    customer = models.ForeignKey(
        "accounts.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+"
    )
    product = models.ForeignKey(
        "campaigns.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    rule = models.ForeignKey(CommissionRule, verbose_name=_("rule"), on_delete=models.PROTECT, related_name="lines")
    basis = models.CharField(_("basis"), max_length=20, choices=CommissionBasis.choices)
    partner_kind = models.CharField(_("paid as"), max_length=20, choices=PartnerKind.choices)
    quantity = models.IntegerField(_("quantity"))
    base = models.DecimalField(_("base (CNY)"), max_digits=14, decimal_places=2)
    rate = models.DecimalField(_("rate (%)"), max_digits=5, decimal_places=2, null=True, blank=True)
    month_index = models.PositiveSmallIntegerField(_("month of the share"), null=True, blank=True)
    amount = models.DecimalField(_("amount (CNY)"), max_digits=14, decimal_places=2)
    corrects_period = models.DateField(_("corrects month"), null=True, blank=True)

    class Meta:
        verbose_name = _("settlement line")
        verbose_name_plural = _("settlement lines")
        ordering = ["settlement_id", "corrects_period", "basis", "customer_id", "product_id"]

    def __str__(self) -> str:
        return f"{self.settlement_id} {self.customer_id} {self.product_id} {self.basis} {self.amount}"


class SettlementJobRun(ChunkedJobRun):
    """A month's settlements of a territory's partners computed by the workers (`partners.tasks`), a chunk of
    partners at a time (each chunk's settlements in its own transaction), while the page that started it follows its
    progress: the month, the territory, and what the computation found once over."""

    region = models.ForeignKey("crm.Region", verbose_name=_("territory"), on_delete=models.PROTECT, related_name="+")
    period = models.DateField(_("month"), help_text=_("The first day of the month settled."))
    # The starter's language: a failure is written in it.
    language = models.CharField(max_length=10, blank=True, editable=False)
    computed = models.PositiveIntegerField(_("settlements computed"), default=0)
    approved_left = models.PositiveIntegerField(_("approved settlements left as they are"), default=0)
    lines = models.PositiveIntegerField(_("lines"), default=0)
    corrections = models.PositiveIntegerField(_("corrections of earlier months"), default=0)
    total = models.DecimalField(_("total (CNY)"), max_digits=16, decimal_places=2, default=ZERO)

    class Meta(ChunkedJobRun.Meta):
        verbose_name = _("settlement computation")
        verbose_name_plural = _("settlement computations")
        indexes = [models.Index(fields=["region", "period", "status"], name="settlement_run_scope_idx")]

    def __str__(self) -> str:
        return f"{self.region_id} {self.period:%Y-%m} {self.status}"

    def get_absolute_url(self) -> str:
        return f"{reverse('partners:settlements')}?period={self.period:%Y-%m}&run={self.pk}"
