"""Reads of revenue per product (issue 21): what the holdings earned per region and month (`ProductRevenue`, kept by
the KPI computation) against a province's targets per product, for a year and for a month."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from django.db.models import DecimalField, OuterRef, Q, QuerySet, Subquery, Sum, Value

from campaigns.models import Product
from crm.models import Region, RegionLevel
from crm.periods import Period

from ..metrics import VALUE_PLACES
from ..models import ProductRevenue, ProductRevenueTarget


@dataclass
class ProductRevenueRow:
    """One product's revenue of a region in a month and in its year so far, against the province's targets (None
    where none is set, or for a region below a province, whose targets are its province's whole)."""

    product: Product
    revenue: Decimal  # in the month
    target: Decimal | None  # of the month
    year_to_date: Decimal  # January to the month
    year_target: Decimal | None
    month_of_year: int

    @property
    def share(self) -> Decimal | None:
        """The month's revenue ÷ its target."""
        return _ratio(self.revenue, self.target)

    @property
    def year_share(self) -> Decimal | None:
        """The year's revenue so far ÷ the year's target."""
        return _ratio(self.year_to_date, self.year_target)

    @property
    def year_percent(self) -> Decimal | None:
        share = self.year_share
        return None if share is None else share * 100

    @property
    def year_pace(self) -> Decimal | None:
        """The part of the year's target due by the month's end, at an even pace (a twelfth a month)."""
        if self.year_target is None:
            return None
        return (self.year_target * self.month_of_year / 12).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)

    @property
    def on_target(self) -> bool | None:
        """The month's target met where there is one, else the year's on pace; None without either."""
        if self.target is not None:
            return self.revenue >= self.target
        pace = self.year_pace
        return None if pace is None else self.year_to_date >= pace


def _ratio(value: Decimal, target: Decimal | None) -> Decimal | None:
    if not target:
        return None
    return (value / target).quantize(VALUE_PLACES, rounding=ROUND_HALF_EVEN)


def product_targets(province: Region, year: int) -> QuerySet[ProductRevenueTarget]:
    """A province's targets per product of a year (the year's and the months'), by product then month."""
    return (
        ProductRevenueTarget.objects.filter(region=province, year=year)
        .select_related("product", "updated_by")
        .order_by("product__sort_order", "product_id", "month")
    )


def _target(region: Region, year: int, month: int | None) -> Subquery:
    targets = ProductRevenueTarget.objects.filter(region=region, year=year, product=OuterRef("pk"))
    targets = targets.filter(month=month) if month else targets.filter(month__isnull=True)
    return Subquery(targets.values("amount")[:1])


def product_revenue(region: Region, period: Period) -> list[ProductRevenueRow]:
    """Every product with revenue or a target in `region` for `period`: the month's revenue and the year's so far,
    as the KPI computations counted them, against the province's targets when `region` is a province. One query
    over the catalogue (a few dozen products); a product with neither revenue nor target is left out."""
    year_start = datetime.date(period.start.year, 1, 1)
    counted = ProductRevenue.objects.filter(region=region, product=OuterRef("pk")).order_by().values("product")
    month = counted.filter(period=period.start).values("revenue")[:1]
    year = (
        counted.filter(period__gte=year_start, period__lte=period.start).annotate(total=Sum("revenue")).values("total")
    )
    products = Product.objects.annotate(revenue=Subquery(month), year_to_date=Subquery(year))
    shown = Q(revenue__isnull=False) | Q(year_to_date__isnull=False)
    if region.level == RegionLevel.PROVINCE:
        products = products.annotate(
            target=_target(region, period.start.year, period.start.month),
            year_target=_target(region, period.start.year, None),
        )
        shown |= Q(target__isnull=False) | Q(year_target__isnull=False)
    else:
        products = products.annotate(target=Value(None, DecimalField()), year_target=Value(None, DecimalField()))
    return [
        ProductRevenueRow(
            product=product,
            revenue=product.revenue or Decimal(0),
            target=product.target,
            year_to_date=product.year_to_date or Decimal(0),
            year_target=product.year_target,
            month_of_year=period.start.month,
        )
        for product in products.filter(shown).order_by("sort_order", "code")
    ]
