"""The one jobs page (issue 18, point 9): tier recomputes, KPI computations and imports on one page, newest first,
filterable, with who, scope, times, duration, counts and errors, and the progress of the running ones polled from a
small JSON endpoint; provincial staff see their territory's runs, headquarters all, the others are refused."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from crm import jobboard
from imports.models import ImportRun
from imports.services import progress_set
from kpis.models import KpiJobRun
from tiering.models import TierJobRun

pytestmark = pytest.mark.django_db

PAGE, PROGRESS = "/jobs/", "/jobs/progress/"
NOON = timezone.make_aware(datetime.datetime(2026, 11, 30, 12, 0))


def _at(run, started: datetime.datetime, finished: datetime.datetime | None = None):
    """Set a run's times (started_at is auto_now_add on the chunked runs)."""
    type(run).objects.filter(pk=run.pk).update(started_at=started, finished_at=finished)
    run.refresh_from_db()
    return run


def _import(cast, regions, **fields) -> ImportRun:
    values = {
        "kind": "customers",
        "created_by": cast["paul"],
        "territory": regions["sichuan"],
        "file_name": "客户.csv",
        "file_path": "/nonexistent/imports/客户.csv",
    }
    values.update(fields)
    return ImportRun.objects.create(**values)


@pytest.fixture
def runs(cast, territory):
    sichuan_tiers = _at(
        TierJobRun.objects.create(
            scope=territory["sichuan"],
            triggered_by=cast["paul"],
            status="succeeded",
            customers_seen=1200,
            customers_changed=17,
            chunks_total=3,
            chunks_done=3,
        ),
        NOON - datetime.timedelta(hours=3),
        NOON - datetime.timedelta(hours=3) + datetime.timedelta(minutes=2, seconds=30),
    )
    kpis = _at(
        KpiJobRun.objects.create(
            period=datetime.date(2026, 11, 1),
            as_of=datetime.date(2026, 11, 29),
            source="nightly",
            status="failed",
            customers_seen=900,
            snapshots_written=850,
            errors=[{"first_id": 1, "last_id": 500, "error": "OperationalError('deadlock')"}],
        ),
        NOON - datetime.timedelta(hours=2),
        NOON - datetime.timedelta(hours=2) + datetime.timedelta(seconds=42),
    )
    sichuan_import = _import(
        cast,
        territory,
        status="done",
        rows=300,
        created=120,
        updated=80,
        check_seconds=3.5,
        write_seconds=1.0,
        started_at=NOON - datetime.timedelta(hours=1),
        finished_at=NOON - datetime.timedelta(hours=1) + datetime.timedelta(minutes=10),
    )
    ImportRun.objects.filter(pk=sichuan_import.pk).update(created_at=NOON - datetime.timedelta(hours=1))
    guangdong_tiers = _at(
        TierJobRun.objects.create(scope=territory["guangdong"], status="succeeded", source="nightly"),
        NOON - datetime.timedelta(minutes=30),
        NOON - datetime.timedelta(minutes=29),
    )
    guangdong_import = _import(cast, territory, created_by=cast["gd_paul"], territory=territory["guangdong"])
    return {
        "sichuan_tiers": sichuan_tiers,
        "kpis": kpis,
        "sichuan_import": sichuan_import,
        "guangdong_tiers": guangdong_tiers,
        "guangdong_import": guangdong_import,
    }


def _keys(response) -> list[str]:
    return [row.key for row in response.context["page"].object_list]


