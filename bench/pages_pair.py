"""Every page and endpoint of `bench/pages.py` timed on two databases in turn, page by page (issue 19, point 3).

Two runs of `bench/pages.py` minutes apart compare the machine as much as the databases: on this shared machine a
7 ms endpoint whose work cannot depend on the data reads 1.5× slower in one run than in the next. Here one process
per database (`bench/pages.py --serve`) answers this driver, and each page's samples are taken in rounds, the two
databases in turn and the first of them swapped each round, so that what the machine does meanwhile falls on both:
`python bench/pages_pair.py --a postgres://…/crm_bench --b postgres://…/crm_bench3`. The pages are the roles' on
A (the crawl of `bench/pages.py`); a page that is not a 200 on both is left out. Prints each page's p50 and p95 on
both with the ratio B/A of the p50, marks a ratio above `--margin` (1.2) or a page over the budget, and ends with
one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.page_figures import BUDGET_P95_MS, BUDGET_QUERIES, percentiles  # noqa: E402

ROLES = "account_manager,head,head_last_city,provincial_staff,hq"


class Side:
    """One database's `bench/pages.py --serve` process."""

    def __init__(self, url: str, users: str) -> None:
        env = dict(os.environ, DATABASE_URL=url, CELERY_BROKER_URL="")
        command = [sys.executable, str(ROOT / "bench" / "pages.py"), "--serve", "--users", users]
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT
        )
        self.customers = self._read()["customers"]

    def ask(self, **question) -> dict:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(question) + "\n")
        self.process.stdin.flush()
        return self._read()

    def _read(self) -> dict:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit(f"the benchmark process ended (exit {self.process.wait()})")
        return json.loads(line)

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait()


# Function calls of one request, and buffers its reads touch, that may differ between two databases for the same
# work (a cache filled, a dictionary resized; an index one level deeper, a row on another page): a page whose calls
# and buffers differ by less, its answer and queries the same, does the same work on both.
SAME_CALLS = 0.005
SAME_BUFFERS = 0.1
# Buffers a page's reads may touch more on one database than the other without the work differing in a way its
# time could show: a hundred buffers found in memory cost well under a millisecond.
SAME_BUFFERS_SLACK = 100
# What a page's warm-up says of its work (`bench/pages.py`'s `warmed` and `work`), kept beside its times.
WORK = ("queries", "calls", "answer", "buffers")


def same_work(one: dict, other: dict) -> bool:
    """Whether a page gave the same answer with the same queries, (within SAME_CALLS) the same function calls and
    (within SAME_BUFFERS, or SAME_BUFFERS_SLACK) the same buffers read on both databases (`bench/pages.py`'s
    `work`): then a ratio of its times is the machine's, not the data's."""

    def near(name: str, share: float, slack: int = 0) -> bool:
        return abs(one[name] - other[name]) <= max(share * max(one[name], other[name]), slack)

    if one["buffers"] is None or other["buffers"] is None:
        return False  # the database's work not known (a statement not explained again)
    return (
        one["answer"] == other["answer"]
        and one["queries"] == other["queries"]
        and near("calls", SAME_CALLS)
        and near("buffers", SAME_BUFFERS, SAME_BUFFERS_SLACK)
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--a", required=True, help="DATABASE_URL of the first database (the 1 M one)")
    parser.add_argument("--b", required=True, help="DATABASE_URL of the second (the 3 M one)")
    parser.add_argument("--runs", type=int, default=20, help="samples of each page on each database")
    parser.add_argument("--rounds", type=int, default=4, help="rounds the samples are taken in, in turn")
    parser.add_argument("--roles", default=ROLES)
    parser.add_argument("--users", default="", help="as bench/pages.py's --users")
    parser.add_argument("--margin", type=float, default=1.2)
    args = parser.parse_args()
    per_round = max(1, args.runs // args.rounds)
    a, b = Side(args.a, args.users), Side(args.b, args.users)
    pages: dict[str, dict] = {}
    wider: list[str] = []
    over: list[str] = []
    try:
        for role in args.roles.split(","):
            for path in a.ask(paths=role)["paths"]:
                warm = {side: side.ask(role=role, path=path, warm=True, work=True) for side in (a, b)}
                if any(answer["status"] != 200 for answer in warm.values()):
                    continue  # a redirect, not this role's, or not on both databases
                samples: dict[Side, list[float]] = {a: [], b: []}
                for number in range(args.rounds):
                    for side in (a, b) if number % 2 == 0 else (b, a):
                        samples[side] += side.ask(role=role, path=path, runs=per_round)["samples"]
                on_a, on_b = percentiles(samples[a]), percentiles(samples[b])
                ratio = round(on_b["p50_ms"] / on_a["p50_ms"], 2) if on_a["p50_ms"] else None
                key = f"{role} {path}"
                same = same_work(warm[a], warm[b])
                pages[key] = {
                    "a": {**on_a, **{name: warm[a][name] for name in WORK}},
                    "b": {**on_b, **{name: warm[b][name] for name in WORK}},
                    "ratio": ratio,
                    "same_work": same,
                }
                late = any(
                    figure["p95_ms"] > BUDGET_P95_MS or answer["queries"] > BUDGET_QUERIES
                    for figure, answer in ((on_a, warm[a]), (on_b, warm[b]))
                )
                wide = ratio is not None and ratio > args.margin
                over += [key] if late else []
                wider += [key] if wide else []
                print(
                    f"{'!' if late else ' '}{'>' if wide else ' '} {key:<70} p50 {on_a['p50_ms']:>7} → "
                    f"{on_b['p50_ms']:>7} ms ({ratio}×)  p95 {on_a['p95_ms']:>7} → {on_b['p95_ms']:>7} ms  "
                    f"{warm[a]['queries']:>2} → {warm[b]['queries']:>2} queries{'  same work' if same else ''}",
                    flush=True,
                )
    finally:
        a.close()
        b.close()
    print(
        f"{len(pages)} pages and endpoints: {len(over)} over {BUDGET_P95_MS} ms p95 or {BUDGET_QUERIES} queries on "
        f"either database, {len(wider)} above {args.margin}× on the second"
    )
    result = {
        "part": "pages_pair",
        "customers": [a.customers, b.customers],
        "runs": per_round * args.rounds,
        "rounds": args.rounds,
        "pages": pages,
        "over_budget": over,
        "above_margin": wider,
    }
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
