"""Issue 18, point 4: a department head opens her dashboard on a 390 × 844 phone. The figures come first and need no
chart script; the chart library (plotly.js's partial bundle) is fetched only when a chart nears the screen, each
chart is drawn as it scrolls into view, the whole page's scripts stay under 1 MB compressed, and the names of the
wide tables stay put when the figures scroll sideways. The time to the first render is a benchmark's
(`BENCH_ONLY=browser bench/run`, docs/PERFORMANCE.md), not a timed test's."""

from __future__ import annotations

import gzip
from urllib.parse import urlsplit

import pytest
from django.contrib.staticfiles import finders
from django.utils import timezone

from crm.periods import Period
from kpis.services import kpi_compute
from tests.browser.test_content_security_policy import csp_violations
from tests.browser.test_customer_journey import log_in
from tests.kpis.conftest import province  # noqa: F401 - the hand-built province, as a fixture here

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 390, "height": 844}, "locale": "zh-CN", "is_mobile": True, "has_touch": True}
LIBRARY = "plotly-basic.min.js"
SCRIPT_BUDGET = 1_000_000  # bytes of script per page, compressed as production serves it (whitenoise's gzip)

ALL_DRAWN = "() => [...document.querySelectorAll('[data-chart]')].every(c => c.dataset.drawn === 'true')"
SCRIPTS = """() => performance.getEntriesByType('resource')
    .filter(e => e.initiatorType === 'script' || new URL(e.name).pathname.endsWith('.js')).map(e => e.name)"""


@pytest.fixture
def computed(province):  # noqa: F811
    return kpi_compute(period=Period.of(timezone.localdate()))


def _compressed_size(url: str) -> int:
    """The bytes a script takes on the wire in production: whitenoise serves the gzip it wrote at collectstatic
    (level 9); the live server of the tests sends the file uncompressed, so it is compressed here the same way."""
    path = urlsplit(url).path.removeprefix("/static/")
    source = finders.find(path)
    assert source, f"{path} is not a static file"
    with open(source, "rb") as handle:
        return len(gzip.compress(handle.read(), compresslevel=9))


def _scroll_to_the_end(page) -> None:
    """Through the page chart after chart, as a reader scrolls (a jump to the end would pass the middle ones by)."""
    for chart in page.locator("[data-chart]").all():
        chart.scroll_into_view_if_needed()
    page.wait_for_function(ALL_DRAWN)


def test_the_figures_come_first_and_the_charts_as_they_are_scrolled_to(browser, live_server, computed, screenshot):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    violations = csp_violations(page)
    log_in(page, live_server, "dora")
    page.goto(f"{live_server.url}/kpis/")
    page.wait_for_load_state("load")

    figures = page.locator("[data-testid=kpi-figures]")
    assert figures.is_visible()
    assert figures.bounding_box()["y"] < 844  # on the first screen
    below = page.locator("[data-testid=kpi-figures] ~ section, [data-testid=idle-departments]")
    assert below.count() > 0
    for box in (below.nth(i).bounding_box() for i in range(below.count())):
        assert box["y"] > figures.bounding_box()["y"]  # the figures first, the rest under them

    charts = page.locator("[data-chart]").count()
    assert charts >= 13
    drawn_at_first = page.locator("[data-chart][data-drawn=true]").count()
    assert drawn_at_first < charts  # the trends far below are not drawn before they are scrolled to

    _scroll_to_the_end(page)
    assert page.locator("[data-chart]:has(.main-svg)").count() == charts
    scripts = page.evaluate(SCRIPTS)
    assert sum(LIBRARY in url for url in scripts) == 1, scripts  # fetched once, for all the charts
    assert not any(url.endswith("/plotly.min.js") for url in scripts), "the full plotly.js bundle is gone"
    total = sum(_compressed_size(url) for url in scripts)
    assert total <= SCRIPT_BUDGET, f"{total} bytes of compressed script"
    assert violations == [], "the library is loaded from our own host under the Content-Security-Policy"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "kpi-dashboard-phone-scrolled")
    context.close()


def test_the_figures_need_no_chart_script(browser, live_server, computed):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.route(f"**/{LIBRARY}", lambda route: route.abort())  # a library that never arrives
    log_in(page, live_server, "dora")
    page.goto(f"{live_server.url}/kpis/")
    page.wait_for_load_state("load")
    assert page.locator("[data-testid=kpi-team_completeness_rate] [data-testid=kpi-value]").inner_text().endswith("%")
    first = page.locator("[data-chart]").first
    first.scroll_into_view_if_needed()
    page.wait_for_function("() => document.querySelector('[data-chart]').dataset.drawn === 'failed'")
    assert errors == []
    page.locator("summary", has_text="表格").first.click()  # the figures of the chart, in its table
    assert page.locator("details[open] table").first.is_visible()
    context.close()


def test_the_names_stay_put_when_a_wide_table_scrolls(browser, live_server, computed, screenshot):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    log_in(page, live_server, "dora")
    page.goto(f"{live_server.url}/kpis/")
    table = page.locator("[data-testid=drill-table]")
    table.scroll_into_view_if_needed()
    scroller = table.locator("xpath=..")
    assert scroller.evaluate("e => e.scrollWidth > e.clientWidth")  # wider than the phone: it scrolls sideways
    name = table.locator("tbody tr").first.locator("td").first
    figure = table.locator("tbody tr").first.locator("td").nth(3)
    name_before, figure_before = name.bounding_box()["x"], figure.bounding_box()["x"]
    scroller.evaluate("e => { e.scrollLeft = 200; }")
    page.wait_for_function("e => e.scrollLeft > 0", arg=scroller.element_handle())  # as far as the table goes
    shift = scroller.evaluate("e => e.scrollLeft")
    assert figure.bounding_box()["x"] == pytest.approx(figure_before - shift, abs=1)  # the figures moved
    assert name.bounding_box()["x"] == pytest.approx(name_before, abs=1)  # the name did not
    header = table.locator("thead th").first
    assert header.bounding_box()["x"] == pytest.approx(name_before, abs=1)
    screenshot(page, "kpi-dashboard-phone-table-scrolled")
    context.close()
