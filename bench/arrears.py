"""The arrears work at a million customers (issue 21; goal: the nightly arrears and KPI work adds ≤ 30 s).

On the benchmark's database (bench/foundation.py), inside one transaction that is rolled back at the end: last
month's bill of one customer in `--share` (default 20) says it owes — amounts spread from 1 000 to 200 000 CNY,
arrears begun 0 to 180 days ago — written as a billing import writes them; then timed:
- the first follow-up, what a province's first billing file with arrears adds to its import: `arrears_refresh` and
  `arrears_cases_sync` over every customer, the cases opened for the large ones and their collectors told;
- the nightly recheck a month on: a tenth of the debtors paid, a tenth owing another amount, as the next billing
  file says: `arrears_refresh` and `arrears_cases_sync` over every customer again (cases closed and updated, a few
  opened);
- the KPI totals of one chunk of 100 000 customers with and without the arrears totals (`kpis.totals.count_rows`),
  extrapolated to every chunk: what the arrears add to the nightly computation.
Prints each figure and one JSON line. Usage: bench/arrears.py [--share N]
"""

from __future__ import annotations

import argparse
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

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Customer  # noqa: E402
from arrears.services import arrears_cases_sync, arrears_refresh  # noqa: E402
from crm.periods import Period  # noqa: E402
from kpis.services import CHUNK_SIZE  # noqa: E402
from kpis.totals import ARREARS_TOTALS, SUMMED_FIELDS, count_rows  # noqa: E402
from teams.selectors import standards  # noqa: E402

BILLS = """
INSERT INTO accounts_billingperiod (customer_id, period, monthly_spend, informatization_revenue, arrears_amount,
                                    arrears_since, updated_at)
SELECT c.id, %(month)s, c.monthly_spend, c.informatization_revenue, 1000 + (c.id * 7919) %% 199000,
       %(today)s::date - ((c.id * 31) %% 180)::int, now()
FROM accounts_customer c WHERE c.id %% %(share)s = 0
ON CONFLICT (customer_id, period) DO UPDATE SET arrears_amount = excluded.arrears_amount,
                                                arrears_since = excluded.arrears_since
"""
# A month on: of those who owed, one in ten paid and one in ten owes another amount.
NEXT_BILLS = """
UPDATE accounts_billingperiod SET arrears_amount = CASE WHEN customer_id %% (10 * %(share)s) = 0 THEN 0
                                                        ELSE arrears_amount + 500 END
WHERE period = %(month)s AND customer_id %% %(share)s = 0 AND customer_id %% (10 * %(share)s) IN (0, %(share)s)
"""


def timed(label: str, work) -> float:
    started = time.monotonic()
    result = work()
    seconds = time.monotonic() - started
    print(f"{label}: {seconds:.1f} s ({result})")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--share", type=int, default=20, help="one customer in N owes something")
    args = parser.parse_args()
    today = timezone.localdate()
    month = Period.of(today).previous().start
    figures: dict[str, float] = {}
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(BILLS, {"month": month, "today": today, "share": args.share})
            print(f"bills owing: {cursor.rowcount}")
            cursor.execute("ANALYZE accounts_billingperiod")
        figures["first_refresh_s"] = timed("first file: arrears_refresh, every customer", lambda: arrears_refresh())
        figures["first_cases_sync_s"] = timed(
            "first file: arrears_cases_sync, every customer (cases opened)", lambda: arrears_cases_sync().opened
        )
        with connection.cursor() as cursor:
            cursor.execute(NEXT_BILLS, {"month": month, "share": args.share})
            print(f"a month on: bills changed {cursor.rowcount}")
        figures["refresh_s"] = timed("nightly: arrears_refresh, every customer", lambda: arrears_refresh())
        figures["cases_sync_s"] = timed(
            "nightly: arrears_cases_sync, every customer (closed, updated, opened)",
            lambda: vars(arrears_cases_sync()) | {"opened_ids": "…"},
        )
        first = Customer.objects.order_by("id").values_list("id", flat=True).first() or 0
        chunk = Customer.objects.filter(id__gte=first, id__lt=first + CHUNK_SIZE)
        period, by_tier = Period.of(today), standards()
        dense = tuple(name for name in SUMMED_FIELDS if name not in ARREARS_TOTALS)
        without = timed(
            "KPI totals of a chunk, without arrears", lambda: len(count_rows(chunk, period, today, by_tier, dense))
        )
        with_arrears = timed(
            "KPI totals of a chunk, with arrears", lambda: len(count_rows(chunk, period, today, by_tier))
        )
        chunks = (Customer.objects.count() + CHUNK_SIZE - 1) // CHUNK_SIZE
        figures["kpi_added_s"] = round(max(with_arrears - without, 0) * chunks, 1)
        print(f"KPI work the arrears add over {chunks} chunks: {figures['kpi_added_s']} s")
        figures["total_added_s"] = round(figures["refresh_s"] + figures["cases_sync_s"] + figures["kpi_added_s"], 1)
        print(f"the nightly arrears and KPI work adds: {figures['total_added_s']} s (goal 30 s)")
        transaction.set_rollback(True)
    print(json.dumps({"bench": "arrears", **{k: round(v, 2) for k, v in figures.items()}}))


if __name__ == "__main__":
    main()
