"""Opportunity benchmark (issue 17: the board of a department of 300 000 customers, p95 ≤ 300 ms), run by
`bench/campaigns.py` on the seeded database:

- one opportunity for every tenth customer of the widest city department (those with a customer manager, who owns
  it), spread over the stages and the next six months, written in one bulk insert;
- the board page (columns, counts, the weighted forecast) for the department head, for the head filtered to one
  owner, and for that account manager (her own); the list endpoint for the head; server time in-process.

The opportunities it writes are deleted at the end.
"""

from __future__ import annotations

import datetime
import gc
import random
from decimal import Decimal

from django.utils import timezone

from accounts.models import Customer
from bench.kpis import time_page
from campaigns.models import Opportunity
from campaigns.rules import OPPORTUNITY_PROBABILITY
from crm.models import User
from teams.models import TeamRole, TeamRoleKind

STAGES = ["found"] * 4 + ["proposal"] * 3 + ["negotiation"] * 2 + ["won", "opened", "lost"]


def run(figures: dict, head: User) -> None:
    rng = random.Random(17)
    today = timezone.localdate()
    owners = (
        TeamRole.objects.active()
        .filter(role=TeamRoleKind.CUSTOMER_MANAGER, customer__in=Customer.objects.visible_to(head))
        .order_by("customer_id")
        .values_list("customer_id", "user_id")
    )
    rows = []
    for index, (customer_id, user_id) in enumerate(owners.iterator(chunk_size=20_000)):
        if index % 10:
            continue
        stage = rng.choice(STAGES)
        rows.append(
            Opportunity(
                customer_id=customer_id,
                owner_id=user_id,
                title="bench 商机",
                stage=stage,
                lost_reason="bench" if stage == "lost" else "",
                probability=OPPORTUNITY_PROBABILITY[stage],
                expected_monthly_revenue=Decimal(rng.randrange(1, 500) * 100),
                expected_close_on=today + datetime.timedelta(days=rng.randrange(0, 180)),
            )
        )
    Opportunity.objects.bulk_create(rows, batch_size=5000)
    # The pages are timed without the benchmark's own 32 000 objects alive in the process (a server does not hold
    # them): the collector's full passes over them were the slow samples (70-100 ms).
    written, first_owner = len(rows), rows[0].owner_id
    del rows
    gc.collect()
    try:
        figures["opportunities"] = written
        time_page(figures, "opportunity_board_head", head, "/campaigns/opportunities/")
        manager = User.objects.get(pk=first_owner)
        time_page(
            figures, "opportunity_board_head_one_owner", head, f"/campaigns/opportunities/?owner={manager.username}"
        )
        time_page(figures, "opportunity_board_manager", manager, "/campaigns/opportunities/")
        time_page(figures, "opportunities_api_head", head, "/api/v1/opportunities/")
    finally:
        Opportunity.objects.filter(title="bench 商机").delete()
