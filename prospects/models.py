"""Prospects (潜在客户, issue 21): companies not yet customers, filed by the staff of a grid with their location, held
in the grid's pool (公海) until someone claims one, returned to it when the claim goes unvisited, converted into a
customer with its team. The claim rules per province and the yearly targets of new group customers per region are
data."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Tier
from accounts.validators import position_whole_and_in_range, validate_uscc
from crm.models import RegionLevel

from .rules import DEFAULT_MAX_CLAIMED, DEFAULT_RETURN_AFTER_DAYS


class ProspectStatus(models.TextChoices):
    POOL = "pool", _("In the pool")
    CLAIMED = "claimed", _("Claimed")
    CONVERTED = "converted", _("Converted")


class DuplicateKind(models.TextChoices):
    """What a possible duplicate of a company is."""

    CUSTOMER = "customer", _("customer")
    PROSPECT = "prospect", _("prospect")


class DuplicateReason(models.TextChoices):
    """Why two companies are taken for the same (`rules.duplicate_reason`)."""

    USCC = "uscc", _("the same unified social credit code")
    NAME_ADDRESS = "name_address", _("a similar name at the same address")


class ProspectQuerySet(models.QuerySet["Prospect"]):
    def claimed_by(self, user) -> ProspectQuerySet:
        return self.filter(status=ProspectStatus.CLAIMED, claimed_by=user)


class Prospect(models.Model):
    """A company of a grid that is not yet a customer (潜在客户), in its grid's pool (公海) or claimed by a manager."""

    name = models.CharField(_("name"), max_length=200)
    # Not unique: two staff may file the same company; the duplicate check shows it before saving, and conversion
    # refuses a prospect whose company is already a customer.
    uscc = models.CharField(  # noqa: DJ001 - NULL when not known, as customers'
        _("unified social credit code"), max_length=18, null=True, blank=True, validators=[validate_uscc]
    )
    region = models.ForeignKey("crm.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    address = models.CharField(_("address"), max_length=300)
    latitude = models.FloatField(
        _("latitude"), null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.FloatField(
        _("longitude"), null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ProspectStatus.choices, default=ProspectStatus.POOL, editable=False
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("filed by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("claimed by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="prospects_claimed",
        db_index=False,
    )
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True, editable=False)
    # The last visit logged to the prospect (teams' visits are to customers only: a prospect's are its own, below);
    # the claim goes back to the pool when neither the claim nor a visit is more recent than the province's days.
    last_visited_at = models.DateTimeField(_("last visited at"), null=True, blank=True, editable=False)
    customer = models.OneToOneField(
        "accounts.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="prospect",
    )
    converted_at = models.DateTimeField(_("converted at"), null=True, blank=True, editable=False)
    converted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("converted by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("filed at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ProspectQuerySet.as_manager()

    class Meta:
        verbose_name = _("prospect (潜在客户)")
        verbose_name_plural = _("prospects (潜在客户)")
        ordering = ["-created_at", "-id"]
        indexes = [
            # A grid's pool and a territory's prospects, region by region.
            models.Index(fields=["region", "status"], name="prospect_region_status_idx"),
            # A manager's claims (the limit) and the nightly return, only over claimed rows.
            models.Index(
                fields=["claimed_by", "claimed_at"],
                name="prospect_claimed_idx",
                condition=Q(status="claimed"),
            ),
            models.Index(fields=["uscc"], name="prospect_uscc_idx", condition=Q(uscc__isnull=False)),
            models.Index(fields=["converted_at"], name="prospect_converted_idx", condition=Q(status="converted")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="claimed") | Q(claimed_by__isnull=False, claimed_at__isnull=False),
                name="prospect_claimed_has_holder",
            ),
            models.CheckConstraint(
                condition=~Q(status="converted") | Q(customer__isnull=False, converted_at__isnull=False),
                name="prospect_converted_has_customer",
            ),
            models.CheckConstraint(
                condition=position_whole_and_in_range("latitude", "longitude"),
                name="prospect_location_whole_and_in_range",
                violation_error_message=_("A location has both a latitude (−90 to 90) and a longitude (−180 to 180)."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ProspectVisit(models.Model):
    """A visit to a prospect. Teams' visits (走访) belong to customers; a prospect's are kept here, and each one
    renews its holder's claim."""

    prospect = models.ForeignKey(Prospect, verbose_name=_("prospect"), on_delete=models.CASCADE, related_name="visits")
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("visitor"), on_delete=models.PROTECT, related_name="+"
    )
    visited_at = models.DateTimeField(_("visited at"))
    summary = models.TextField(_("summary"), max_length=2000)
    created_at = models.DateTimeField(_("logged at"), auto_now_add=True)

    class Meta:
        verbose_name = _("prospect visit")
        verbose_name_plural = _("prospect visits")
        ordering = ["-visited_at", "-id"]

    def __str__(self) -> str:
        return f"{self.prospect} {self.visited_at:%Y-%m-%d}"


class ClaimRule(models.Model):
    """How the pool (公海) of a province's grids is claimed: at most `max_claimed` prospects held by one manager, each
    returned to the pool after `return_after_days` days without a visit. The national root's row is the default of
    provinces without their own; with no row at all, the built-in defaults apply."""

    region = models.OneToOneField(
        "crm.Region",
        verbose_name=_("province"),
        on_delete=models.CASCADE,
        related_name="+",
        limit_choices_to={"level__in": [RegionLevel.NATIONAL, RegionLevel.PROVINCE]},
    )
    max_claimed = models.PositiveIntegerField(
        _("at most claimed per manager"), default=DEFAULT_MAX_CLAIMED, validators=[MinValueValidator(1)]
    )
    return_after_days = models.PositiveIntegerField(
        _("returned to the pool after days without a visit"),
        default=DEFAULT_RETURN_AFTER_DAYS,
        validators=[MinValueValidator(1)],
    )

    class Meta:
        verbose_name = _("prospect claim rule")
        verbose_name_plural = _("prospect claim rules")

    def __str__(self) -> str:
        return str(self.region)

    def clean(self) -> None:
        if self.region_id and self.region.level not in (RegionLevel.NATIONAL, RegionLevel.PROVINCE):
            raise ValidationError({"region": _("Claim rules are set per province (or nationally).")})


TARGET_LEVELS = (RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY, RegionLevel.GRID)


class NewCustomerTarget(models.Model):
    """How many new group customers a grid, county, city or province is to file in a year (摸底/圈地)."""

    region = models.ForeignKey("crm.Region", verbose_name=_("region"), on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    target = models.PositiveIntegerField(_("new customers"))

    class Meta:
        verbose_name = _("new-customer target")
        verbose_name_plural = _("new-customer targets")
        ordering = ["-year", "region"]
        constraints = [models.UniqueConstraint(fields=["region", "year"], name="new_customer_target_region_year")]

    def __str__(self) -> str:
        return f"{self.region} {self.year}: {self.target}"

    def clean(self) -> None:
        if self.region_id and self.region.level not in TARGET_LEVELS:
            raise ValidationError({"region": _("New-customer targets are set per grid, county, city or province.")})


class ProfileTarget(models.Model):
    """The profile completeness rate (建档率) a region is to reach among its customers of a tier; a grid without its
    own reads its county's, then its city's, its province's, then the defaults of SPEC §7."""

    region = models.ForeignKey("crm.Region", verbose_name=_("region"), on_delete=models.CASCADE, related_name="+")
    tier = models.CharField(_("tier"), max_length=2, choices=Tier.choices)
    rate = models.DecimalField(
        _("target rate"),
        max_digits=5,
        decimal_places=4,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
        help_text=_("A fraction: 0.95 for 95 %."),
    )

    class Meta:
        verbose_name = _("profile completeness target (建档率)")
        verbose_name_plural = _("profile completeness targets (建档率)")
        ordering = ["region", "tier"]
        constraints = [models.UniqueConstraint(fields=["region", "tier"], name="profile_target_region_tier")]

    def __str__(self) -> str:
        return f"{self.region} {self.tier}: {self.rate}"
