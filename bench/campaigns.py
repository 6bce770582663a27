"""Campaign benchmark on the seeded database (issue 6), at the scale of a province:

- the campaign of the issue's "done means": the Chengdu department (the widest) plans a month for its B-tier
  customers whose 集团V网 coverage is thin or missing: `campaign_create` selects the segment and writes every plan
  (一户一案) with its gap products;
- the same over the whole province, planned by provincial staff;
- the campaign page for the department head (funnel, results, progress per manager, the first page of plans) and
  for an account manager, server time in-process as the other benchmarks measure pages;
- a call list built by the department head over the whole campaign, with the seven-touch rule (issue 20) checked
  against a history of calls of another campaign — every number called 0 to 9 times over the last 120 days — and
  the agent's entries endpoint;
- the opportunity board of the same department (`bench/opportunities.py`).

The campaigns it creates are deleted at the end, so that the database stays as the seed left it. Prints each
figure and one JSON line.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from accounts.models import Customer  # noqa: E402
from bench import opportunities  # noqa: E402
from bench.kpis import time_page  # noqa: E402
from campaigns.models import CallEntry, Campaign, PlanStage, Product  # noqa: E402
from campaigns.services import call_list_build, campaign_create, plan_stage_set  # noqa: E402
from crm.models import Region, Role, User  # noqa: E402


def plan(figures: dict, name: str, user: User, region: Region) -> Campaign:
    today = time.strftime("%Y-%m-%d")
    start = time.perf_counter()
    with transaction.atomic():
        campaign = campaign_create(
            user=user,
            data={
                "name": f"bench {name}",
                "kind": "product_push",
                "region": region,
                "starts_on": today,
                "ends_on": today,
                "target_products": [Product.objects.get(code="VPMN")],
                "segment": {"tiers": ["B"], "coverage": ["thin", "uncovered"]},
            },
        )
    seconds = time.perf_counter() - start
    figures[name] = {"seconds": round(seconds, 2), "plans": campaign.plans.count()}
    print(f"{name}: {figures[name]}")
    return campaign


def touch_history(campaign: Campaign, user: User) -> tuple[Campaign, int]:
    """A finished campaign whose calls reached the campaign's numbers 0 to 9 times each over the last 120 days (one
    INSERT … SELECT): what the seven-touch rule counts across campaigns. Returns it and how many calls it made."""
    history = Campaign.objects.create(
        name="bench touch history",
        kind="outbound_call",
        department=campaign.department,
        region=campaign.region,
        starts_on=campaign.starts_on,
        ends_on=campaign.ends_on,
    )
    numbers = (
        "SELECT m.customer_id, m.mobile FROM accounts_groupmember m "
        "JOIN campaigns_customerplan p ON p.customer_id = m.customer_id WHERE p.campaign_id = %s "
        "UNION SELECT k.customer_id, k.mobile FROM accounts_keyperson k "
        "JOIN campaigns_customerplan p ON p.customer_id = k.customer_id WHERE p.campaign_id = %s AND k.mobile <> ''"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO campaigns_callattempt (campaign_id, customer_id, mobile, agent_id, outcome, note, called_at, "
            "channel_id) SELECT %s, n.customer_id, n.mobile, %s, 'no_answer', '', "
            "now() - (random() * interval '120 days'), 'direct' "
            f"FROM ({numbers}) AS n CROSS JOIN LATERAL generate_series(1, (hashtext(n.mobile) & 1023) %% 10) AS t",
            [history.pk, user.pk, campaign.pk, campaign.pk],
        )
        calls = cursor.rowcount
        cursor.execute("ANALYZE campaigns_callattempt")
    return history, calls


def main() -> None:
    settings.ALLOWED_HOSTS.append("testserver")
    figures: dict[str, object] = {"customers": Customer.objects.count()}
    heads = User.objects.filter(role=Role.DEPARTMENT_HEAD, region__level="city")
    head = max(heads, key=lambda user: Customer.objects.visible_to(user).count())
    staff = User.objects.filter(role=Role.PROVINCIAL_STAFF).order_by("id").first()
    created = []
    try:
        department = plan(figures, "campaign_create_department", head, head.department.region)
        created.append(department)
        created.append(plan(figures, "campaign_create_province", staff, Region.objects.get(level="province")))
        # some plans along the path, so the funnel and the per-manager table have something to count
        for index, row in enumerate(department.plans.select_related("owner")[:2000]):
            plan_stage_set(
                user=row.owner or head, plan=row, stage=[PlanStage.OPPORTUNITY, PlanStage.VISITED][index % 2]
            )
        time_page(figures, "campaign_page_head", head, f"/campaigns/{department.pk}/")
        manager = department.plans.exclude(owner=None).values_list("owner", flat=True).first()
        agent = User.objects.get(pk=manager)
        time_page(figures, "campaign_page_manager", agent, f"/campaigns/{department.pk}/")
        history, calls = touch_history(department, head)
        created.append(history)
        start = time.perf_counter()
        with transaction.atomic():
            call_list = call_list_build(user=head, campaign=department)
        figures["call_list_build"] = {
            "seconds": round(time.perf_counter() - start, 2),
            "entries": CallEntry.objects.filter(call_list=call_list).count(),
            "left_out": call_list.left_out_counts,
            "calls_in_history": calls,
        }
        print(f"call_list_build: {figures['call_list_build']}")
        time_page(figures, "call_entries_api", head, f"/api/v1/call-lists/{call_list.pk}/entries/")
        time_page(figures, "call_list_page", head, f"/campaigns/call-lists/{call_list.pk}/")
        opportunities.run(figures, head)  # the opportunity board of the same department (issue 17)
    finally:
        for campaign in created:
            campaign.delete()
    print(json.dumps({"campaigns": figures}, ensure_ascii=False))


if __name__ == "__main__":
    main()
