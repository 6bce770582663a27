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

from crm.models import UpdateStamped

from ..rules import Holding, Thresholds
from .channels import channel_field

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
    # The partner companies that may sell it (issue 20): partner.products, read the other way.
    partners = models.ManyToManyField(
        "crm.Partner", verbose_name=_("partners that may sell it"), blank=True, related_name="products"
    )

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
    # The channel of the holding's last change (its sale, a change of users or revenue), and the partner company
    # credited with it when the channel is a partner.
    channel = channel_field()
    partner = models.ForeignKey(
        "crm.Partner", verbose_name=_("partner"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
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


class HoldingEnd(models.Model):
    """A holding that ended (退订): the customer, the product, the channel and partner that had sold it, when it was
    subscribed and when it ended. What the channel conflicts read to find a sale withdrawn soon after another
    channel's (issue 20)."""

    customer = models.ForeignKey(
        "accounts.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="holding_ends"
    )
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+")
    channel = channel_field()
    partner = models.ForeignKey(
        "crm.Partner", verbose_name=_("partner"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    subscribed_on = models.DateField(_("subscribed on"))
    ended_on = models.DateField(_("ended on"))
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("ended by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("ended holding")
        verbose_name_plural = _("ended holdings")
        ordering = ["-ended_on", "-id"]
        indexes = [models.Index(fields=["customer", "product"], name="holding_end_customer_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.product_id} {self.ended_on}"


class CoverageThresholds(UpdateStamped):
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


class CoverageCount(models.Model):
    """The night's gap matrix per region (SPEC §6.1): of a region's active customers, how many are uncovered, fake,
    thin or covered for a product. The gap matrix page adds up its territory's regions (`selectors.gap_matrix_counted`)
    where counting live reads every holding of a province (issue 19). The whole table is one night's, replaced at
    once (`services.coverage_snapshot`); its `computed_at` is what the page says the figures are as of."""

    region = models.ForeignKey("crm.Region", verbose_name=_("region"), on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="+")
    status = models.CharField(_("coverage"), max_length=10)
    customers = models.PositiveIntegerField(_("customers"))
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("coverage count")
        verbose_name_plural = _("coverage counts")
        constraints = [
            models.UniqueConstraint(fields=["region", "product", "status"], name="coverage_count_once"),
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.product_id} {self.status}: {self.customers}"
