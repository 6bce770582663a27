"""The dashboard's figures say when they were computed, and that they predate a later tier recompute or import
(issue 19: a figure from a nightly aggregate says as of when), with a way to compute them again for those who may;
one way to write numbers (issue 18); and a bounded number of queries for every role (issue 19: ≤ 15)."""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from crm.models import JobStatus
from crm.periods import Period
from imports.models import ImportRun, ImportStatus
from kpis import selectors
from kpis.models import KpiJobRun
from kpis.services import kpi_compute
from tiering.models import TierJobRun

pytestmark = pytest.mark.django_db
URL = "/kpis/"


@pytest.fixture
def computed(province):
    return kpi_compute(period=Period.of(timezone.localdate()))


def _english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _chinese(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    return client


def _tier_run(scope, finished_at, status=JobStatus.SUCCEEDED) -> TierJobRun:
    run = TierJobRun.objects.create(scope=scope, status=status, source="manual")
    TierJobRun.objects.filter(pk=run.pk).update(finished_at=finished_at)
    return run


def _later(run: KpiJobRun, minutes: int = 5) -> datetime.datetime:
    return run.finished_at + datetime.timedelta(minutes=minutes)


def _notice(page: str) -> str:
    start = page.find('data-testid="figures-predate"')
    return "" if start < 0 else page[start : start + 2500]


# -- as of when ---------------------------------------------------------------------------------------------------


def test_the_figures_say_when_they_were_computed_in_the_users_time_and_language(computed, cast, login):
    page = _chinese(login(cast["dora"])).get(URL).content.decode()
    at = timezone.localtime(computed.finished_at)  # Asia/Shanghai, whatever the server's clock zone
    assert f"计算于 {at.year}年{at.month}月{at.day}日 {at:%H:%M}" in page
    assert 'data-testid="figures-predate"' not in page  # nothing changed since


# -- a later tier recompute or import -----------------------------------------------------------------------------


def test_a_tier_recompute_after_the_figures_is_said_and_the_head_is_told_they_come_again_tonight(
    computed, cast, login, territory
):
    _tier_run(territory["sichuan"], _later(computed))
    page = _english(login(cast["dora"])).get(URL).content.decode()
    notice = _notice(page)
    assert "a tier recompute finished on" in notice and "the figures predate it" in notice
    assert "computed again tonight" in notice
    assert 'data-testid="kpi-recompute"' not in page  # a head does not start the computation


def test_provincial_staff_are_offered_to_compute_again_now(computed, cast, login, territory):
    _tier_run(territory["chengdu"], _later(computed))
    page = _english(login(cast["paul"])).get(URL).content.decode()
    assert "a tier recompute finished on" in _notice(page)
    form = page[page.index('data-testid="kpi-recompute"') :]
    assert 'action="/kpis/recompute/"' in page and f'name="period" value="{Period(computed.period)}"' in form


def test_runs_before_the_figures_failed_or_elsewhere_are_not_said(computed, cast, login, territory):
    _tier_run(territory["sichuan"], computed.finished_at - datetime.timedelta(minutes=1))  # before
    _tier_run(territory["chengdu"], _later(computed), status=JobStatus.FAILED)  # changed nothing
    _tier_run(territory["mianyang"], _later(computed))  # not 成都's customers
    page = _english(login(cast["dora"])).get(URL).content.decode()
    assert 'data-testid="figures-predate"' not in page


def test_an_import_written_after_the_figures_is_said(computed, cast, login, territory):
    def run(**fields):
        return ImportRun.objects.create(
            kind="customers", territory=territory["sichuan"], file_name="boss.csv", file_path="x", **fields
        )

    run(status=ImportStatus.PREVIEWED, dry_run=True, finished_at=_later(computed))  # a check only: wrote nothing
    page = _english(login(cast["dora"])).get(URL).content.decode()
    assert 'data-testid="figures-predate"' not in page
    run(status=ImportStatus.DONE, finished_at=_later(computed, 10))
    page = _english(login(cast["dora"])).get(URL).content.decode()
    assert "an import finished on" in _notice(page)


def test_an_earlier_month_says_nothing_of_later_runs(province, cast, login, territory):
    october = kpi_compute(period=Period(datetime.date(2026, 10, 1)))
    computed = kpi_compute(period=Period.of(timezone.localdate()))
    _tier_run(territory["sichuan"], _later(computed))
    page = _english(login(cast["dora"])).get(URL, {"period": "2026-10"}).content.decode()
    assert october.finished_at is not None
    assert 'data-testid="figures-predate"' not in page  # history: it does not link to today's lists


# -- compute again now --------------------------------------------------------------------------------------------


def test_provincial_staff_compute_the_latest_month_again(computed, cast, login, monkeypatch):
    from crm.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)  # run here, answered when done, whatever the broker
    period = Period(computed.period)
    response = login(cast["paul"]).post("/kpis/recompute/", {"period": str(period), "confirm": "1"})
    assert response.status_code == 302 and response.url == "/jobs/"
    latest = KpiJobRun.objects.order_by("-pk").first()
    assert latest.pk != computed.pk and latest.status == JobStatus.SUCCEEDED
    assert latest.triggered_by == cast["paul"] and latest.period == computed.period