def test_the_page_lists_the_three_kinds_newest_first_with_durations_and_counts(login, cast, runs):
    response = login(cast["paul"]).get(PAGE)
    assert response.status_code == 200
    assert _keys(response) == [
        f"imports-{runs['sichuan_import'].pk}",
        f"kpis-{runs['kpis'].pk}",
        f"tiers-{runs['sichuan_tiers'].pk}",
    ]
    html = response.content.decode()
    assert "<title>任务" in html
    rows = {row.key: row for row in response.context["page"].object_list}
    tiers = rows[f"tiers-{runs['sichuan_tiers'].pk}"]
    assert tiers.duration_text == "2 分 30 秒"
    assert tiers.started_by == cast["paul"].display_name
    assert "四川省" in tiers.scope
    assert ("处理客户数", 1200) in tiers.counts and ("变更", 17) in tiers.counts
    kpis = rows[f"kpis-{runs['kpis'].pk}"]
    assert kpis.duration_text == "42.0 秒"
    assert kpis.status == jobboard.FAILED and "deadlock" in kpis.errors[0]
    assert kpis.scope.startswith("2026-11")
    imported = rows[f"imports-{runs['sichuan_import'].pk}"]
    # an import's duration is its work (check + write), not its wait for a confirmation
    assert imported.duration_text == "4.5 秒"
    assert imported.url == f"/imports/{runs['sichuan_import'].pk}/"
    for text in ("2 分 30 秒", "42.0 秒", "4.5 秒", "deadlock", "客户.csv"):
        assert text in html
    # nothing runs: the page does not poll
    assert "data-jobs-poll" not in html


def test_headquarters_see_every_province(login, cast, runs):
    keys = _keys(login(cast["hq"]).get(PAGE))
    assert f"tiers-{runs['guangdong_tiers'].pk}" in keys and f"imports-{runs['guangdong_import'].pk}" in keys
    assert len(keys) == 5


def test_staff_of_another_province_do_not_see_the_runs(login, cast, runs):
    client = login(cast["gd_paul"])
    keys = _keys(client.get(PAGE))
    assert f"tiers-{runs['sichuan_tiers'].pk}" not in keys
    assert f"imports-{runs['sichuan_import'].pk}" not in keys
    assert f"tiers-{runs['guangdong_tiers'].pk}" in keys
    # the KPI computations are nation-wide
    assert f"kpis-{runs['kpis'].pk}" in keys
    # asked by its key, a run one does not see is simply not there
    answer = client.get(PROGRESS, {"runs": f"tiers-{runs['sichuan_tiers'].pk},imports-{runs['sichuan_import'].pk}"})
    assert answer.status_code == 200 and answer.json()["runs"] == {}


@pytest.mark.parametrize("path", [PAGE, PROGRESS])
def test_anonymous_is_sent_to_login(runs, path):
    response = Client().get(path)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize("who", ["alice", "dora"])
@pytest.mark.parametrize("path", [PAGE, PROGRESS])
def test_account_managers_and_heads_are_refused(login, cast, runs, who, path):
    assert login(cast[who]).get(path).status_code == 403


def test_the_navigation_links_the_page_for_staff_only(login, cast, runs):
    assert 'data-testid="nav-jobs"' in login(cast["paul"]).get("/customers/").content.decode()
    assert 'data-testid="nav-jobs"' not in login(cast["alice"]).get("/customers/").content.decode()


def test_the_existing_places_link_the_page(login, cast, runs):
    client = login(cast["paul"])
    assert 'href="/jobs/?kind=kpis"' in client.get("/kpis/targets/").content.decode()
    assert 'href="/jobs/"' in client.get("/imports/").content.decode()


def test_a_running_recompute_reports_its_chunks(login, cast, territory, runs):
    running = TierJobRun.objects.create(
        scope=territory["chengdu"], triggered_by=cast["paul"], chunks_total=8, chunks_done=3, customers_seen=300
    )
    client = login(cast["paul"])
    html = client.get(PAGE).content.decode()
    assert "data-jobs-poll" in html and "jobs-progress.js" in html
    assert f'data-job="tiers-{running.pk}" data-running' in html
    assert "width: 38%" in html
    answer = client.get(PROGRESS, {"runs": f"tiers-{running.pk}"}).json()
    assert answer["running"] is True
    run = answer["runs"][f"tiers-{running.pk}"]
    assert run["progress"] == {"done": 3, "total": 8, "percent": 38, "text": "8 块中已完成 3 块"}
    assert run["status"] == "running" and run["running"] is True
    assert ["处理客户数", 300] in run["counts"]
    # finished, it answers as finished, without progress, and nothing runs any more
    TierJobRun.objects.filter(pk=running.pk).update(status="succeeded", chunks_done=8, finished_at=timezone.now())
    answer = client.get(PROGRESS, {"runs": f"tiers-{running.pk}"}).json()
    assert answer["running"] is False
    assert answer["runs"][f"tiers-{running.pk}"]["progress"] is None
    assert answer["runs"][f"tiers-{running.pk}"]["status_label"] == "成功"


