"""The night's jobs on the seeded database, each in this one process, and the size of the tables they read: the
figures a national deployment's estimate rests on (issue 19, point 3). Run on the one-province and the
three-province databases (`BENCH_DB`), the two JSON lines side by side (`bench/compare.py`) say whether each job
costs the same per customer at three times the size.

- the full tier recompute from untiered customers (`tier_recompute` over the country: its chunks one after
  another, as one worker runs them), then the same with nothing to change;
- the count tables the night rewrites: tiers, team gaps, manager loads, coverage;
- rows and bytes (indexes included) of the largest tables.

The month's KPI snapshots, the night's other large job, are timed with their memory by `bench/kpis.py`
(`compute_kpis` in a process of its own).

Prints each figure and one JSON line.
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

from django.db import connection  # noqa: E402

from accounts.models import Customer  # noqa: E402
from campaigns.services import coverage_snapshot  # noqa: E402
from crm.models import Region  # noqa: E402
from teams.services import manager_loads_snapshot, team_gaps_snapshot  # noqa: E402
from tiering.services import tier_counts_snapshot, tier_recompute  # noqa: E402

TABLES = [
    "accounts_customer",
    "accounts_groupmember",
    "accounts_keyperson",
    "teams_teamrole",
    "teams_visit",
    "campaigns_customerproduct",
    "accounts_billingperiod",
    "tiering_tierchange",
    "crm_auditentry",
    "kpis_kpisnapshot",
]


def seconds(action) -> tuple[float, object]:
    start = time.perf_counter()
    result = action()
    return round(time.perf_counter() - start, 2), result


def sql(statement: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement)


def sizes(figures: dict) -> None:
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(
                "SELECT reltuples::bigint, pg_total_relation_size(oid) FROM pg_class WHERE oid = %s::regclass",
                [table],
            )
            rows, size = cursor.fetchone()
            figures[f"{table}_rows"] = rows
            figures[f"{table}_mb"] = round(size / 2**20)
        cursor.execute("SELECT pg_database_size(current_database())")
        figures["database_mb"] = round(cursor.fetchone()[0] / 2**20)


def jobs(figures: dict) -> None:
    country = Region.objects.get(code="000000")
    # Every customer untiered and the table compacted, as bench/tiering.py starts its full recompute.
    sql("UPDATE accounts_customer SET tier = NULL, computed_tier = NULL, tier_reasons = '[]', tier_rule_set_id = NULL")
    sql("VACUUM FULL ANALYZE accounts_customer")
    figures["recompute_full_s"], run = seconds(lambda: tier_recompute(scope=country, source="nightly"))
    figures["recompute_full_changed"] = run.customers_changed
    figures["recompute_no_change_s"], run = seconds(lambda: tier_recompute(scope=country, source="nightly"))
    figures["recompute_no_change_changed"] = run.customers_changed
    for name, snapshot in (
        ("tier_counts", tier_counts_snapshot),
        ("team_gaps", team_gaps_snapshot),
        ("manager_loads", manager_loads_snapshot),
        ("coverage", coverage_snapshot),
    ):
        figures[f"{name}_s"], figures[f"{name}_rows"] = seconds(snapshot)


def main() -> None:
    figures: dict[str, object] = {"customers": Customer.objects.count()}
    for part in (sizes, jobs):
        before = set(figures)
        part(figures)
        for name in [name for name in figures if name not in before]:
            print(f"{name:<40} {figures[name]}", flush=True)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
