"""bench/compare.py: two runs' JSON lines side by side (issue 19)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _compare():
    spec = importlib.util.spec_from_file_location("bench_compare", ROOT / "bench" / "compare.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(tmp_path: Path, name: str, *parts: dict) -> Path:
    path = tmp_path / name
    lines = ["seed_demo: 12.0 s", *(json.dumps(part, ensure_ascii=False) for part in parts), "done"]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def test_figures_that_moved_are_marked_with_their_ratio(tmp_path, capsys):
    before = _run(
        tmp_path,
        "a.log",
        {"customers": 1000, "list": {"p95_ms": 100.0}},
        {"part": "pages", "pages": {"head /kpis/": {"p95_ms": 120.0, "queries": 12, "status": 200}}},
    )
    after = _run(
        tmp_path,
        "b.log",
        {"customers": 1000, "list": {"p95_ms": 105.0}},
        {"part": "pages", "pages": {"head /kpis/": {"p95_ms": 240.0, "queries": 12, "status": 200}, "hq /": {}}},
    )
    assert _compare().main([str(before), str(after)]) == 0
    out = capsys.readouterr().out
    assert "! pages.pages.head /kpis/.p95_ms" in out and "× 2.00" in out
    assert "part1.list.p95_ms" not in out  # 5 % is noise: shown with --all only
    assert "5 figures in both runs, 1 moved by more than 20%" in out

    assert _compare().main(["--all", str(before), str(after)]) == 0
    assert "part1.list.p95_ms" in capsys.readouterr().out


def test_a_file_without_a_result_is_refused(tmp_path, capsys):
    empty = tmp_path / "empty.log"
    empty.write_text("nothing here\n", encoding="utf-8")
    assert _compare().main([str(empty), str(empty)]) == 2
    assert "no JSON result line" in capsys.readouterr().err
