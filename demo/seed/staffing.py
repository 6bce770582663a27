"""The demo's personal-VIP staffing and revenue targets per product (issue 21): the personal VIPs of 锦江区 dealt by
the head of the 成都 department among three of its account managers, and Sichuan's targets of the year for 集团彩铃
(the year's and the running month's), 移动总机 and 家校通. The demo province is a slice of a real one, so its targets
are set against what its holdings earn (a real province's 集团彩铃 target is 3000万). Upserted: a seeded database
gets them once."""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Sum

from campaigns.models import CustomerProduct, Product
from crm import audit
from crm.models import AuditSource, Region, User
from kpis.models import ProductRevenueTarget
from kpis.services import product_revenue_target_set
from teams import selectors as team_selectors
from teams.models import VipAssignment
from teams.services import vip_deal

VIP_COUNTY = "510104"  # 锦江区
VIP_MANAGERS = 3
# Each product's target for the year, as a multiple of what its holdings earn in a month now (12 months and a
# stretch), and the running month's for 集团彩铃 (met, where the year's pace is not: the dashboard shows both).
YEAR_STRETCH = {"GROUP_CRBT": Decimal("12.6"), "MOBILE_PBX": Decimal("13"), "SCHOOL_LINK": Decimal("12.2")}
MONTH_STRETCH = Decimal("0.98")
ROUND_TO = Decimal("1000")


def _rounded(amount: Decimal) -> Decimal:
    return ((amount / ROUND_TO).quantize(Decimal(1), rounding=ROUND_HALF_UP) * ROUND_TO).quantize(Decimal("0.01"))


def seed_staffing(today: datetime.date) -> tuple[int, int]:
    """The VIPs dealt and the targets set; (VIPs dealt, targets set), zeros when the demo has them already."""
    head = User.objects.filter(username="cd_head").first()
    staff = User.objects.filter(username="sc_staff").first()
    county = Region.objects.filter(code=VIP_COUNTY).first()
    province = Region.objects.filter(code="510000").first()
    if head is None or staff is None or county is None or province is None:
        return 0, 0
    dealt = targets = 0
    with audit.through(AuditSource.COMMAND):
        if not VipAssignment.objects.exists():
            candidates = team_selectors.vip_manager_candidates(head)
            # the demo's account manager first, then two colleagues
            managers = list(candidates.filter(username="cd_am01")) + list(
                candidates.exclude(username="cd_am01")
                .filter(username__startswith="cust")
                .order_by("username")[: VIP_MANAGERS - 1]
            )
            # in their care since the year before, so that the KPIs' history counts them
            since = today - datetime.timedelta(days=366)
            if managers and team_selectors.vips_unassigned(by=head, region=county, on=since).exists():
                dealt = vip_deal(by=head, region=county, managers=managers, confirm_overload=True, on=since).dealt
        if not ProductRevenueTarget.objects.filter(region=province).exists():
            earned = dict(
                CustomerProduct.objects.filter(
                    customer__region__path__startswith=province.path, customer__status="active"
                )
                .order_by()
                .values("product_id")
                .annotate(revenue=Sum("monthly_revenue"))
                .values_list("product_id", "revenue")
            )
            for code, stretch in YEAR_STRETCH.items():
                product = Product.objects.filter(pk=code).first()
                monthly = earned.get(code) or Decimal(0)
                if product is None or not monthly:
                    continue
                product_revenue_target_set(
                    user=staff, region=province, product=product, year=today.year, amount=_rounded(monthly * stretch)
                )
                targets += 1
                if code == "GROUP_CRBT":
                    product_revenue_target_set(
                        user=staff,
                        region=province,
                        product=product,
                        year=today.year,
                        month=today.month,
                        amount=_rounded(monthly * MONTH_STRETCH),
                    )
                    targets += 1
    return dealt, targets
