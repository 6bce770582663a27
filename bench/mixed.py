"""The mixed load (issue 16): 50 account managers at once for 5 minutes on the seeded database (a million
customers), through the API against Gunicorn served as docker-compose.yml serves it (3 sync workers, DEBUG off):

- 20 clients read lists (`GET /api/v1/customers/`: page 1, a tier, a search, ordered by handset count),
- 15 open customers (`GET /api/v1/customers/{code}/`),
- 10 log visits (`POST /api/v1/visits/`),
- 5 edit customers (`PATCH /api/v1/customers/{code}/`: the address),

each client a manager's token and a customer on that manager's team, rotating over 2 000 managers; one wrk per
kind, all four at once, so that each kind has its own latencies; before them, each kind alone with one client (what
a request costs without a queue). Any answer but a 2xx is an error. Each client
sends its next request when its last is answered (a closed loop): the latencies include the queue in front of the
workers. The visits logged are removed and the addresses edited put back at the end (the audit trail keeps its
entries: it is append-only). Prints each figure and one JSON line.
  BENCH_MIXED_SECONDS  duration of the measured run (default 300)
"""

from __future__ import annotations

import json
import os
import platform
import random
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

import django  # noqa: E402

django.setup()

from knox.models import AuthToken  # noqa: E402
from serving import free_port, start_gunicorn, stop, token_pairs, wrk, wrk_result, wrk_start  # noqa: E402

from accounts.models import Customer  # noqa: E402
from crm.models import AuditEntry  # noqa: E402
from teams.models import Visit  # noqa: E402

SECONDS = int(os.environ.get("BENCH_MIXED_SECONDS", 300))
CLIENTS = {"list": 20, "open": 15, "visit": 10, "edit": 5}
MANAGERS = 2000
CUSTOMERS_PER_TOKEN = 3
ALONE_SECONDS = 15


def run_mixed(port: int, pairs_file: str, seconds: int) -> dict[str, dict]:
    """The four kinds at once, each its own wrk; their figures by kind."""
    running = {
        kind: wrk_start(port, pairs_file, seconds, kind=kind, clients=clients) for kind, clients in CLIENTS.items()
    }
    return {kind: wrk_result(process) for kind, process in running.items()}


def main() -> None:
    rng = random.Random(2026)
    figures: dict[str, object] = {
        "customers": Customer.objects.count(),
        "visits": Visit.objects.count(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "clients": CLIENTS,
        "seconds": SECONDS,
    }
    lines, tokens = token_pairs(rng, MANAGERS, CUSTOMERS_PER_TOKEN)
    rng.shuffle(lines)
    codes = {line.split()[1] for line in lines}
    addresses = dict(Customer.objects.filter(code__in=codes).values_list("code", "address"))
    first_visit = (Visit.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    first_entry = (AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    with tempfile.NamedTemporaryFile("w", suffix=".pairs", delete=False) as pairs:
        pairs.write("\n".join(lines) + "\n")
    port = free_port()
    server = start_gunicorn(port)
    try:
        run_mixed(port, pairs.name, 10)  # warm-up: workers import, connect and fill their caches
        # each kind alone, one client: what a request costs the server without a queue in front of it
        alone = {kind: wrk(port, pairs.name, ALONE_SECONDS, kind=kind, clients=1) for kind in CLIENTS}
        by_kind = run_mixed(port, pairs.name, SECONDS)
    finally:
        stop(server)
        os.unlink(pairs.name)
        created = Visit.objects.filter(pk__gte=first_visit)
        figures["visits_created"] = created.count()
        created.delete()
        figures["audit_entries_written"] = AuditEntry.objects.filter(pk__gte=first_entry).count()
        for code, address in addresses.items():
            Customer.objects.filter(code=code).update(address=address)
        AuthToken.objects.filter(pk__in=tokens).delete()
    figures["pairs"] = {"managers": len(tokens), "pairs": len(lines)}
    figures["alone"] = {
        kind: {key: run[key] for key in ("requests", "p50_ms", "p95_ms")} for kind, run in alone.items()
    }
    figures["by_kind"] = by_kind
    figures["total"] = {
        "requests": sum(run["requests"] for run in by_kind.values()),
        "requests_per_s": round(sum(run["requests_per_s"] for run in by_kind.values()), 1),
        "errors": sum(run["non_2xx"] + sum(run["socket_errors"].values()) for run in by_kind.values()),
    }
    for name, value in figures.items():
        if name not in ("by_kind", "alone"):
            print(f"{name:<24} {value}", flush=True)
    for kind, run in by_kind.items():
        print(
            f"{kind:<8} {CLIENTS[kind]:>3} clients  {run['requests']:>7} requests  {run['requests_per_s']:>7} /s  "
            f"p50 {run['p50_ms']} ms  p95 {run['p95_ms']} ms  p99 {run['p99_ms']} ms  "
            f"errors {run['non_2xx'] + sum(run['socket_errors'].values())}  (alone: p50 {alone[kind]['p50_ms']} ms, "
            f"p95 {alone[kind]['p95_ms']} ms)",
            flush=True,
        )
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
