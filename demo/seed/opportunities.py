"""A few opportunities (商机) per demo department, so that the board and the forecast have something to show."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.utils import timezone

from campaigns.models import Opportunity, OpportunityStage, OpportunityStageChange, Product
from campaigns.rules import OPEN_OPPORTUNITY_STAGES
from campaigns.services import opportunity_create, opportunity_update
from crm.models import Department
from teams.models import TeamRole, TeamRoleKind

from .territory import DEMO_MANAGER

PER_DEPARTMENT = 8
FOR_DEMO_MANAGER = 6
TITLES = [
    ("云视讯会议室改造", ["CLOUD_VIDEO"]),
    ("互联网专线扩容", ["DEDICATED_LINE"]),
    ("集团V网全员覆盖", ["VPMN"]),
    ("物联网卡（车辆监控）", ["IOT"]),
    ("集团彩铃品牌宣传", ["GROUP_CRBT"]),
    ("移动总机升级", ["MOBILE_PBX"]),
    ("企业宽带提速", ["ENTERPRISE_BB"]),
    ("集团短信平台", ["GROUP_SMS"]),
]
# How far along each opportunity gets: mostly early, a few signed or opened, one in ten lost.
MOVES = [
    [],
    [],
    [OpportunityStage.PROPOSAL],
    [OpportunityStage.PROPOSAL],
    [OpportunityStage.PROPOSAL, OpportunityStage.NEGOTIATION],
    [OpportunityStage.PROPOSAL, OpportunityStage.NEGOTIATION, OpportunityStage.WON],
    [OpportunityStage.PROPOSAL, OpportunityStage.NEGOTIATION, OpportunityStage.WON, OpportunityStage.OPENED],
    [OpportunityStage.PROPOSAL, OpportunityStage.LOST],
]


def seed_opportunities(*, seed: int = 2026, today: datetime.date | None = None) -> int:
    """Opportunities of the customers of each department's first customer managers, and of the demo account
    manager's, through the services (so their history and audit trail are the product's own); returns how many.
    They were found over the past eleven months (their dates moved back after they are written), so the KPIs of
    past months count them where they were found, won or lost."""
    rng = random.Random(seed)
    now = timezone.now()
    if today is not None:
        now = datetime.datetime.combine(today, datetime.time(18), tzinfo=timezone.get_current_timezone())
    today = timezone.localdate(now)
    products = {product.code: product for product in Product.objects.all()}
    managed = TeamRole.objects.active().filter(role=TeamRoleKind.CUSTOMER_MANAGER).select_related("customer", "user")
    roles = list(managed.filter(user__username=DEMO_MANAGER).order_by("customer_id")[:FOR_DEMO_MANAGER])
    for department in Department.objects.select_related("region").order_by("pk"):
        roles += list(
            managed.filter(customer__region__path__startswith=department.region.path)
            .exclude(user__username=DEMO_MANAGER)
            .order_by("customer_id")[:PER_DEPARTMENT]
        )
    for role in roles:
        title, codes = rng.choice(TITLES)
        found = now - datetime.timedelta(days=rng.randrange(0, 330), hours=rng.randrange(0, 8))
        opportunity = opportunity_create(
            user=role.user,
            customer=role.customer,
            data={
                "title": title,
                "products": [products[code] for code in codes if code in products],
                "expected_monthly_revenue": Decimal(rng.randrange(5, 200) * 100),
                "expected_one_off_revenue": Decimal(rng.choice([0, 0, 5000, 20000])),
                "expected_close_on": max(
                    timezone.localdate(found) + datetime.timedelta(days=rng.randrange(20, 150)), today
                ),
                "competitor": rng.choice(["", "ctcc", "cucc", "cbn"]),
                "source": rng.choice(["visit", "visit", "plan", "inbound", "call"]),
            },
        )
        for stage in rng.choice(MOVES):
            extra = {"lost_reason": "客户选择了友商的低价方案"} if stage == OpportunityStage.LOST else {}
            opportunity = opportunity_update(user=role.user, opportunity=opportunity, data={"stage": stage, **extra})
        moved = found
        for change in OpportunityStageChange.objects.filter(opportunity=opportunity).order_by("pk"):
            moved = min(moved + datetime.timedelta(days=rng.randrange(3, 30)), now)
            OpportunityStageChange.objects.filter(pk=change.pk).update(changed_at=moved)
        dates: dict[str, datetime.date] = {"created_at": found, "stage_changed_at": moved}
        if opportunity.stage not in OPEN_OPPORTUNITY_STAGES:  # closed: when it was
            dates["expected_close_on"] = timezone.localdate(moved)
        Opportunity.objects.filter(pk=opportunity.pk).update(**dates)
    return len(roles)
