"""Teams and visits benchmark on the seeded database (issue 4):

- *my customers* (`GET /customers/`, with the due-visit badge and a status per row) for a random sample of account
  managers who are customer managers, and the visit form (`GET /customers/<code>/visits/new/`) for one of each
  one's customers: server time in-process with Django's test client, as bench/foundation.py measures its pages;
- incomplete teams and manager load for the widest department head and for provincial staff, the same way;
- logging visits through the API (`POST /api/v1/visits/`): 20 concurrent clients for 60 s with wrk against
  Gunicorn started as docker-compose.yml starts it (3 sync workers, DEBUG off), each request a manager's token
  and a customer on that manager's team, rotating over many managers. Any answer but a 2xx is an error.

The visits and tokens the benchmark creates are removed at the end. Prints each figure and one JSON line.
  BENCH_SAMPLE      managers sampled for the pages (default 40)
  BENCH_WRK_SECONDS duration of the measured wrk run (default 60)
  BENCH_BASELINE    a git revision: the visit load is also run against the product as it was then (a worktree of
                    it, served the same way on the same database), in alternation with today's (A B B A), and the
                    ratio of their median p95 is reported (the audit trail's cost: issue 16 asks ≤ 1.10)
"""

from __future__ import annotations

import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

import django  # noqa: E402

django.setup()

from baseline import worktree  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from knox.models import AuthToken  # noqa: E402
from serving import customer_managers, customers_of, free_port, start_gunicorn, stop, token_pairs, wrk  # noqa: E402

from accounts.models import Customer  # noqa: E402
from crm.models import Role, User  # noqa: E402
from teams.models import TeamRole, Visit  # noqa: E402

SAMPLE = int(os.environ.get("BENCH_SAMPLE", 40))
RUNS_PER_MANAGER = 5
CLIENTS = 20
WRK_SECONDS = int(os.environ.get("BENCH_WRK_SECONDS", 60))
WRK_MANAGERS = 2000  # distinct managers whose tokens the wrk run rotates over
CUSTOMERS_PER_TOKEN = 3


def percentiles(samples: list[float]) -> dict[str, float]:
    samples = sorted(samples)
    p95 = samples[max(int(len(samples) * 0.95) - 1, 0)]
    return {"p50_ms": round(statistics.median(samples), 1), "p95_ms": round(p95, 1), "n": len(samples)}


