"""The dashboard on a phone (issue 18, point 4): a department head (the demo's `cd_head`, the Chengdu department)
opens `/kpis/` in headless Chromium at 390 × 844 with an empty cache, on the demo province (`seed_demo`), served
by Gunicorn with the production settings (DEBUG off: whitenoise serves the collected static files, gzip-compressed
at collectstatic). Two pages, interleaved A B B A round after round, in the same run:

- `before`: the page as it was before issue 18 — the full plotly.js bundle (4.8 MB, fetched from the npm
  registry's `plotly.js-dist-min` and checked against its pinned integrity, as `crm/vendor.py` fetches ours) and
  the dashboard script of BENCH_BASELINE (git), drawing every chart at once. It is given to the browser in place of
  today's `dashboard.js` (the library and the old script in one response), so the HTML is today's;
- `today`: the partial bundle, loaded when the first chart nears the screen, each chart drawn as it does.

Each is measured on the machine as it is (`plain`) and with Chromium's CPU slowed four times (`cpu4x`, the usual
stand-in for a mid-range phone). Per load: first contentful paint ("first render": the figures are in the first
paint, the HTML carries them), largest contentful paint, DOMContentLoaded, the load event, the first chart drawn,
and every chart drawn once the page is scrolled to its end; the script bytes as served compressed. Medians of
BENCH_BROWSER_ROUNDS rounds (default 5). Prints each figure and one JSON line.

Needs DATABASE_URL of a database that `seed_demo` filled (bench/run makes one: `BENCH_ONLY=browser bench/run`).
"""

from __future__ import annotations

import gzip
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

import django  # noqa: E402

django.setup()

from serving import free_port, start_gunicorn, stop  # noqa: E402  (bench/, the script's own directory)

from crm.vendor import PLOTLY, Vendored, fetch, is_current  # noqa: E402

BASELINE = os.environ.get("BENCH_BASELINE", "39b8c98")  # the last revision with the full bundle, drawn at once
ROUNDS = int(os.environ.get("BENCH_BROWSER_ROUNDS", "5"))
USERNAME, PASSWORD = "cd_head", "Demo@2026crm"
CHROMIUM = "/usr/bin/chromium"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "locale": "zh-CN"}
HEADERS = {"X-Forwarded-Proto": "https"}  # as the operator's proxy says it; the production settings redirect without
BEFORE_URL = "/static/bench/dashboard-before.js"
FULL_BUNDLE = Vendored(
    static_path="bench/plotly.min.js",
    tarball="https://registry.npmjs.org/plotly.js-dist-min/-/plotly.js-dist-min-4.1.1.tgz",
    integrity="sha512-4Jg6n9FKcn5WBuqHESZmueEBYOLjGlsz8ivzMCl03WCX+GAAOgIALvdONwIi54JDMq0tkxbu+vs5Yj7QSPQtgg==",
    member="package/plotly.min.js",
)

