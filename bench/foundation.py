"""Foundation benchmark: seed_demo at scale, then server time of the customer pages and API at that scale.

Times are measured in-process with Django's test client (server time, no network), 20 runs each after one warm-up;
the figures are p50 and p95 in milliseconds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.models import Customer  # noqa: E402
from crm.models import User  # noqa: E402

RUNS = 20


def timed(client: Client, path: str, params: dict | None = None) -> dict[str, float]:
    client.get(path, params or {})
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        response = client.get(path, params or {})
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    samples.sort()
    return {"p50_ms": round(statistics.median(samples), 1), "p95_ms": round(samples[int(RUNS * 0.95) - 1], 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000, help="of each province")
    parser.add_argument("--provinces", default="sichuan")
    args = parser.parse_args()

    start = time.perf_counter()
    call_command("seed_demo", customers=args.customers, provinces=args.provinces, stdout=sys.stdout)
    seed_seconds = round(time.perf_counter() - start, 1)
    print(f"seed_demo --customers {args.customers} --provinces {args.provinces}: {seed_seconds} s")

    figures: dict[str, object] = {
        "customers": Customer.objects.count(),
        "seed_seconds": seed_seconds,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
    }
    some = Customer.objects.order_by("id")[args.customers // 2]
    cases = [
        ("list_hq", "admin", "/customers/", None),
        ("list_hq_page_1000", "admin", "/customers/", {"page": 1000}),
        ("list_hq_search_name", "admin", "/customers/", {"search": "天府科技"}),
        ("list_hq_search_code", "admin", "/customers/", {"search": some.code}),
        ("list_province_region_county", "sc_staff", "/customers/", {"region": "510104"}),
        ("list_province_sorted_spend", "sc_staff", "/customers/", {"ordering": "-monthly_spend"}),
        ("list_province_tier_a", "sc_staff", "/customers/", {"tier": "A"}),
        ("list_department_head", "cd_head", "/customers/", None),
        ("list_department_head_tier_b", "cd_head", "/customers/", {"tier": "B"}),
        ("list_account_manager", "cd_am01", "/customers/", None),
        ("detail_hq", "admin", f"/customers/{some.code}/", None),
        ("api_list_hq", "admin", "/api/v1/customers/", None),
        ("api_list_account_manager", "cd_am01", "/api/v1/customers/", None),
    ]
    settings.ALLOWED_HOSTS.append("testserver")
    clients: dict[str, Client] = {}
    for name, username, path, params in cases:
        if username not in clients:
            clients[username] = Client()
            clients[username].force_login(User.objects.get(username=username))
        result = timed(clients[username], path, params)
        figures[name] = result
        print(f"{name:<32} p50 {result['p50_ms']:>8} ms   p95 {result['p95_ms']:>8} ms")
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
