"""The two orientations of `bench/pages_pair.py` as one figure per page (issue 19, point 3).

A page's time on this 2-vCPU machine depends on the process that serves it as well as on its data: the same page,
the same function calls and queries, reads 38-60 ms at its fastest in fresh processes started one after another.
`bench/pages_pair.py` is therefore run twice, the databases' processes swapped (`--a 1M --b 3M`, then
`--a 3M --b 1M`), and each page's ratio of the larger database to the smaller is the geometric mean of the two
orientations: a process's luck falls on one side in one run and on the other in the next.

`python bench/pairs_mean.py FIRST.log SECOND.log` reads the last `pages_pair` JSON line of each, prints per role
how many pages are above the margin (1.2x) with each of them, marked "same work" where the page gave the same answer
with the same queries, function calls and buffers read on both databases in both runs (its ratio is then the
machine's), and ends with one JSON line.
"""

from __future__ import annotations

import argparse
import json
import math
from collections import defaultdict
from pathlib import Path


def last_pair(path: Path) -> dict:
    """The last JSON line of a `bench/pages_pair.py` run in the file."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith('{"part": "pages_pair"')]
    if not lines:
        raise SystemExit(f"{path}: no JSON line of bench/pages_pair.py")
    return json.loads(lines[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("first", type=Path, help="the run with the smaller database as A")
    parser.add_argument("second", type=Path, help="the run with the processes swapped: the larger database as A")
    parser.add_argument("--margin", type=float, default=1.2)
    args = parser.parse_args()
    first, second = last_pair(args.first), last_pair(args.second)
    if first["customers"] != list(reversed(second["customers"])):
        raise SystemExit(f"the second run is not the first swapped: {first['customers']}, {second['customers']}")
    roles: dict[str, list[tuple[float, str, float, float, bool]]] = defaultdict(list)
    for key, page in first["pages"].items():
        other = second["pages"].get(key)
        if other is None or not page["ratio"] or not other["ratio"]:
            continue  # crawled in one orientation only
        larger_over_smaller = (page["ratio"], 1 / other["ratio"])
        mean = math.sqrt(larger_over_smaller[0] * larger_over_smaller[1])
        same = bool(page.get("same_work") and other.get("same_work"))
        roles[key.split(" ", 1)[0]].append((mean, key, *larger_over_smaller, same))
    result: dict[str, dict] = {}
    for role, pages in roles.items():
        above = sorted((page for page in pages if page[0] > args.margin), reverse=True)
        ratios = sorted(page[0] for page in pages)
        other_work = [page for page in above if not page[4]]
        print(
            f"{role}: {len(above)} of {len(pages)} above {args.margin}x, {len(other_work)} of them not shown to do "
            f"the same work on both; median {ratios[len(ratios) // 2]:.2f}, highest {ratios[-1]:.2f}"
        )
        for mean, key, one, two, same in above:
            print(f"  {mean:.2f} ({one:.2f} and {two:.2f}) {key.split(' ', 1)[1]}{'  same work' if same else ''}")
        result[role] = {
            "pages": len(pages),
            "median": round(ratios[len(ratios) // 2], 2),
            "highest": round(ratios[-1], 2),
            "above_margin": {key: round(mean, 2) for mean, key, _one, _two, _same in above},
            "above_margin_other_work": [key for _mean, key, _one, _two, _same in other_work],
        }
    over = sorted(set(first["over_budget"]) | set(second["over_budget"]))
    print(f"over budget in either run: {', '.join(over) or 'none'}")
    print(json.dumps({"part": "pairs_mean", "customers": first["customers"], "roles": result, "over_budget": over}))


if __name__ == "__main__":
    main()