# Before anything of the page runs: note when the first chart is drawn (plotly's .main-svg, whichever script drew
# it) and when every chart is; the paints come from the Paint Timing and LCP entries.
PROBE = """
window.__bench = {firstChart: null, allCharts: null, lcp: null};
new PerformanceObserver(list => { for (const e of list.getEntries()) window.__bench.lcp = e.startTime; })
  .observe({type: 'largest-contentful-paint', buffered: true});
new MutationObserver(() => {
  const charts = document.querySelectorAll('[data-chart]');
  const drawn = [...charts].filter(chart => chart.querySelector('.main-svg')).length;
  if (drawn && window.__bench.firstChart === null) window.__bench.firstChart = performance.now();
  if (charts.length && drawn >= charts.length && window.__bench.allCharts === null)
    window.__bench.allCharts = performance.now();
}).observe(document, {childList: true, subtree: true});
"""
TWO_FRAMES = "new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(resolve)))"
SCROLL = """async () => {
  for (const chart of document.querySelectorAll('[data-chart]')) {
    chart.scrollIntoView({block: 'center', behavior: 'instant'});  // not Bootstrap's smooth scrolling
    await TWO_FRAMES;
  }
}""".replace("TWO_FRAMES", TWO_FRAMES)
FIGURES = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const fcp = performance.getEntriesByType('paint').find(e => e.name === 'first-contentful-paint');
  const scripts = performance.getEntriesByType('resource').filter(e => e.initiatorType === 'script');
  return {
    fcp_ms: fcp ? fcp.startTime : null,
    html_first_byte_ms: nav.responseStart, html_last_byte_ms: nav.responseEnd,
    dom_content_loaded_ms: nav.domContentLoadedEventEnd, load_ms: nav.loadEventEnd,
    first_chart_ms: window.__bench.firstChart, all_charts_ms: window.__bench.allCharts,
    charts: document.querySelectorAll('[data-chart]').length,
    script_bytes_encoded: scripts.reduce((n, e) => n + e.encodedBodySize, 0),
    scripts: scripts.map(e => [new URL(e.name).pathname, e.encodedBodySize]),
  };
}"""


def collectstatic() -> Path:
    env = {**os.environ, "DEBUG": "false", "SECRET_KEY": "bench-only", "ALLOWED_HOSTS": "127.0.0.1"}
    command = [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"]
    subprocess.run(command, cwd=ROOT, env=env, check=True)
    return ROOT / "staticfiles"


def before_script(static_root: Path) -> Path:
    """The full bundle, then the dashboard script of BASELINE: what the page loaded before, in one file, written
    among the collected static files with its gzip as whitenoise would have served it."""
    if not is_current(FULL_BUNDLE):
        fetch(FULL_BUNDLE)
    old = subprocess.run(
        ["git", "show", f"{BASELINE}:static/js/dashboard.js"], cwd=ROOT, check=True, capture_output=True
    ).stdout
    body = FULL_BUNDLE.target.read_bytes() + b"\n;\n" + old
    target = static_root / "bench" / "dashboard-before.js"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(body)
    target.with_name(target.name + ".gz").write_bytes(gzip.compress(body, compresslevel=9))
    return target


def log_in(browser, base: str) -> dict:
    context = browser.new_context(**PHONE, extra_http_headers=HEADERS)
    page = context.new_page()
    page.goto(f"{base}/login/")
    page.fill("#id_username", USERNAME)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    state = context.storage_state()
    context.close()
    if not any(cookie["name"] == "sessionid" for cookie in state["cookies"]):
        raise SystemExit(f"{USERNAME} could not log in (has seed_demo filled this database?)")
    return state


def load_once(browser, base: str, state: dict, variant: str, cpu: int) -> dict:
    context = browser.new_context(**PHONE, extra_http_headers=HEADERS, storage_state=state)  # an empty cache
    page = context.new_page()
    page.add_init_script(PROBE)
    if cpu > 1:
        context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": cpu})
    if variant == "before":
        # the browser asks for today's dashboard.js and gets the old script and library, from the same server
        page.route("**/static/js/dashboard.*js", lambda route: route.continue_(url=f"{base}{BEFORE_URL}"))
    page.goto(f"{base}/kpis/", wait_until="load")
    # the largest paint of the first screen, before the scrolling below paints charts larger than it
    lcp = page.evaluate(
        f"async () => {{ for (let i = 0; i < 30 && window.__bench.lcp === null; i++) await {TWO_FRAMES};"
        " return window.__bench.lcp; }"
    )
    # the head reads her figures, then scrolls through the page, chart after chart: every one drawn by the end
    page.evaluate(SCROLL)
    page.wait_for_function("() => window.__bench.allCharts !== null", timeout=120_000)
    figures = page.evaluate(FIGURES) | {"lcp_ms": lcp}
    if figures["charts"] < 13:
        raise SystemExit(f"/kpis/ shows {figures['charts']} charts, not the dashboard's 13 or more")
    context.close()
    return figures


def _median(values: list) -> int | None:
    known = [value for value in values if value is not None]  # a paint the browser did not report
    return round(statistics.median(known)) if known else None


def main() -> None:
    from playwright.sync_api import sync_playwright

    if not PLOTLY.target.is_file():
        fetch(PLOTLY)
    static_root = collectstatic()
    before = before_script(static_root)  # before the server starts: whitenoise lists its files at start-up
    transfer = {
        "before": before.with_name(before.name + ".gz").stat().st_size,
        "today_library": (static_root / PLOTLY.static_path).with_suffix(".js.gz").stat().st_size,
    }
    port = free_port()
    # The browser speaks plain HTTP to loopback while the proxy header says https: its Origin is the http one.
    os.environ["CSRF_TRUSTED_ORIGINS"] = f"http://127.0.0.1:{port}"
    server = start_gunicorn(port)
    base = f"http://127.0.0.1:{port}"
    samples: dict[tuple[str, str], list[dict]] = {}
    started = time.monotonic()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
            )
            state = log_in(browser, base)
            for profile, cpu in (("plain", 1), ("cpu4x", 4)):
                load_once(browser, base, state, "today", cpu)  # warm-up: the server's caches
                for round_ in range(ROUNDS):  # A B, B A, A B, …
                    for variant in ("before", "today") if round_ % 2 == 0 else ("today", "before"):
                        samples.setdefault((profile, variant), []).append(load_once(browser, base, state, variant, cpu))
            browser.close()
    finally:
        stop(server)
        for leftover in (before, before.with_name(before.name + ".gz")):  # not a static file of the product
            leftover.unlink(missing_ok=True)

    keys = ("html_first_byte_ms", "fcp_ms", "lcp_ms", "dom_content_loaded_ms", "load_ms")
    keys += ("first_chart_ms", "all_charts_ms")
    result: dict[str, object] = {
        "bench": "browser_dashboard",
        "baseline": BASELINE,
        "rounds": ROUNDS,
        "viewport": "390x844",
        "user": USERNAME,
        "script_gzip_bytes_before": transfer["before"],
        "library_gzip_bytes_today": transfer["today_library"],
        "seconds": round(time.monotonic() - started, 1),
    }
    for (profile, variant), runs in sorted(samples.items()):
        medians = {key: _median([run[key] for run in runs]) for key in keys}
        medians["fcp_each_ms"] = [round(run["fcp_ms"]) for run in runs]
        medians["script_bytes_encoded"] = runs[0]["script_bytes_encoded"]
        medians["loads"] = len(runs)
        result[f"{profile}_{variant}"] = medians
        print(f"{profile:<6} {variant:<7} " + "  ".join(f"{key}={value}" for key, value in medians.items()))
    print(f"today's scripts as served: {samples[('plain', 'today')][0]['scripts']}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
