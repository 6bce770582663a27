"""Crash-safe, single-flight jobs (issue 16, point 4): one recompute (and one KPI computation of a month) at a
time; a chunk delivered twice is done and counted once; a run whose workers died is failed by the sweeper with the
reason; a broker that is down is a clear 503 at once, leaving no run "running"."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from accounts.models import Customer
from crm.celery import app
from crm.models import JobChunk
from crm.periods import Period
from crm.services import JobBusy
from kpis.models import KpiJobRun
from kpis.services import kpi_compute
from kpis.tasks import kpi_runs_sweep
from tiering.models import TierJobRun
from tiering.services import Chunk, plan_chunks, tier_chunk_apply, tier_recompute
from tiering.tasks import tier_runs_sweep

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager(monkeypatch):
    monkeypatch.setitem(app.conf, "task_always_eager", True)


def _running(scope: str, minutes_ago: int = 1) -> TierJobRun:
    run = TierJobRun.objects.create(scope_id=scope, chunks_total=3)
    TierJobRun.objects.filter(pk=run.pk).update(started_at=timezone.now() - datetime.timedelta(minutes=minutes_ago))
    return run


def test_a_second_recompute_over_the_same_territory_is_refused_while_one_runs(api, cast, customers, eager):
    _running("510000")
    refused = api(cast["paul"]).post("/api/v1/tiering/recompute/")
    assert refused.status_code == 409
    assert "四川" in refused.json()["detail"]
    assert api(cast["hq"]).post("/api/v1/tiering/recompute/").status_code == 409  # the nation holds Sichuan
    assert api(cast["gd_paul"]).post("/api/v1/tiering/recompute/").status_code == 200  # Guangdong is free
    assert TierJobRun.objects.count() == 2


def test_the_recompute_button_says_why_it_did_not_start(login, cast, customers, eager):
    _running("000000")
    client = login(cast["paul"])
    preview = client.get("/tiering/recompute/")  # the preview says so already
    assert 'data-testid="recompute-running"' in preview.content.decode() and "集团总部" in preview.content.decode()
    response = client.post("/tiering/recompute/", {"confirm": "1", "scope": "510000"}, follow=True)
    assert response.status_code == 200
    assert any("集团总部" in str(message) for message in response.context["messages"])
    assert TierJobRun.objects.count() == 1


def test_a_kpi_computation_of_a_month_waits_for_the_one_running(customers):
    month = Period.of(timezone.localdate())
    KpiJobRun.objects.create(period=month.start, as_of=timezone.localdate(), chunks_total=1)
    with pytest.raises(JobBusy):
        kpi_compute(period=month)


def test_a_chunk_delivered_twice_is_done_and_counted_once(customers, territory):
    run = TierJobRun.objects.create(scope=territory["root"], chunks_total=1)
    (chunk,) = plan_chunks(territory["root"])
    assert tier_chunk_apply(run_id=run.pk, chunk=chunk) > 0
    assert tier_chunk_apply(run_id=run.pk, chunk=Chunk(**vars(chunk))) == 0  # the same chunk again
    run.refresh_from_db()
    assert (run.chunks_done, run.customers_seen) == (1, Customer.objects.count())
    assert JobChunk.objects.filter(run_id=run.pk).count() == 1


def test_the_sweeper_fails_a_run_whose_workers_fell_silent_and_leaves_a_live_one(customers, settings):
    settings.JOB_SILENCE_MINUTES = 90
    dead = _running("510000", minutes_ago=120)
    alive = _running("440000", minutes_ago=120)
    JobChunk.objects.create(run_type="tiering.tierjobrun", run_id=alive.pk, first_id=1)  # a chunk ended just now
    young = _running("000000", minutes_ago=5)
    assert tier_runs_sweep() == 1
    dead.refresh_from_db()
    assert dead.status == "failed" and dead.finished_at is not None
    assert "90" in dead.errors[-1]["error"] and "0" in dead.errors[-1]["error"]
    assert TierJobRun.objects.get(pk=alive.pk).status == "running"
    assert TierJobRun.objects.get(pk=young.pk).status == "running"
    assert kpi_runs_sweep() == 0


def test_with_the_broker_down_the_recompute_is_refused_at_once_and_leaves_no_run(api, cast, customers, monkeypatch):
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    # Nothing listens on port 9. (Celery reads CELERY_BROKER_URL from the environment before its settings.)
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:9/0")
    monkeypatch.setitem(app.conf, "broker_url", "redis://127.0.0.1:9/0")
    refused = api(cast["paul"]).post("/api/v1/tiering/recompute/")
    assert refused.status_code == 503
    assert "Redis" in refused.json()["detail"]
    assert not TierJobRun.objects.filter(status="running").exists()


def test_in_process_recompute_still_serves_commands(customers, territory):
    run = tier_recompute(scope=territory["root"])
    assert run.status == "succeeded" and run.chunks_done == run.chunks_total
