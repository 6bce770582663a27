"""Tiering benchmark on the seeded database, side by side in one run:

- a hand-written `UPDATE … SET tier = CASE …` against the product's full recompute (the nightly job on two Celery
  workers, as production runs it, and in one process, as `recompute_tiers` does), all from the same table state,
  and the no-change run right after the rewrite and once the table has settled (vacuumed, as autovacuum does);
- the simulation of a draft rule set;
- the tier-list exports against `COPY` of the same SELECT (and of the bare columns), with their peak memory;
- a per-row `save()` loop for contrast.

Needs CELERY_BROKER_URL and a running worker (bench/run starts both). Prints each figure and one JSON line.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
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
from crm.celery import app  # noqa: E402
from crm.models import User  # noqa: E402
from tiering import exports  # noqa: E402
from tiering.models import TierJobRun  # noqa: E402
from tiering.rules import evaluate, rule_values  # noqa: E402
from tiering.selectors import published_rule_set, simulate  # noqa: E402
from tiering.services import rule_set_draft_create, tier_recompute  # noqa: E402
from tiering.tasks import tier_recompute_nightly  # noqa: E402

HAND_WRITTEN_CASE = """
UPDATE accounts_customer SET tier = CASE
  WHEN status = 'active' AND (handset_count >= 500 OR monthly_spend >= 100000 OR is_tax_top500
       OR is_major_influence OR industry_id IN ('S91','S92','S93','S94','S95','S96','R86','R87','I63','G60','J66',
       'D44','D45','D46','G53','G54','G56')) THEN 'A'
  WHEN status = 'active' AND (handset_count >= 100 OR monthly_spend >= 20000 OR industry_id IN ('J67','J68'))
       THEN 'B'
  WHEN status = 'active' THEN 'C' END
