"""Two benchmark runs side by side (issue 19): `python bench/compare.py BEFORE AFTER`.

Each file is the output of a `bench/run` (or of one of its parts); every line of it that is a JSON object is a
part's result. Every number in them is shown with its ratio after/before, keyed by part and path (a part is named by
its "part" field, or by its position); ratios beyond ±20 % are marked, and only those shown unless --all.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

MARGIN = 0.2


def results(path: Path) -> dict[str, float]:
    """Every number of every JSON line of the file, by "part.key.key…"."""
    figures: dict[str, float] = {}
    position = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            data = json.loads(line)
        except ValueError:
            continue
        position += 1
        _flatten(str(data.get("part", f"part{position}")), data, figures)
    return figures


def _flatten(prefix: str, value: object, into: dict[str, float]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(f"{prefix}.{key}", inner, into)
    elif isinstance(value, bool):
        return
    elif isinstance(value, int | float):
        into[prefix] = float(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--all", action="store_true", help="every figure, not only those that moved by ±20 %")
    args = parser.parse_args(argv)
    before, after = results(args.before), results(args.after)
    if not before or not after:
        print("no JSON result line in " + (str(args.before) if not before else str(args.after)), file=sys.stderr)
        return 2
    width = max(len(key) for key in before.keys() | after.keys())
    moved = 0
    for key in sorted(before.keys() | after.keys()):
        old, new = before.get(key), after.get(key)
        if old is None or new is None:
            only = "after" if old is None else "before"
            print(f"  {key:<{width}} {_text(old):>12} {_text(new):>12}   (only in {only})")
            continue
        ratio = new / old if old else (1.0 if new == old else float("inf"))
        mark = "!" if abs(ratio - 1) > MARGIN else " "
        moved += mark == "!"
        if args.all or mark == "!":
            print(f"{mark} {key:<{width}} {_text(old):>12} {_text(new):>12}   × {ratio:.2f}")
    print(f"{len(before.keys() & after.keys())} figures in both runs, {moved} moved by more than {MARGIN:.0%}")
    return 0


def _text(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


if __name__ == "__main__":
    sys.exit(main())