def test_a_recompute_for_a_month_no_longer_the_latest_is_refused(computed, cast, login):
    response = _english(login(cast["paul"])).post("/kpis/recompute/", {"period": "2020-01"}, follow=True)
    assert "Not started" in response.content.decode()
    assert KpiJobRun.objects.count() == 1


@pytest.mark.parametrize("who", ["dora", "alice"])
def test_heads_and_managers_do_not_compute_the_kpis(computed, cast, login, who):
    response = login(cast[who]).post("/kpis/recompute/", {"period": str(Period(computed.period))})
    assert response.status_code == 403
    assert KpiJobRun.objects.count() == 1


def test_recompute_is_post_only_and_for_the_logged_in(computed, client, cast, login):
    assert login(cast["paul"]).get("/kpis/recompute/").status_code == 405
    response = client.post("/kpis/recompute/", {"period": str(Period(computed.period))})
    assert response.status_code == 302 and "/login" in response.url
    assert KpiJobRun.objects.count() == 1


# -- numbers written one way ----------------------------------------------------------------------------------------


def _chart_data(page: str) -> dict:
    found = re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', page, re.S)
    assert found
    return json.loads(found.group(1))


def test_the_tier_mix_chart_labels_its_shares_as_the_cards_do(computed, cast, login):
    page = login(cast["dora"]).get(URL).content.decode()
    tiers = _chart_data(page)["tiers"]
    assert [tier["share_display"] for tier in tiers] == ["20.0%", "20.0%", "60.0%"]  # c1 A; c2 B; c3, c4, c7 C
    script = Path(settings.BASE_DIR, "static/js/dashboard.js").read_text()
    # the donut writes the shares the page gives (one decimal), not plotly's own percentages (4.85%)
    assert '"label+percent"' not in script and "share_display" in script
    # no SI suffixes (1M, 2k) on the axes of a Chinese page: whole numbers with thousands separators
    assert '"~s"' not in script and 'exponentformat: "none"' in script and "separatethousands: true" in script


def test_money_has_its_unit_and_the_coverage_gaps_read_as_chinese(computed, cast, login):
    page = _chinese(login(cast["paul"])).get(URL).content.decode()
    card = page[page.index('data-testid="kpi-informatization_revenue"') :]
    assert re.search(r'data-testid="kpi-value">[\d,]+\.\d\d <small[^>]*data-testid="kpi-unit">元/月</small>', card)
    gaps = page[page.index('data-testid="worst-gaps"') : page.index("</ol>", page.index('data-testid="worst-gaps"'))]
    assert re.search(r"</a>：[\d,]+ <span class=\"text-muted\">（覆盖率 \d+\.\d%）</span>", gaps)
    assert "(" not in gaps and ": " not in gaps


# -- the load chart counts the managers its card counts -----------------------------------------------------------


def test_the_load_chart_draws_every_manager_the_summary_counts(computed, cast, login):
    response = _english(login(cast["dora"])).get(URL)
    load = response.context["load"]
    drawn = _chart_data(response.content.decode())["load"]["names"]
    assert load.managers == 2 and len(drawn) == load.managers  # alice and bob
    assert 'data-testid="load-left-out"' not in response.content.decode()


def test_a_load_chart_cut_to_the_busiest_says_how_many_it_leaves_out(computed, cast, login, monkeypatch):
    monkeypatch.setattr(selectors, "LOAD_DRAWN", 1)
    page = _english(login(cast["dora"])).get(URL).content.decode()
    assert _chart_data(page)["load"]["customers"] == [51]  # bob, the busiest; alice left out
    summary = page[page.index('data-testid="load-left-out"') :]
    assert "The chart draws the 1 busiest; 1 other manager, less loaded, is left out." in summary


# -- queries ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["dora", "paul", "hq", "alice"])
def test_the_dashboard_reads_at_most_15_queries_for_every_role(
    computed, cast, login, territory, who, django_assert_max_num_queries
):
    _tier_run(territory["sichuan"], _later(computed))  # the notice shown, the way to recompute offered
    client = login(cast[who])
    client.get(URL)  # the session settled
    with django_assert_max_num_queries(15):
        assert client.get(URL).status_code == 200
