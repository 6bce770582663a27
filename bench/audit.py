"""The audit trail's cost (issue 16) on the two largest writes, side by side in one run with the product as it was
before the trail (BENCH_BASELINE, default 5992103, the parent of the commit that brought it; a worktree of it):

- the full tier recompute, in one process, of every customer of the seeded database from no tier (each customer's
  change of tier is one entry of the trail: a million entries);
- the import of a million new customers (the BOSS layout of bench/imports.py), into an empty database of its own
  (created and migrated for each round), as the command line runs it (one entry per row created).

Each is run A B B A (baseline, today, today, baseline), each round in a process of its own with the tree's code on
the same schema (today's migrations: the baseline leaves the trail's table empty), and the ratio of the medians is
reported: issue 16 asks ≤ 1.15 for both. Needs the seeded database (DATABASE_URL) and runs Celery eagerly. Prints
each figure and one JSON line.
  BENCH_AUDIT_PARTS  "recompute", "import" or both (the default)
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from baseline import ROOT, worktree  # bench/, the script's own directory, is on the path

BASELINE = os.environ.get("BENCH_BASELINE") or "5992103"
ROUNDS = ("baseline", "today", "today", "baseline")
PARTS = os.environ.get("BENCH_AUDIT_PARTS", "recompute import").split()

RECOMPUTE = """
import time, django
django.setup()
from tiering.selectors import published_rule_set
from tiering.services import tier_recompute
scope = published_rule_set(None).scope
start = time.perf_counter()
run = tier_recompute(scope=scope)
print(round(time.perf_counter() - start, 2), run.customers_changed)
"""
IMPORT = """
import shutil, sys, tempfile, time, django
from pathlib import Path
django.setup()
from imports.services import import_run_check, import_run_create
source = Path(sys.argv[1])
copy = Path(tempfile.mkdtemp()) / source.name
shutil.copyfile(source, copy)
start = time.perf_counter()
run = import_run_create(user=None, kind="customers", file_name=copy.name, path=copy)
run = import_run_check(run, then="write")
assert run.status == "done", (run.status, run.message)
print(round(time.perf_counter() - start, 2), run.created)
"""
UNTIERED = (
    "UPDATE accounts_customer SET tier = NULL, computed_tier = NULL, tier_reasons = '[]', tier_rule_set_id = NULL; "
    "VACUUM FULL ANALYZE accounts_customer"
)


def env(database_url: str, tree: Path) -> dict[str, str]:
    # eager Celery: the one-process recompute and the command line's import
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crm.settings",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": "",
        "PYTHONPATH": str(tree),
    }


def python(tree: Path, database_url: str, code: str, *args: str) -> list[str]:
    """Run `code` with the product of `tree` on `database_url`; its last line of output, split."""
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=tree,
        env=env(database_url, tree),
        capture_output=True,
        text=True,
    )
    if result.returncode:
        raise RuntimeError(f"{tree}: {result.stderr[-3000:]}")
    return result.stdout.strip().splitlines()[-1].split()


def psql(database_url: str, *statements: str) -> None:
    for statement in statements:
        subprocess.run(["psql", database_url, "-qc", statement], check=True)


def compared(rounds: list[tuple[str, float]]) -> dict[str, float]:
    median = {name: statistics.median(s for label, s in rounds if label == name) for name in ("baseline", "today")}
    return {
        "rounds": [{"tree": name, "seconds": s} for name, s in rounds],
        "baseline_s": round(median["baseline"], 2),
        "today_s": round(median["today"], 2),
        "ratio": round(median["today"] / median["baseline"], 3),
    }


def recompute(trees: dict[str, Path], database_url: str) -> dict:
    """The rounds' tier history is removed after (four million rows); their audit entries stay (append-only)."""
    last = subprocess.run(
        ["psql", database_url, "-tAc", "SELECT COALESCE(MAX(id), 0) FROM tiering_tierchange"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    rounds = []
    for name in ROUNDS:
        psql(database_url, *UNTIERED.split("; "))
        seconds, changed = python(trees[name], database_url, RECOMPUTE)
        print(f"recompute {name:<9} {seconds} s, {changed} customers changed", flush=True)
        rounds.append((name, float(seconds)))
    psql(database_url, f"DELETE FROM tiering_tierchange WHERE id > {int(last)}")
    return compared(rounds)


def customers_import(trees: dict[str, Path], database_url: str, source: str) -> dict:
    target = database_url.rsplit("/", 1)[0] + "/crm_bench_audit"
    server = database_url.rsplit("/", 1)[0] + "/postgres"
    rounds = []
    for name in ROUNDS:
        psql(server, "DROP DATABASE IF EXISTS crm_bench_audit", "CREATE DATABASE crm_bench_audit")
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, env=env(target, ROOT), check=True
        )
        python(
            ROOT,
            target,
            "import django; django.setup(); from demo.seed.territory import seed_territory; "
            "seed_territory(); print('ok')",
        )
        seconds, created = python(trees[name], target, IMPORT, source)
        print(f"import    {name:<9} {seconds} s, {created} customers created", flush=True)
        rounds.append((name, float(seconds)))
    psql(server, "DROP DATABASE IF EXISTS crm_bench_audit")
    return compared(rounds)


def main() -> None:
    database_url = os.environ["DATABASE_URL"]
    files = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "imports.py"), "--files"], capture_output=True, text=True, check=True
    ).stdout
    source = json.loads(files.strip().splitlines()[-1])["customers"]
    figures: dict[str, object] = {"baseline": BASELINE}
    with worktree(BASELINE) as baseline:
        trees = {"baseline": baseline, "today": ROOT}
        if "recompute" in PARTS:
            figures["recompute_full"] = recompute(trees, database_url)
        if "import" in PARTS:
            figures["import_customers_new"] = customers_import(trees, database_url, source)
    for name in ("recompute_full", "import_customers_new"):
        if (result := figures.get(name)) is None:
            continue
        assert isinstance(result, dict)
        print(f"{name:<22} baseline {result['baseline_s']} s, today {result['today_s']} s, ratio {result['ratio']}")
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
