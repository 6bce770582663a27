"""Tiering benchmark on the seeded database: recompute against a hand-written CASE update, the no-change run,
tier-list exports against COPY, and a per-row save() loop for contrast. Prints each figure and one JSON line.
"""

from __future__ import annotations

import json
import os
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
from tiering import exports  # noqa: E402
from tiering.rules import evaluate  # noqa: E402
from tiering.selectors import published_rule_set  # noqa: E402
from tiering.services import tier_recompute  # noqa: E402

HAND_WRITTEN_CASE = """
UPDATE accounts_customer SET tier = CASE
  WHEN status = 'active' AND (handset_count >= 500 OR monthly_spend >= 100000 OR is_tax_top500
       OR is_major_influence OR industry_id IN ('S91','S92','S93','S94','S95','S96','R86','R87','I63','G60','J66',
       'D44','D45','D46','G53','G54','G56')) THEN 'A'
  WHEN status = 'active' AND (handset_count >= 100 OR monthly_spend >= 20000 OR industry_id IN ('J67','J68'))
       THEN 'B'
  WHEN status = 'active' THEN 'C' END
"""


def seconds(action) -> float:
    start = time.perf_counter()
    action()
    return round(time.perf_counter() - start, 2)


def sql(statement: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement)


def child(command: list[str]) -> tuple[float, float]:
    """Run a command through a fresh wrapper process; its wall time in s and its own peak resident memory in MB."""
    wrapper = (
        "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", wrapper, *command], cwd=ROOT, check=True, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - start
    return round(elapsed, 2), round(int(result.stdout.strip()) / 1024, 1)


def main() -> None:
    figures: dict[str, object] = {"customers": Customer.objects.count()}
    national = published_rule_set(None)
    root = national.scope

    figures["baseline_case_update_s"] = seconds(lambda: sql(HAND_WRITTEN_CASE))
    sql("UPDATE accounts_customer SET tier = NULL, computed_tier = NULL, tier_reasons = '[]', tier_rule_set_id = NULL")
    sql("VACUUM ANALYZE accounts_customer")
    figures["recompute_full_s"] = seconds(lambda: tier_recompute(scope=root))
    figures["recompute_ratio"] = round(figures["recompute_full_s"] / figures["baseline_case_update_s"], 2)
    figures["recompute_no_change_s"] = seconds(lambda: tier_recompute(scope=root))
    for name, value in figures.items():
        print(f"{name:<28} {value}")

    select = (
        "SELECT c.code, c.name, c.tier, c.region_id, r.name, c.industry_id, i.name, i.segment, c.status, "
        "c.handset_count, c.monthly_spend, c.informatization_revenue, c.uscc, c.tier_reasons "
        "FROM accounts_customer c JOIN crm_region r ON r.code = c.region_id "
        "LEFT JOIN accounts_industry i ON i.code = c.industry_id ORDER BY c.code"
    )
    with open(os.devnull, "w") as sink, connection.cursor() as cursor:
        start = time.perf_counter()
        cursor.copy_expert(f"COPY ({select}) TO STDOUT WITH (FORMAT csv)", sink)
        figures["copy_csv_s"] = round(time.perf_counter() - start, 2)
    # Time the exports in-process (what a request spends); peak memory from a separate process doing the same.
    everyone = Customer.objects.all()
    with open(os.devnull, "w") as sink:
        figures["export_csv_s"] = seconds(lambda: exports.write_csv(everyone, sink))
    with open(os.devnull, "wb") as sink:
        figures["export_xlsx_s"] = seconds(lambda: exports.write_xlsx(everyone, sink))
    figures["export_csv_ratio"] = round(figures["export_csv_s"] / figures["copy_csv_s"], 2)
    figures["export_xlsx_rows_per_s"] = int(figures["customers"] / figures["export_xlsx_s"])
    python, out = sys.executable, "/tmp/bench-tier-list"
    _s, figures["export_csv_peak_mb"] = child(
        [python, "manage.py", "export_tier_list", "--region", "000000", "--format", "csv", "-o", f"{out}.csv"]
    )
    _s, figures["export_xlsx_peak_mb"] = child(
        [python, "manage.py", "export_tier_list", "--region", "000000", "--format", "xlsx", "-o", f"{out}.xlsx"]
    )

    rules = national.specs()

    def save_loop():
        for customer in Customer.objects.order_by("id")[:20_000]:
            result = evaluate(customer.rule_values(), rules)
            customer.tier = result.tier
            customer.tier_reasons = json.loads(json.dumps(result.reasons, default=float))
            customer.save()

    def save_loop_rolled_back():
        with transaction.atomic():
            save_loop()
            transaction.set_rollback(True)

    figures["per_row_save_20k_s"] = seconds(save_loop_rolled_back)
    for name in (
        "copy_csv_s",
        "export_csv_s",
        "export_csv_peak_mb",
        "export_csv_ratio",
        "export_xlsx_s",
        "export_xlsx_peak_mb",
        "export_xlsx_rows_per_s",
        "per_row_save_20k_s",
    ):
        print(f"{name:<28} {figures[name]}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
