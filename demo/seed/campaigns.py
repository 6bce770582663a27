"""The demo's product holdings, and a month's campaign of the Chengdu department on top of them."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone

from campaigns.models import CampaignKind, PlanStage, Product
from campaigns.services import (
    activity_record,
    call_list_build,
    campaign_create,
    plan_stage_set,
    plans_give_to_partner,
)
from crm.bulk import BulkWriter
from crm.models import Region, User

from .base import SeedClock
from .territory import DEMO_MANAGER, DEMO_MANAGER_CITY, seed_demo_partner

# The county whose plans the demo's campaign gives to the demo's partner company (武侯区).
PARTNER_COUNTY = "510107"

# Product holdings of active customers: product, per member, chance for tier A+/A, B, C, monthly CNY per user.
HOLDING_PLAN = [
    ("VPMN", True, (0.85, 0.6, 0.35), 8),
    ("GROUP_CRBT", True, (0.5, 0.3, 0.12), 5),
    ("GROUP_FLOW", True, (0.35, 0.2, 0.05), 20),
    ("MOBILE_PBX", False, (0.3, 0.1, 0.02), 300),
    ("GROUP_SMS", False, (0.5, 0.3, 0.1), 200),
    ("DEDICATED_LINE", False, (0.75, 0.3, 0.05), 3000),
    ("ENTERPRISE_BB", False, (0.5, 0.45, 0.3), 400),
    ("CLOUD_VIDEO", True, (0.2, 0.08, 0.01), 15),
    ("INDUSTRY_APP", False, (0.25, 0.1, 0.02), 1500),
]


class HoldingSeeder:
    """The products active customers hold, drawn from a generator of their own so that they leave the customers'
    figures as they were."""

    def __init__(self, *, seed: int, clock: SeedClock) -> None:
        self.rng = random.Random(seed + 3)
        self.clock = clock
        self.writer = BulkWriter(
            "campaigns_customerproduct",
            [
                "customer_id",
                "product_id",
                "active_users",
                "monthly_revenue",
                "subscribed_on",
                "last_used_on",
                "updated_at",
            ],
        )

    def add(self, customer_id: int, tier: str | None, handsets: int) -> None:
        """The products an active customer holds: more of them the higher its tier; per-member products with a
        share of the handsets from a few (fake coverage) to most (covered); about one holding in eight unused for
        months (fake)."""
        random_ = self.rng.random
        today = self.clock.today
        rank = {"A+": 0, "A": 0, "B": 1, "C": 2}.get(tier or "C", 2)
        for code, per_member, chances, revenue_per in HOLDING_PLAN:
            if random_() >= chances[rank]:
                continue
            subscribed = today - datetime.timedelta(days=30 + int(random_() * 1800))
            if random_() < 0.12:
                last_used = subscribed + datetime.timedelta(days=int(random_() * 20))
                last_used = min(last_used, today - datetime.timedelta(days=91 + int(random_() * 200)))
                last_used = max(last_used, subscribed)
            else:
                last_used = today - datetime.timedelta(days=int(random_() * 30))
            users = max(1, int(handsets * random_() ** 0.7)) if per_member else 1
            revenue = Decimal(users * revenue_per * (0.6 + random_() * 0.8)).quantize(Decimal("0.01"))
            self.writer.add(
                (customer_id, code, users, revenue, subscribed.isoformat(), last_used.isoformat(), self.clock.now)
            )


def seed_campaigns(*, seed: int = 2026, today: datetime.date | None = None) -> dict[str, int]:
    """A month's campaign of the Chengdu department as its head plans it (B-tier customers whose 集团V网 coverage is
    thin or missing), its plans spread along the five-step path, a site activity and a call list for the demo
    account manager; through the services, so the demo holds what the product itself writes. For demos up to
    `LARGE_DEMO` customers."""
    rng = random.Random(seed)
    head = User.objects.get(username="cd_head")
    today = today or timezone.localdate()
    start = today.replace(day=1)
    campaign = campaign_create(
        user=head,
        data={
            "name": f"{start:%Y年%m月}集团V网薄覆盖提升",
            "kind": CampaignKind.PRODUCT_PUSH,
            "region": Region.objects.get(code=DEMO_MANAGER_CITY),
            "starts_on": start,
            "ends_on": (start + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1),
            "target_products": [Product.objects.get(code="VPMN")],
            "segment": {"tiers": ["B"], "coverage": ["thin", "uncovered"]},
            "goal_openings": 50,
            "goal_revenue": Decimal("20000"),
        },
    )
    path = [PlanStage.OPPORTUNITY, PlanStage.VISITED, PlanStage.OPENED, PlanStage.AFTER_SALES]
    for plan in campaign.plans.select_related("owner"):
        # about half stay screened; the rest reach a step each, fewer the further along; one in twelve is lost
        roll = rng.random()
        if roll < 0.08:
            plan_stage_set(user=plan.owner or head, plan=plan, stage=PlanStage.LOST, reason="客户已与友商签约")
            continue
        reached = sum(roll > bound for bound in (0.5, 0.7, 0.85, 0.95))
        for stage in path[:reached]:
            plan_stage_set(user=plan.owner or head, plan=plan, stage=stage)
    activity_record(
        user=head,
        data={
            "campaign": campaign,
            "held_on": start,
            "place": "天府软件园 B 区报告厅",
            "attendance": 86,
            "new_subscriptions": 12,
            "revenue": Decimal("6800"),
            "note": "集团V网及云视讯产品沙龙",
            "staff": list(User.objects.filter(username__in=["cd_head", DEMO_MANAGER])),
        },
    )
    # The partner sells the campaign's product and is given the plans of one county: its staff work those customers.
    partner = seed_demo_partner()
    partner.products.add(*campaign.target_products.all())
    plans_give_to_partner(user=head, campaign=campaign, partner=partner, region=Region.objects.get(code=PARTNER_COUNTY))
    agent = User.objects.get(username=DEMO_MANAGER)
    try:
        call_list = call_list_build(user=head, campaign=campaign, agent=agent)
    except ValidationError:  # the demo manager's customers fell outside the segment: no list to call
        call_list = None
    return {"plans": campaign.plans.count(), "call_entries": call_list.entries_count if call_list else 0}
