"""KPI benchmark on the seeded database (issue 5):

- all the snapshots of a month, twice: the current month in one process (`compute_kpis`), and the month the
  nightly job computes (yesterday's) as it runs it on two Celery workers (chunks fanned out as a chord, rolled up
  and written by the callback);
- the department dashboard (the head of the widest department), the province overview (provincial staff, sorted by
  a metric) and `GET /api/v1/kpis/`: server time in-process with Django's test client, as the other benchmarks
  measure their pages. They read snapshots only; for their 12-month trend the 11 months before are filled by
  copying the current month's snapshots (computing each would take as long as the current one and measure
  nothing more).

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

from django.conf import settings  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Customer  # noqa: E402
from crm.models import PROVINCE_PATH_LENGTH, Role, User  # noqa: E402
from crm.periods import Period  # noqa: E402
from kpis.models import KpiJobRun, KpiSnapshot  # noqa: E402
from kpis.tasks import kpi_snapshots_nightly  # noqa: E402

RUNS = 30


def percentiles(samples: list[float]) -> dict[str, float]:
    samples = sorted(samples)
    p95 = samples[max(int(len(samples) * 0.95) - 1, 0)]
    return {"p50_ms": round(statistics.median(samples), 1), "p95_ms": round(p95, 1), "n": len(samples)}


def time_inline(figures: dict, period: Period) -> None:
    """`compute_kpis` in a process of its own, as an operator runs it: its time and its peak resident memory (issue
    19: ≤ 300 MB whatever the scope; the whole installation is the widest)."""
    wrapper = (
        "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    command = [sys.executable, "manage.py", "compute_kpis", "--period", str(period)]
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", wrapper, *command], cwd=ROOT, check=True, capture_output=True, text=True
    )
    figures["compute_kpis_s"] = round(time.perf_counter() - start, 1)
    figures["compute_kpis_peak_mb"] = round(int(done.stdout.strip().splitlines()[-1]) / 1024, 1)
    figures["snapshots_per_month"] = KpiSnapshot.objects.filter(period=period.start).count()
    print(
        f"compute_kpis {period} in one process: {figures['compute_kpis_s']} s, peak {figures['compute_kpis_peak_mb']}"
        f" MB, {figures['snapshots_per_month']} rows"
    )


def time_nightly(figures: dict) -> None:
    """The nightly job as the night runs it: the month yesterday belonged to, as of yesterday (on the first of a
    month, the month before: the benchmark's fixed today is 1 December)."""
    start = time.perf_counter()
    run_id = kpi_snapshots_nightly.delay().get(timeout=600)
    while (run := KpiJobRun.objects.get(pk=run_id)).finished_at is None:
        if time.perf_counter() - start > 900:
            raise SystemExit("the nightly KPI run did not finish within 15 minutes")
        time.sleep(0.2)
    seconds = round(time.perf_counter() - start, 1)
    assert run.status == "succeeded", run.errors
    figures["nightly_two_workers_s"] = seconds
    figures["nightly_chunks"] = run.chunks_total
    figures["nightly_period"] = run.period.strftime("%Y-%m")
    print(
        f"nightly KPI run on two workers ({figures['nightly_period']}): {seconds} s, {run.chunks_total} chunks, "
        f"{run.snapshots_written} rows"
    )


def fill_trend(period: Period) -> None:
    """The 11 months before, as copies of this one's snapshots: what the dashboards read for their trend."""
    months = period.months_back(12)[:-1]
    KpiSnapshot.objects.filter(period__in=[month.start for month in months]).delete()
    columns = "kind, region_id, department_id, manager_id, extent_id, metric, numerator, denominator, value, run_id"
    with connection.cursor() as cursor:
        for month in months:
            cursor.execute(
                f"INSERT INTO kpis_kpisnapshot (period, as_of, {columns}) SELECT %s, %s, {columns} "
                "FROM kpis_kpisnapshot WHERE period = %s",
                [month.start, month.last_day, period.start],
            )
        cursor.execute("ANALYZE kpis_kpisnapshot")


def time_page(figures: dict, name: str, user: User, url: str) -> None:
    client = Client()
    client.force_login(user)
    response = client.get(url)  # warm-up
    assert response.status_code == 200, (url, response.status_code)
    reset_queries()  # the log keeps the last 9000 queries only; counting needs room
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    figures[name] = {
        **percentiles(samples),
        "queries": len(queries),
        "customers": Customer.objects.visible_to(user).count(),
    }
    print(f"{name}: {figures[name]}")


def main() -> None:
    period = Period.of(timezone.localdate())
    figures: dict[str, object] = {"customers": Customer.objects.count(), "period": str(period)}
    time_inline(figures, period)
    time_nightly(figures)
    fill_trend(period)
    settings.ALLOWED_HOSTS.append("testserver")
    city_heads = User.objects.filter(role=Role.DEPARTMENT_HEAD, region__level="city")
    head = max(city_heads, key=lambda user: Customer.objects.visible_to(user).count())
    # The staff of the head's province (of three provinces, the largest city's may be any of them).
    province = head.department.region.path[:PROVINCE_PATH_LENGTH]
    staff = User.objects.filter(role=Role.PROVINCIAL_STAFF, region__path=province).order_by("id").first()
    time_page(figures, "department_dashboard", head, "/kpis/")
    time_page(figures, "province_overview", staff, "/kpis/?sort=visit_compliance_rate&dir=desc")
    time_page(figures, "city_drill_down", staff, f"/kpis/?region={head.department.region_id}")
    time_page(figures, "kpis_api", staff, f"/api/v1/kpis/?region={staff.region_id}")
    print(json.dumps({"kpis": figures}, ensure_ascii=False))


if __name__ == "__main__":
    main()
