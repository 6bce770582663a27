"""Channel conflicts at a million customers (issue 20, point 1; goal: detection over a province's campaigns ≤ 5 s).

On the benchmark's database (bench/foundation.py, Sichuan), inside one transaction that is rolled back at the end, so
that no other benchmark sees them: the Chengdu department's campaign over all its active customers (about 290 000
plans, two products), the province department's over a third of Sichuan's active customers (about 300 000 plans,
overlapping in time and products), and the 10000 desk's call list on the first of 250 000 numbers of 100 000 Chengdu
customers. Then, for Sichuan's provincial staff and Chengdu's department head, the conflicts among the customers they
see (`campaigns.selectors.channels.channel_conflicts`, the report's first 10 000), side by side with the baseline of
reading their works once (`SELECT COUNT(*)` over the same works): the floor any detection pays. Prints each figure
and one JSON line. Usage: bench/channels.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

from accounts.models import Customer  # noqa: E402
from campaigns.selectors.channels import channel_conflicts, works_sql  # noqa: E402
from crm.models import Department, Role, User  # noqa: E402

SEED = """
INSERT INTO campaigns_campaign (name, kind, department_id, region_id, starts_on, ends_on, segment, created_at,
                                cancel_reason)
VALUES ('基准·成都V网推广', 'product_push', %(chengdu)s, '510100', '2026-12-01', '2026-12-31', '{}', now(), ''),
       ('基准·全省专线与V网', 'product_push', %(sichuan)s, '510000', '2026-12-10', '2027-01-31', '{}', now(), '');
INSERT INTO campaigns_campaign_target_products (campaign_id, product_id)
SELECT c.id, p FROM campaigns_campaign c, unnest(ARRAY['VPMN', 'DEDICATED_LINE']) p WHERE c.name LIKE '基准·%%';
INSERT INTO campaigns_customerplan (campaign_id, customer_id, objective, stage, stage_changed_at, channel_id)
SELECT (SELECT id FROM campaigns_campaign WHERE name = '基准·成都V网推广'), c.id, 'V网', 'screened', now(), 'direct'
FROM accounts_customer c JOIN crm_region r ON r.code = c.region_id
WHERE r.path LIKE '000000/510000/510100/%%' AND c.status = 'active';
INSERT INTO campaigns_customerplan (campaign_id, customer_id, objective, stage, stage_changed_at, channel_id)
SELECT (SELECT id FROM campaigns_campaign WHERE name = '基准·全省专线与V网'), c.id, '专线', 'screened', now(), 'direct'
FROM accounts_customer c WHERE c.id %% 3 = 0 AND c.status = 'active';
INSERT INTO campaigns_calllist (campaign_id, agent_id, source, created_at, mode, channel_id)
SELECT id, %(agent)s, 'all', '2026-12-02', 'manual', 'hotline_10000' FROM campaigns_campaign
WHERE name = '基准·成都V网推广';
INSERT INTO campaigns_callentry (call_list_id, customer_id, name, mobile, attempts, last_outcome)
SELECT (SELECT max(id) FROM campaigns_calllist), p.customer_id, '某某',
       '139' || lpad((p.customer_id * 3 + k)::text, 8, '0'), 0, ''
FROM (SELECT customer_id FROM campaigns_customerplan
      WHERE campaign_id = (SELECT id FROM campaigns_campaign WHERE name = '基准·成都V网推广')
      ORDER BY customer_id LIMIT 100000) p, generate_series(0, 2) k
LIMIT 250000;
ANALYZE campaigns_campaign; ANALYZE campaigns_campaign_target_products; ANALYZE campaigns_customerplan;
ANALYZE campaigns_calllist; ANALYZE campaigns_callentry;
"""


def seconds(runs: int, work) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def baseline(customers) -> int:
    sql, params = customers.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM ({works_sql(sql, by_product=False)}) w", list(params) * 3)
        return cursor.fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    staff = User.objects.filter(role=Role.PROVINCIAL_STAFF, region__code="510000").order_by("pk").first()
    head = User.objects.filter(role=Role.DEPARTMENT_HEAD, department__region__code="510100").order_by("pk").first()
    results: dict = {"runs": args.runs}
    with transaction.atomic():
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                SEED,
                {
                    "chengdu": Department.objects.get(region_id="510100").pk,
                    "sichuan": Department.objects.get(region_id="510000").pk,
                    "agent": staff.pk,
                },
            )
        results["seed_seconds"] = round(time.perf_counter() - started, 1)
        for label, user in (("provincial_staff", staff), ("head_chengdu", head)):
            customers = Customer.objects.visible_to(user)
            floor, works = seconds(args.runs, lambda customers=customers: baseline(customers))
            took, found = seconds(args.runs, lambda customers=customers: channel_conflicts(customers, limit=10_000))
            results[label] = {
                "works": works,
                "conflicts_listed": len(found),
                "seconds": round(took, 2),
                "baseline_read_works_seconds": round(floor, 2),
                "ratio": round(took / floor, 1) if floor else None,
            }
            print(f"{label}: {results[label]}", flush=True)
        transaction.set_rollback(True)
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
