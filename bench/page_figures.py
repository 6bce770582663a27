"""The page budget of issue 19 and the figures a page's samples give, shared by `bench/pages.py` and
`bench/pages_pair.py` (no Django here: the pair's driver reads no database)."""

from __future__ import annotations

import statistics

BUDGET_P95_MS = 150
BUDGET_QUERIES = 15


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50 and p95 of a page's samples, in milliseconds."""
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95 + 0.5) - 1)], 1),
    }