def test_a_running_import_reports_its_rows(login, cast, territory, runs):
    running = _import(cast, territory, status="writing", started_at=timezone.now())
    progress_set(running, "writing", 2500, 10000)
    answer = login(cast["paul"]).get(PROGRESS, {"runs": f"imports-{running.pk}"}).json()
    progress = answer["runs"][f"imports-{running.pk}"]["progress"]
    assert progress["done"] == 2500 and progress["total"] == 10000 and progress["percent"] == 25
    assert "2,500" in progress["text"] and "10,000" in progress["text"]


def test_the_poll_names_the_other_runs_running(login, cast, territory, runs):
    other = KpiJobRun.objects.create(period=datetime.date(2026, 12, 1), as_of=datetime.date(2026, 12, 2))
    answer = login(cast["paul"]).get(PROGRESS).json()
    assert answer == {"running": True, "runs": {}, "others": [f"kpis-{other.pk}"]}


def test_a_bad_runs_parameter_is_refused_naming_it(login, cast, runs):
    response = login(cast["paul"]).get(PROGRESS, {"runs": "tiers-1,<script>"})
    assert response.status_code == 400
    assert "runs" in response.json()["errors"]


def test_filter_by_kind_and_status(login, cast, territory, runs):
    client = login(cast["paul"])
    assert _keys(client.get(PAGE, {"kind": "kpis"})) == [f"kpis-{runs['kpis'].pk}"]
    assert _keys(client.get(PAGE, {"status": "succeeded"})) == [
        f"imports-{runs['sichuan_import'].pk}",
        f"tiers-{runs['sichuan_tiers'].pk}",
    ]
    assert _keys(client.get(PAGE, {"kind": "tiers", "status": "failed"})) == []
    # an import waiting for its confirmation is neither running nor over
    waiting = _import(cast, territory, status="previewed")
    assert _keys(client.get(PAGE, {"status": "waiting"})) == [f"imports-{waiting.pk}"]


def test_a_bad_filter_is_shown_on_its_field(login, cast, runs):
    response = login(cast["paul"]).get(PAGE, {"kind": "everything"})
    assert response.status_code == 200
    assert response.context["form"].errors["kind"]
    assert _keys(response) == []


def test_pages_merge_the_kinds_in_time_order(login, cast, territory):
    started = []
    for number in range(40):
        at = NOON - datetime.timedelta(minutes=number)
        if number % 3 == 0:
            run = _at(TierJobRun.objects.create(scope=territory["sichuan"], status="succeeded"), at, at)
            started.append((at, f"tiers-{run.pk}"))
        elif number % 3 == 1:
            run = _at(KpiJobRun.objects.create(period=at.date(), as_of=at.date(), status="succeeded"), at, at)
            started.append((at, f"kpis-{run.pk}"))
        else:
            run = _import(cast, territory, status="done")
            ImportRun.objects.filter(pk=run.pk).update(created_at=at)
            started.append((at, f"imports-{run.pk}"))
    expected = [key for _at_, key in sorted(started, reverse=True)]
    client = login(cast["paul"])
    first, second = client.get(PAGE), client.get(PAGE, {"page": 2})
    assert first.context["page"].paginator.count == 40
    assert _keys(first) + _keys(second) == expected


def test_the_page_reads_a_fixed_number_of_queries(login, cast, territory, runs, django_assert_num_queries):
    for _number in range(10):
        TierJobRun.objects.create(scope=territory["sichuan"], status="succeeded")
        KpiJobRun.objects.create(period=datetime.date(2026, 11, 1), as_of=datetime.date(2026, 11, 2), status="failed")
        _import(cast, territory, status="invalid", errors_count=3)
    client = login(cast["paul"])
    client.get(PAGE)
    # session, user (with their region and unread notifications), the runs of every kind counted in one statement,
    # then per kind: keys, the page's runs; and whether anything runs, per kind (five kinds: tier recomputes, KPI
    # computations, imports, campaign creations, settlement computations — which has no run here: no page's runs)
    with django_assert_num_queries(16):
        response = client.get(PAGE)
    assert response.status_code == 200
