"""The account manager's day at a million customers (issue 17), in-process with Django's test client as
bench/teams.py times its pages:

- the workbench (`GET /today/`) of an account manager with about 70 customers and 10 000 notifications (made for
  the run, 2 000 of them unread, and deleted after): p50, p95 and the queries of one request; and the workbench of
  the department head with the widest territory (the team's rows);
- the top bar's search (`GET /search/?partial=1&q=…`) as headquarters (every customer and key person) and as an
  account manager, over queries of each kind: part of a common name, a code's start, a whole USCC, a key person's
  name, the start of a mobile number.

Prints each figure and one JSON line.
  BENCH_RUNS  timed requests of each page and query (default 20)
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Customer, KeyPerson  # noqa: E402
from crm.models import Notification, NotificationKind, Role, User  # noqa: E402
from teams.models import TeamRole  # noqa: E402
from teams.rules import CUSTOMER_MANAGER  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", 20))
PORTFOLIO = 70
NOTIFICATIONS = 10_000
UNREAD = 2_000


def percentiles(samples: list[float]) -> dict[str, float]:
    samples = sorted(samples)
    p95 = samples[max(int(len(samples) * 0.95) - 1, 0)]
    return {"p50_ms": round(statistics.median(samples), 1), "p95_ms": round(p95, 1), "n": len(samples)}


def timed(client: Client, url: str, runs: int = RUNS) -> tuple[dict, int]:
    """The page `runs` times after one warm-up: its percentiles, and the queries of the last request."""
    assert client.get(url).status_code == 200, url
    samples = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(url)
            samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return percentiles(samples), len(queries)


def manager_of_about(size: int) -> tuple[User, int]:
    """The account manager whose portfolio (as customer manager) is closest to `size` customers."""
    counts = (
        TeamRole.objects.active()
        .filter(role=CUSTOMER_MANAGER, user__role=Role.ACCOUNT_MANAGER)
        .values("user_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    best = min(counts, key=lambda row: (abs(row["n"] - size), row["user_id"]))
    return User.objects.get(pk=best["user_id"]), best["n"]


def time_workbench(figures: dict, rng: random.Random) -> None:
    manager, portfolio = manager_of_about(PORTFOLIO)
    now = timezone.now()
    made = Notification.objects.bulk_create(
        [
            Notification(
                recipient=manager,
                kind=NotificationKind.VISIT_OVERDUE,
                title=f"待走访提醒 {number}",
                body="您有客户本期尚需走访。",
                url="/today/",
                created_at=now - datetime.timedelta(minutes=number),
                read_at=None if number < UNREAD else now,
            )
            for number in range(NOTIFICATIONS)
        ],
        batch_size=2000,
    )
    try:
        client = Client()
        client.force_login(manager)
        result, queries = timed(client, "/today/")
        figures["workbench_manager"] = {
            **result,
            "queries": queries,
            "customers": portfolio,
            "notifications": Notification.objects.filter(recipient=manager).count(),
        }
    finally:
        Notification.objects.filter(pk__in=[n.pk for n in made]).delete()
    heads = User.objects.filter(role=Role.DEPARTMENT_HEAD, department__isnull=False, region__level="city")
    head = max(heads, key=lambda user: Customer.objects.visible_to(user).count())
    client = Client()
    client.force_login(head)
    result, queries = timed(client, "/today/")
    figures["workbench_head"] = {
        **result,
        "queries": queries,
        "customers": Customer.objects.visible_to(head).count(),
        "managers": User.objects.filter(department_id=head.department_id).account_managers().count(),
    }


def search_queries(manager: User) -> dict[str, str]:
    """One query of each kind, drawn from the data (the manager's own customers for the manager's run)."""
    sample = Customer.objects.filter(pk__in=TeamRole.objects.active().filter(user=manager).values("customer_id"))
    customer = sample.exclude(uscc__isnull=True).order_by("id").first() or Customer.objects.order_by("id").first()
    person = KeyPerson.objects.exclude(mobile="").filter(customer=customer).first() or (
        KeyPerson.objects.exclude(mobile="").order_by("id").first()
    )
    return {
        "name_common": "科技",
        "name_part": customer.name[2:5],
        "code_start": customer.code[: max(len(customer.code) - 2, 2)],
        "uscc": customer.uscc or "",
        "key_person_name": person.name if person else "张",
        "mobile_start": person.mobile[:7] if person else "1380000",
    }


def time_search(figures: dict, rng: random.Random) -> None:
    manager, _ = manager_of_about(PORTFOLIO)
    hq = User.objects.filter(role=Role.HQ_ADMIN).order_by("id").first()
    queries = search_queries(manager)
    for role, user in (("hq", hq), ("manager", manager)):
        client = Client()
        client.force_login(user)
        every, per_kind, most_queries = [], {}, 0
        for kind, text in queries.items():
            result, count = timed(client, f"/search/?partial=1&q={text}", runs=max(RUNS // 2, 5))
            per_kind[kind] = result["p95_ms"]
            most_queries = max(most_queries, count)
            every.append(result["p95_ms"])
        figures[f"search_{role}"] = {"worst_p95_ms": max(every), "p95_by_query": per_kind, "queries": most_queries}
    figures["search_terms"] = queries


def main() -> None:
    settings.ALLOWED_HOSTS.append("testserver")
    rng = random.Random(2026)
    figures: dict[str, object] = {
        "customers": Customer.objects.count(),
        "key_persons": KeyPerson.objects.count(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
    }
    for name in ("customers", "key_persons"):
        print(f"{name:<24} {figures[name]}", flush=True)
    for part in (time_workbench, time_search):
        before = set(figures)
        part(figures, rng)
        for name in [name for name in figures if name not in before]:
            print(f"{name:<24} {figures[name]}", flush=True)
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