"""
PLAIN_SELECT = (
    "SELECT c.code, c.name, c.tier, c.region_id, r.name, c.industry_id, i.name, i.segment, c.status, "
    "c.handset_count, c.monthly_spend, c.informatization_revenue, c.uscc, c.tier_reasons "
    "FROM accounts_customer c JOIN crm_region r ON r.code = c.region_id "
    "LEFT JOIN accounts_industry i ON i.code = c.industry_id ORDER BY c.code"
)
# Issue 19's baseline for the CSV: the list's own columns, the manager included, by plain joins (no correlated
# subquery, no labels, the reasons as stored).
PLAIN_JOINS_SELECT = (
    "SELECT c.code, c.name, c.tier, c.region_id, r.name, c.industry_id, i.name, i.segment, c.status, "
    "c.handset_count, c.monthly_spend, c.informatization_revenue, c.uscc, "
    "coalesce(nullif(u.last_name || u.first_name, ''), u.username), c.tier_reasons "
    "FROM accounts_customer c JOIN crm_region r ON r.code = c.region_id "
    "LEFT JOIN accounts_industry i ON i.code = c.industry_id "
    "LEFT JOIN teams_teamrole t ON t.customer_id = c.id AND t.role = 'customer_manager' "
    "AND t.starts_on <= current_date AND (t.ends_on IS NULL OR t.ends_on > current_date) "
    "LEFT JOIN crm_user u ON u.id = t.user_id ORDER BY c.code"
)


def seconds(action) -> float:
    start = time.perf_counter()
    action()
    return round(time.perf_counter() - start, 2)


def sql(statement: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement)


def untiered() -> None:
    """Every customer without a tier, the table rewritten compactly: the same start for both updates."""
    sql("UPDATE accounts_customer SET tier = NULL, computed_tier = NULL, tier_reasons = '[]', tier_rule_set_id = NULL")
    sql("VACUUM FULL ANALYZE accounts_customer")


def nightly() -> TierJobRun:
    """The nightly job through the broker, waited for until its chord closes the run."""
    run_id = tier_recompute_nightly.delay().get(timeout=1800)
    while (run := TierJobRun.objects.get(pk=run_id)).finished_at is None:
        time.sleep(0.05)
    assert run.status == "succeeded", run.errors
    return run


def copy_seconds(select: str) -> float:
    with open(os.devnull, "wb") as sink, connection.cursor() as cursor:
        start = time.perf_counter()
        cursor.copy_expert(f"COPY ({select}) TO STDOUT WITH (FORMAT csv)", sink)
        return round(time.perf_counter() - start, 2)


def child(command: list[str]) -> float:
    """Run a command through a fresh wrapper process; its own peak resident memory in MB."""
    wrapper = (
        "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    result = subprocess.run(
        [sys.executable, "-c", wrapper, *command], cwd=ROOT, check=True, capture_output=True, text=True
    )
    return round(int(result.stdout.strip()) / 1024, 1)


def settled() -> None:
    """What autovacuum does within minutes of a night's rewrite of the table: the dead row versions gone, the
    visibility map and statistics current. The no-change rerun and the lists are timed on the table as the next
    night and the next day find it, and also right after the rewrite, as the worst case."""
    sql("VACUUM ANALYZE accounts_customer")


def recompute(figures: dict) -> None:
    untiered()
    while not app.control.ping(timeout=1.0):  # the workers are up before anything is timed
        time.sleep(0.5)
    figures["baseline_case_update_s"] = seconds(lambda: sql(HAND_WRITTEN_CASE))
    untiered()
    start = time.perf_counter()
    run = nightly()
    figures["recompute_full_s"] = round(time.perf_counter() - start, 2)
    figures["recompute_full_changed"] = run.customers_changed
    figures["recompute_ratio"] = round(figures["recompute_full_s"] / figures["baseline_case_update_s"], 2)
    start = time.perf_counter()
    run = nightly()
    figures["recompute_no_change_right_after_s"] = round(time.perf_counter() - start, 2)
    settled()
    start = time.perf_counter()
    run = nightly()
    figures["recompute_no_change_s"] = round(time.perf_counter() - start, 2)
    figures["recompute_no_change_changed"] = run.customers_changed
    national = published_rule_set(None)
    figures["recompute_no_change_one_process_s"] = seconds(lambda: tier_recompute(scope=national.scope))
    # The same full recompute in one process (`recompute_tiers`, chunk after chunk), from the same start.
    untiered()
    figures["recompute_full_one_process_s"] = seconds(lambda: tier_recompute(scope=national.scope))
    figures["recompute_one_process_ratio"] = round(
        figures["recompute_full_one_process_s"] / figures["baseline_case_update_s"], 2
    )
    settled()


def simulation(figures: dict) -> None:
    staff = User.objects.filter(role="provincial_staff").order_by("id").first()

    def timed(draft) -> float:
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            simulate(rule_set=draft, user=staff)
            runs.append(time.perf_counter() - start)
        return round(statistics.median(runs), 2)

    with transaction.atomic():
        draft = rule_set_draft_create(user=staff)
        figures["simulation_no_movers_s"] = timed(draft)
        draft.rules.filter(tier="B", field="handset_count").update(threshold=90)
        figures["simulation_s"] = timed(draft)
        figures["simulation_movers"] = simulate(rule_set=draft, user=staff).moved
        transaction.set_rollback(True)


def tier_lists(figures: dict) -> None:
    everyone = Customer.objects.all()
    with connection.cursor() as cursor:
        same_select = cursor.mogrify(*exports.tier_list_sql(everyone, for_csv=True)).decode()
    figures["copy_plain_columns_s"] = copy_seconds(PLAIN_SELECT)
    figures["copy_same_select_s"] = copy_seconds(same_select)
    figures["copy_plain_joins_s"] = copy_seconds(PLAIN_JOINS_SELECT)
    with open(os.devnull, "wb") as sink:
        figures["export_csv_s"] = seconds(lambda: exports.write_csv(everyone, sink))
    figures["export_csv_ratio"] = round(figures["export_csv_s"] / figures["copy_same_select_s"], 2)
    figures["export_csv_ratio_to_plain_columns"] = round(figures["export_csv_s"] / figures["copy_plain_columns_s"], 2)
    figures["export_csv_ratio_to_plain_joins"] = round(figures["export_csv_s"] / figures["copy_plain_joins_s"], 2)
    with open(os.devnull, "wb") as sink:
        figures["export_xlsx_s"] = seconds(lambda: exports.write_xlsx(everyone, sink))
    figures["export_xlsx_rows_per_s"] = int(figures["customers"] / figures["export_xlsx_s"])
    python, out = sys.executable, "/tmp/bench-tier-list"
    for kind in ("csv", "xlsx"):
        figures[f"export_{kind}_peak_mb"] = child(
            [python, "manage.py", "export_tier_list", "--region", "000000", "--format", kind, "-o", f"{out}.{kind}"]
        )


def per_row_saves(figures: dict) -> None:
    rules = published_rule_set(None).specs()

    def save_loop():
        with transaction.atomic():
            for customer in Customer.objects.order_by("id")[:20_000]:
                result = evaluate(rule_values(customer), rules)
                customer.tier = result.tier
                customer.tier_reasons = json.loads(json.dumps(result.reasons, default=float))
                customer.save()
            transaction.set_rollback(True)

    figures["per_row_save_20k_s"] = seconds(save_loop)


def main() -> None:
    figures: dict[str, object] = {"customers": Customer.objects.count()}
    for part in (recompute, simulation, tier_lists, per_row_saves):
        before = set(figures)
        part(figures)
        for name in [name for name in figures if name not in before]:
            print(f"{name:<36} {figures[name]}", flush=True)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
