"""KPI targets, the nightly snapshots and the record of each computation (SPEC §7)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.models import ChunkedJobRun, UpdateStamped

from .metrics import METRIC_BY_CODE, METRICS, SNAPSHOT_METRICS, TIER_SHARE_QUOTAS

METRIC_CHOICES = [(metric.code, metric.label) for metric in SNAPSHOT_METRICS]
KPI_CHOICES = [(metric.code, metric.label) for metric in METRICS]


class KpiTarget(UpdateStamped):
    """The target of a metric nationally (the national root) or in one province, which then overrides it."""

    metric = models.CharField(_("metric"), max_length=40, choices=KPI_CHOICES)
    region = models.ForeignKey(
        "crm.Region",
        verbose_name=_("national root or province"),
        on_delete=models.CASCADE,
        related_name="+",
        limit_choices_to={"level__in": ["national", "province"]},
    )
    # A fraction for rates (0.27 is 27 %), CNY for a sum.
    value = models.DecimalField(_("target"), max_digits=16, decimal_places=4)

    class Meta:
        verbose_name = _("KPI target (考核目标)")
        verbose_name_plural = _("KPI targets (考核目标)")
        ordering = ["region_id", "metric"]
        constraints = [models.UniqueConstraint(fields=["metric", "region"], name="kpitarget_one_per_metric_region")]

    def __str__(self) -> str:
        return f"{self.region_id} {self.metric} {self.value}"

    def clean(self) -> None:
        if self.metric in TIER_SHARE_QUOTAS:
            raise ValidationError(
                {"metric": _("The tier shares' targets are the quotas of the tier rule set in force; edit them there.")}
            )
        metric = METRIC_BY_CODE.get(self.metric)
        if metric and metric.denominator and self.value is not None and not 0 <= self.value <= 1:
            raise ValidationError({"value": _("A rate's target lies between 0 and 1 (0.27 is 27 %).")})
        if self.value is not None and self.value < 0:
            raise ValidationError({"value": _("A target cannot be negative.")})


class VisitCompliancePolicy(UpdateStamped):
    """What a province's visit compliance (SPEC §7) counts: every visit to the customer (the default), or only the
    on-site visits verified by their check-in (外勤签到: position within the radius of the customer)."""

    region = models.OneToOneField(
        "crm.Region",
        verbose_name=_("province"),
        on_delete=models.CASCADE,
        related_name="+",
        limit_choices_to={"level": "province"},
    )
    verified_only = models.BooleanField(
        _("count only verified on-site visits"),
        default=False,
        help_text=_("Visit compliance then counts only on-site visits checked in within the radius of the customer."),
    )

    class Meta:
        verbose_name = _("visit compliance policy (走访达标口径)")
        verbose_name_plural = _("visit compliance policies (走访达标口径)")
        ordering = ["region_id"]

    def __str__(self) -> str:
        return f"{self.region_id} verified_only={self.verified_only}"

    def clean(self) -> None:
        if self.region_id and self.region.level != "province":
            raise ValidationError({"region": _("A visit compliance policy is set per province.")})


class ScopeKind(models.TextChoices):
    REGION = "region", _("Region")
    DEPARTMENT = "department", _("Department")
    MANAGER = "manager", _("Customer manager")


class KpiSnapshot(models.Model):
    """One metric of one scope (a region of any level, a department or a customer manager) for one month, as of a
    day: the month's last, or the day before the computation while the month runs."""

    period = models.DateField(_("period (first day of the month)"))
    kind = models.CharField(_("scope kind"), max_length=10, choices=ScopeKind.choices)
    region = models.ForeignKey(
        "crm.Region", verbose_name=_("region"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    department = models.ForeignKey(
        "crm.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("customer manager"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="kpi_snapshots",
    )
    # The region holding every customer of the scope: the region itself, the department's, or for a manager the
    # lowest region common to all their customers. A user sees the snapshot when they see this whole region.
    extent = models.ForeignKey(
        "crm.Region", verbose_name=_("extent"), on_delete=models.CASCADE, related_name="+", db_index=False
    )
    metric = models.CharField(_("metric"), max_length=40, choices=METRIC_CHOICES)
    numerator = models.DecimalField(_("numerator"), max_digits=20, decimal_places=2)
    denominator = models.DecimalField(_("denominator"), max_digits=20, decimal_places=2, null=True, blank=True)
    value = models.DecimalField(_("value"), max_digits=26, decimal_places=6, null=True, blank=True)
    as_of = models.DateField(_("as of"))
    run = models.ForeignKey(
        "kpis.KpiJobRun", verbose_name=_("run"), on_delete=models.PROTECT, related_name="+", db_index=False
    )

    class Meta:
        verbose_name = _("KPI snapshot")
        verbose_name_plural = _("KPI snapshots")
        ordering = ["period", "kind", "metric"]
        # The scope first: a dashboard reads one scope's months, an overview a few scopes' month.
        indexes = [
            models.Index(fields=["region", "period"], name="kpisnapshot_region_idx"),
            models.Index(fields=["department", "period"], name="kpisnapshot_department_idx"),
            # A manager's one metric of a month, exactly: the head's team ranks 6 562 managers by two (`workbench`).
            models.Index(fields=["manager", "period", "metric"], name="kpisnapshot_manager_metric_idx"),
            # An overview or a department reads one metric of many scopes of a month: a city's thousands of managers.
            models.Index(fields=["period", "metric", "kind"], name="kpisnapshot_period_metric_idx"),
            # A department reads its managers' snapshots of one metric by their extent, within its region: 成都's
            # 6 562 of the province's 20 381 (the load chart's busiest: 29 → 16 ms).
            models.Index(
                fields=["period", "metric", "extent"],
                condition=Q(kind="manager"),
                name="kpisnapshot_manager_extent_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="region", region__isnull=False, department__isnull=True, manager__isnull=True)
                    | Q(kind="department", region__isnull=True, department__isnull=False, manager__isnull=True)
                    | Q(kind="manager", region__isnull=True, department__isnull=True, manager__isnull=False)
                ),
                name="kpisnapshot_one_scope",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period:%Y-%m} {self.kind} {self.metric} {self.value}"


class KpiJobRun(ChunkedJobRun):
    """One computation of a month's snapshots: when, who or what started it, how far it got, what went wrong."""

    class Source(models.TextChoices):
        NIGHTLY = "nightly", _("Nightly")
        MANUAL = "manual", _("Manual")

    period = models.DateField(_("period (first day of the month)"))
    as_of = models.DateField(_("as of"))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.MANUAL)
    customers_seen = models.PositiveIntegerField(_("customers seen"), default=0)
    snapshots_written = models.PositiveIntegerField(_("snapshots written"), default=0)

    class Meta(ChunkedJobRun.Meta):
        verbose_name = _("KPI computation run")
        verbose_name_plural = _("KPI computation runs")

    def __str__(self) -> str:
        return f"{self.period:%Y-%m} {self.started_at:%Y-%m-%d %H:%M} {self.status}"


class KpiChunkTotals(models.Model):
    """What one chunk of a computation counted for one (region, customer manager): kept in the database, written in
    the chunk's transaction with its claim, until the run sums the chunks up, so that neither the broker carrying
    the chunks' results nor the process summing them holds a month's rows, whose number grows with the managers
    (issue 19: `compute_kpis` in bounded memory whatever the scope). `totals` are `totals.SUMMED_FIELDS` in order,
    money as text."""

    run = models.ForeignKey(KpiJobRun, on_delete=models.CASCADE, related_name="+")
    region_code = models.CharField(max_length=16)
    manager_id = models.IntegerField(null=True)
    totals = models.JSONField()

    class Meta:
        # the run's rows manager after manager, as the roll-up reads them
        indexes = [models.Index(fields=["run", "manager_id"], name="kpichunktotals_run_idx")]

    def __str__(self) -> str:
        return f"{self.run_id} {self.region_code} {self.manager_id}"


class ProductRevenueTarget(UpdateStamped):
    """A province's revenue target for one group product (集团彩铃 3000万) for a year, or for one month of it: the
    KPI system's targets per product, against which the revenue of the holdings is read (issue 21)."""

    region = models.ForeignKey(
        "crm.Region",
        verbose_name=_("province"),
        on_delete=models.CASCADE,
        related_name="+",
        limit_choices_to={"level": "province"},
    )
    product = models.ForeignKey(
        "campaigns.Product", verbose_name=_("product"), on_delete=models.CASCADE, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    month = models.PositiveSmallIntegerField(
        _("month"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text=_("Empty: the target of the whole year."),
    )
    amount = models.DecimalField(
        _("revenue target (CNY)"), max_digits=16, decimal_places=2, validators=[MinValueValidator(Decimal(0))]
    )

    class Meta:
        verbose_name = _("revenue target per product (产品收入目标)")
        verbose_name_plural = _("revenue targets per product (产品收入目标)")
        ordering = ["region_id", "year", "product_id", "month"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "product", "year"],
                condition=Q(month__isnull=True),
                name="productrevenuetarget_one_per_year",
                violation_error_message=_("This product already has a target for that year."),
            ),
            models.UniqueConstraint(
                fields=["region", "product", "year", "month"],
                condition=Q(month__isnull=False),
                name="productrevenuetarget_one_per_month",
                violation_error_message=_("This product already has a target for that month."),
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="productrevenuetarget_amount_gte_0"),
            models.CheckConstraint(
                condition=Q(month__isnull=True) | Q(month__gte=1, month__lte=12),
                name="productrevenuetarget_month_1_12",
            ),
        ]

    def __str__(self) -> str:
        when = f"{self.year}-{self.month:02d}" if self.month else str(self.year)
        return f"{self.region_id} {self.product_id} {when} {self.amount}"

    def clean(self) -> None:
        if self.region_id and self.region.level != "province":
            raise ValidationError({"region": _("Revenue targets per product are set per province.")})
        if self.amount is not None and self.amount < 0:
            raise ValidationError({"amount": _("A target cannot be negative.")})


class ProductRevenue(models.Model):
    """The revenue of one product in one region (of every level) in one month, as the KPI computation of that month
    counted it: Σ monthly revenue of the holdings (订购) of the region's active customers subscribed by then. Holdings
    carry no history, so a month keeps what its last computation read; written with the month's snapshots."""

    period = models.DateField(_("period (first day of the month)"))
    region = models.ForeignKey("crm.Region", verbose_name=_("region"), on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey(
        "campaigns.Product", verbose_name=_("product"), on_delete=models.CASCADE, related_name="+"
    )
    revenue = models.DecimalField(_("revenue (CNY/month)"), max_digits=20, decimal_places=2)
    holdings = models.PositiveIntegerField(_("holdings"))
    as_of = models.DateField(_("as of"))
    run = models.ForeignKey(
        "kpis.KpiJobRun", verbose_name=_("run"), on_delete=models.PROTECT, related_name="+", db_index=False
    )

    class Meta:
        verbose_name = _("product revenue")
        verbose_name_plural = _("product revenues")
        ordering = ["period", "region_id", "product_id"]
        constraints = [
            models.UniqueConstraint(fields=["region", "period", "product"], name="productrevenue_once"),
        ]
        indexes = [models.Index(fields=["period"], name="productrevenue_period_idx")]

    def __str__(self) -> str:
        return f"{self.period:%Y-%m} {self.region_id} {self.product_id} {self.revenue}"
