"""Reads of products, holdings and coverage (SPEC §6.1). Customers are looked up within `visible_customers`
by the caller.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.lookups import GreaterThan, LessThan
from django.utils import timezone

from accounts.models import Customer, CustomerStatus
from crm.snapshots import counted_under

from ..models import (
    CoverageCount,
    CoverageThresholds,
    CustomerProduct,
    Product,
)
from ..rules import COVERAGE_LABELS, COVERED, FAKE, THIN, UNCOVERED, Thresholds, coverage_status

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def products() -> QuerySet[Product]:
    """The catalogue as it is offered: products on sale, in their order."""
    return Product.objects.filter(is_active=True)


@dataclass
class Coverage:
    product: Product
    holding: CustomerProduct | None
    status: str

    @property
    def label(self) -> StrOrPromise:
        return COVERAGE_LABELS[self.status]


# The columns of a holding the customer page reads.
HOLDING_COLUMNS = ("id", "active_users", "monthly_revenue", "subscribed_on", "last_used_on", "updated_at")
THRESHOLD_COLUMNS = ("idle_days", "fake_share", "thin_share")  # `Thresholds` in its order


def customer_coverage(customer: Customer, today: datetime.date | None = None) -> list[Coverage]:
    """The customer's coverage of every product on sale, and of any it still holds that is off sale (SPEC §6.1)."""
    today = today or timezone.localdate()
    # The catalogue, the customer's holdings and the thresholds in one query: each product on sale or held, with its
    # holding's columns joined (those on sale first, in their order; then those off sale it still holds).
    mine = FilteredRelation("holdings", condition=Q(holdings__customer=customer))
    setting = CoverageThresholds.objects.order_by("pk")
    rows: list[Any] = list(  # products with the annotations below
        Product.objects.annotate(mine=mine)
        .filter(Q(is_active=True) | Q(mine__isnull=False))
        .annotate(**{f"held_{name}": F(f"mine__{name}") for name in HOLDING_COLUMNS})
        .annotate(**{f"setting_{name}": Subquery(setting.values(name)[:1]) for name in THRESHOLD_COLUMNS})
        .order_by("-is_active", "sort_order", "code")
    )
    thresholds = Thresholds()  # the defaults, while headquarters set none
    if rows and rows[0].setting_idle_days is not None:
        thresholds = Thresholds(*(getattr(rows[0], f"setting_{name}") for name in THRESHOLD_COLUMNS))
    catalogue, holdings = [], {}
    for product in rows:
        catalogue.append(product)
        if product.held_id is not None:
            values = {name: getattr(product, f"held_{name}") for name in HOLDING_COLUMNS}
            holdings[product.code] = CustomerProduct(customer=customer, product=product, **values)
    return [
        Coverage(
            product,
            holdings.get(product.code),
            coverage_status(
                per_member=product.per_member,
                holding=holdings[product.code].facts() if product.code in holdings else None,
                handset_count=customer.handset_count,
                today=today,
                thresholds=thresholds,
            ),
        )
        for product in catalogue
    ]


def holding_status(thresholds: Thresholds, today: datetime.date, handsets: F | OuterRef) -> Case:
    """The SQL twin of `rules.coverage_status` for a holding (on `CustomerProduct`): fake, thin or covered.
    `handsets`: the customer's handset count as the query reaches it."""
    idle_before = today - datetime.timedelta(days=thresholds.idle_days)
    per_member = Q(product__per_member=True) & Q(GreaterThan(handsets, 0))

    def below(share: Decimal) -> Q:
        return Q(LessThan(F("active_users") * 100, ExpressionWrapper(handsets * share, DecimalField())))

    return Case(
        When(Q(last_used_on__isnull=True) | Q(last_used_on__lt=idle_before), then=Value(FAKE)),
        When(per_member & below(thresholds.fake_share), then=Value(FAKE)),
        When(per_member & below(thresholds.thin_share), then=Value(THIN)),
        default=Value(COVERED),
        output_field=CharField(),
    )


def coverage_condition(product: Product, status: str, today: datetime.date | None = None) -> Q:
    """Customers whose coverage of `product` is `status` (SPEC §6.1), as a filter on customers."""
    today = today or timezone.localdate()
    holdings = CustomerProduct.objects.filter(customer=OuterRef("pk"), product=product)
    if status == UNCOVERED:
        return ~Q(Exists(holdings))
    statused = holdings.annotate(
        coverage=holding_status(CoverageThresholds.current(), today, OuterRef("handset_count"))
    )
    return Q(Exists(statused.filter(coverage=status)))


@dataclass
class GapRow:
    product: Product
    counts: dict[str, int]  # status → active customers

    @property
    def gaps(self) -> int:
        return self.counts[UNCOVERED] + self.counts[FAKE] + self.counts[THIN]


def gap_matrix(
    customers: QuerySet[Customer], today: datetime.date | None = None, *, active_count: int | None = None
) -> list[GapRow]:
    """Products × coverage status over the given customers (active ones count): how many of them are uncovered,
    fake, thin or covered for each product on sale. Two queries: the customers (unless the caller counted the active
    ones already, `active_count`), and their holdings by status."""
    today = today or timezone.localdate()
    active = customers.filter(status=CustomerStatus.ACTIVE)
    total = active.count() if active_count is None else active_count
    grouped = (
        CustomerProduct.objects.filter(customer__in=active.values("pk"))
        .annotate(coverage=holding_status(CoverageThresholds.current(), today, F("customer__handset_count")))
        .values("product_id", "coverage")
        .annotate(n=Count("pk"))
        .order_by()
    )
    held: dict[str, dict[str, int]] = {}
    for row in grouped:
        held.setdefault(row["product_id"], {})[row["coverage"]] = row["n"]
    matrix = []
    for product in products():
        counts = {status: held.get(product.code, {}).get(status, 0) for status in (FAKE, THIN, COVERED)}
        matrix.append(GapRow(product, {UNCOVERED: total - sum(counts.values()), **counts}))
    return matrix


def gap_matrix_counted(path: str | None) -> tuple[list[GapRow], datetime.datetime] | None:
    """The gap matrix of the regions under `path` (every region for None) added up from the night's counts
    (`CoverageCount`), and when they were computed; None while the night has counted nothing. A product put on
    sale since is counted as nobody's yet: all of the territory's active customers uncovered."""
    found = counted_under(CoverageCount, path, ["product_id", "status"])
    if found is None:
        return None
    rows, as_of = found
    counted: dict[str, dict[str, int]] = {}
    for product, status, n in rows:
        counted.setdefault(product, {})[status] = n
    # every product's four counts add up to the territory's active customers
    total = max((sum(counts.values()) for counts in counted.values()), default=0)
    matrix = []
    for product in products():
        counts = counted.get(product.code, {UNCOVERED: total})
        matrix.append(GapRow(product, {status: counts.get(status, 0) for status in (UNCOVERED, FAKE, THIN, COVERED)}))
    return matrix, as_of