def time_pages(figures: dict, rng: random.Random) -> None:
    """Both pages for every sampled manager: each request timed, the first of each manager included."""
    managers = customer_managers(rng, SAMPLE)
    settings.ALLOWED_HOSTS.append("testserver")
    lists, forms, first_lists, queries_list, queries_form, portfolio = [], [], [], [], [], []
    for number, manager in enumerate(managers):
        client = Client()
        client.force_login(manager)
        code = rng.choice(customers_of(manager))
        if number == 0:  # one warm-up for the process (templates, translations), not for each manager
            client.get("/customers/")
            client.get(f"/customers/{code}/visits/new/")
        for run in range(RUNS_PER_MANAGER):
            start = time.perf_counter()
            response = client.get("/customers/")
            elapsed = (time.perf_counter() - start) * 1000
            assert response.status_code == 200, response.status_code
            assert b'data-testid="due-badge"' in response.content
            lists.append(elapsed)
            if run == 0:
                first_lists.append(elapsed)
            start = time.perf_counter()
            response = client.get(f"/customers/{code}/visits/new/")
            forms.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, response.status_code
        reset_queries()  # DEBUG keeps the last 9000 queries only; counting needs room
        with CaptureQueriesContext(connection) as captured:
            client.get("/customers/")
        queries_list.append(len(captured))
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            client.get(f"/customers/{code}/visits/new/")
        queries_form.append(len(captured))
        portfolio.append(len(customers_of(manager)))
    figures["my_customers"] = percentiles(lists)
    figures["my_customers_first_request"] = percentiles(first_lists)
    figures["my_customers_queries"] = max(queries_list)
    figures["visit_form"] = percentiles(forms)
    figures["visit_form_queries"] = max(queries_form)
    figures["sampled_managers"] = len(managers)
    figures["sampled_portfolio"] = {
        "min": min(portfolio),
        "max": max(portfolio),
        "mean": round(statistics.mean(portfolio)),
    }
    # For contrast: the largest portfolio of another role (a service manager serves hundreds of customers).
    busiest = (
        TeamRole.objects.active()
        .filter(role="service_manager")
        .values("user_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    if busiest:
        client = Client()
        client.force_login(User.objects.get(pk=busiest["user_id"]))
        client.get("/customers/")
        samples = []
        for _ in range(RUNS_PER_MANAGER * 2):
            start = time.perf_counter()
            assert client.get("/customers/").status_code == 200
            samples.append((time.perf_counter() - start) * 1000)
        figures["my_customers_busiest_service_manager"] = {**percentiles(samples), "customers": busiest["n"]}


def time_team_pages(figures: dict, rng: random.Random) -> None:
    """The pages department heads and provincial staff fix teams from, for the widest territory of each: incomplete
    teams (every gap counted) and manager load. Not among issue 4's goals; measured to know where they stand."""
    city_heads = User.objects.filter(role=Role.DEPARTMENT_HEAD, region__level="city")
    widest = {
        "department_head": max(city_heads, key=lambda head: Customer.objects.visible_to(head).count()),
        "provincial_staff": User.objects.filter(role=Role.PROVINCIAL_STAFF).order_by("id").first(),
    }
    for role, user in widest.items():
        client = Client()
        client.force_login(user)
        for name, url in (("incomplete_teams", "/teams/incomplete/"), ("manager_load", "/teams/load/")):
            assert client.get(url).status_code == 200  # warm-up
            samples = []
            for _ in range(RUNS_PER_MANAGER * 2):
                start = time.perf_counter()
                response = client.get(url)
                samples.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, response.status_code
            figures[f"{name}_{role}"] = {**percentiles(samples), "customers": Customer.objects.visible_to(user).count()}


def time_one_post(figures: dict, token: str, code: str) -> None:
    """One client, one request at a time, in-process: what a visit costs the server without queueing."""
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    body = {
        "customer": code,
        "kind": "onsite",
        "summary": "上门拜访，确认专线使用情况。",
        # the check-in (外勤签到) a phone sends with an on-site visit
        "latitude": 30.657,
        "longitude": 104.066,
        "accuracy_m": 18,
    }
    samples = []
    for run in range(21):
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.post("/api/v1/visits/", body, content_type="application/json")
            elapsed = (time.perf_counter() - start) * 1000
        assert response.status_code == 201, response.content
        if run:
            samples.append(elapsed)
    figures["post_visit_one_client"] = percentiles(samples)
    figures["post_visit_queries"] = len(captured)


def _load(tree: Path, port: int, pairs_file: str) -> dict:
    """The visit load against the product of `tree`, served by Gunicorn: a warm-up, then the measured run."""
    server = start_gunicorn(port, tree)
    try:
        wrk(port, pairs_file, 5, kind="visit", clients=CLIENTS)  # warm-up: workers import, connect, fill caches
        return wrk(port, pairs_file, WRK_SECONDS, kind="visit", clients=CLIENTS)
    finally:
        stop(server)


def log_visits_concurrently(figures: dict, rng: random.Random) -> None:
    lines, tokens = token_pairs(rng, WRK_MANAGERS, CUSTOMERS_PER_TOKEN)
    first_visit = (Visit.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    time_one_post(figures, *lines[0].split())
    rng.shuffle(lines)
    port = free_port()
    with tempfile.NamedTemporaryFile("w", suffix=".pairs", delete=False) as pairs:
        pairs.write("\n".join(lines) + "\n")
    baseline = os.environ.get("BENCH_BASELINE", "")
    try:
        if not baseline:
            result = _load(ROOT, port, pairs.name)
        else:
            with worktree(baseline) as tree:
                # A B B A: each visit logged makes the tables larger, so neither side always runs on the larger.
                order = (("baseline", tree), ("today", ROOT), ("today", ROOT), ("baseline", tree))
                rounds = [(name, _load(path, port, pairs.name)) for name, path in order]
            median_p95 = {
                name: statistics.median(run["p95_ms"] for label, run in rounds if label == name)
                for name in ("baseline", "today")
            }
            figures["post_visit_wrk_rounds"] = [{"tree": name, **run} for name, run in rounds]
            figures["post_visit_p95_vs_baseline"] = {
                "baseline": baseline,
                "baseline_p95_ms": median_p95["baseline"],
                "today_p95_ms": median_p95["today"],
                "ratio": round(median_p95["today"] / median_p95["baseline"], 3),
            }
            result = next(run for name, run in reversed(rounds) if name == "today")
    finally:
        os.unlink(pairs.name)
        created = Visit.objects.filter(pk__gte=first_visit)
        figures["post_visit_created_total"] = created.count()
        created.delete()
        AuthToken.objects.filter(pk__in=tokens).delete()
    figures["post_visit_pairs"] = {"managers": len(tokens), "pairs": len(lines)}
    figures["post_visit_wrk"] = result


def main() -> None:
    rng = random.Random(2026)
    figures: dict[str, object] = {
        "customers": Customer.objects.count(),
        "staff": User.objects.count(),
        "visits": Visit.objects.count(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
    }
    for name in ("customers", "staff", "visits"):
        print(f"{name:<36} {figures[name]}", flush=True)
    for part in (time_pages, time_team_pages, log_visits_concurrently):
        before = set(figures)
        part(figures, rng)
        for name in [name for name in figures if name not in before]:
            print(f"{name:<36} {figures[name]}", flush=True)
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
