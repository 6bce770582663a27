"""The nightly jobs as beat starts them, end to end through a real Celery worker on a real broker (Redis) and
PostgreSQL: the tier recompute's chunks fan out as a chord, its callback closes the run with tiers and VIP levels
set, and then the KPI snapshots of the month fan out the same way and are written.

Runs when CELERY_BROKER_URL and a PostgreSQL DATABASE_URL are set (CI sets both, and REQUIRE_CELERY_WORKER=1 so
that a missing broker fails the run instead of skipping). The worker is started here, pointed at the test database.
"""

from __future__ import annotations

import datetime
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from celery import signature
from django.conf import settings
from django.db import connection
from django.utils import timezone

from accounts.models import Customer, GroupMember
from accounts.rules import vip_level_for
from crm.celery import app
from crm.models import JobChunk
from kpis.models import KpiJobRun, KpiSnapshot
from tests.factories import CustomerFactory, GroupMemberFactory
from tiering.models import TierChange, TierJobRun
from tiering.rules import evaluate, rule_values
from tiering.selectors import published_rule_set

ROOT = Path(__file__).resolve().parents[1]


def _real_stack_or_skip() -> None:
    missing = []
    if not settings.CELERY_BROKER_URL:
        missing.append("CELERY_BROKER_URL")
    if connection.vendor != "postgresql":
        missing.append("a PostgreSQL DATABASE_URL")
    if missing:
        message = f"needs {' and '.join(missing)}"
        if os.environ.get("REQUIRE_CELERY_WORKER") == "1":
            pytest.fail(message)
        pytest.skip(message)


def _worker_environment() -> dict[str, str]:
    url = urlsplit(os.environ["DATABASE_URL"])
    test_database = connection.settings_dict["NAME"]
    env = dict(os.environ)
    env["DATABASE_URL"] = urlunsplit(url._replace(path=f"/{test_database}"))
    return env


@contextmanager
def celery_worker(hostname: str, pool: tuple[str, ...] = ("--pool=solo",)) -> Iterator[subprocess.Popen]:
    """A real Celery worker (one process, solo pool, unless `pool` says otherwise) on the test database, up (it
    answers a ping within 60 s) for as long as the block runs, then stopped."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "crm",
            "worker",
            *pool,
            "--loglevel=warning",
            f"--hostname={hostname}",
        ],
        cwd=ROOT,
        env=_worker_environment(),
    )
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(timeout=1.0):
            assert process.poll() is None, "the Celery worker exited"
            assert time.monotonic() < deadline, "the Celery worker did not come up within 60 s"
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_nightly_recompute_runs_on_a_real_worker(customers):
    _real_stack_or_skip()
    [
        GroupMemberFactory(customer=customers["alice"], arpu=Decimal(arpu))
        for arpu in ("10", "700", "1600", "3200", "5000")
    ]
    GroupMember.objects.update(vip_level=None)
    deadline = time.monotonic() + 60
    with celery_worker("test-worker@%h"):
        nightly = settings.CELERY_BEAT_SCHEDULE["tiers-then-kpis-nightly"]
        then = signature(nightly["kwargs"]["then"]).clone(kwargs={"chunk_size": 1})  # a chunk per customer
        run_id = app.send_task(nightly["task"], kwargs={"chunk_size": 1, "then": then}).get(timeout=60)
        while (run := TierJobRun.objects.get(pk=run_id)).finished_at is None:
            assert time.monotonic() < deadline + 60, "the chord did not finish within 60 s"
            time.sleep(0.2)
        while not KpiJobRun.objects.filter(finished_at__isnull=False).exists():
            assert time.monotonic() < deadline + 120, "the KPI snapshots did not follow within 60 s"
            time.sleep(0.2)
    assert (run.status, run.source, run.customers_seen) == ("succeeded", "nightly", 4)
    assert run.chunks_done == run.chunks_total >= 4
    assert (run.customers_changed, run.members_changed) == (4, 4)
    rules = published_rule_set(None).specs()
    for customer in Customer.objects.all():
        assert customer.tier == evaluate(rule_values(customer), rules).tier
    for member in GroupMember.objects.all():
        assert member.vip_level == vip_level_for(member.arpu)
    kpis = KpiJobRun.objects.get()
    assert (kpis.status, kpis.source, kpis.customers_seen) == ("succeeded", "nightly", 4)
    assert kpis.chunks_done == kpis.chunks_total >= 4
    assert kpis.as_of == timezone.localdate() - datetime.timedelta(days=1)
    # The tiers the recompute just set are the ones counted: every customer of the nation has one.
    tiered = KpiSnapshot.objects.get(region_id="000000", metric="tier_share_c")
    assert tiered.denominator == Customer.objects.filter(tier__isnull=False).count() == 4


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (a prefork worker's pool processes)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


def _wait_for_end(run_id: int, seconds: float) -> TierJobRun:
    deadline = time.monotonic() + seconds
    while (run := TierJobRun.objects.get(pk=run_id)).finished_at is None:
        assert time.monotonic() < deadline, f"the run did not end within {seconds:.0f} s"
        time.sleep(0.2)
    return run


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_the_recompute_endpoint_hands_the_run_to_the_workers_and_answers_at_once(api, cast, customers):
    _real_stack_or_skip()
    with celery_worker("api-worker@%h"):
        response = api(cast["hq"]).post("/api/v1/tiering/recompute/")
        assert response.status_code == 202, response.content
        assert response.json()["status"] == "running"
        run = _wait_for_end(response.json()["run"], 60)
    assert (run.status, run.triggered_by_id, run.customers_seen) == ("succeeded", cast["hq"].pk, 4)


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_recompute_leaves_the_run_done_and_no_customer_half_updated(customers, territory):
    """kill -9 of the pool process running the chunks: its chunk goes back on the queue (acks_late and
    reject_on_worker_lost), a new pool process runs it, and the run ends done with every chunk counted once."""
    _real_stack_or_skip()
    CustomerFactory.create_batch(300, region=territory["jinjiang"], handset_count=600)
    Customer.objects.update(tier=None, computed_tier=None)
    with celery_worker("fault-worker@%h", pool=("--pool=prefork", "--concurrency=1")) as worker:
        run_id = app.send_task(
            "tiering.tasks.tier_recompute_nightly", kwargs={"chunk_size": 1, "source": "manual"}
        ).get(timeout=60)
        deadline = time.monotonic() + 60
        while JobChunk.objects.filter(run_id=run_id).count() < 20:
            assert time.monotonic() < deadline, "the chunks did not start within 60 s"
            time.sleep(0.02)
        (pool_process,) = _children(worker.pid)
        os.kill(pool_process, signal.SIGKILL)
        run = _wait_for_end(run_id, 180)
        assert pool_process not in _children(worker.pid)  # it was killed, and replaced
    assert run.status == "succeeded", run.errors
    assert run.chunks_done == run.chunks_total == JobChunk.objects.filter(run_id=run_id).count()
    assert run.customers_seen == Customer.objects.count() == 304
    rules = published_rule_set(None).specs()
    for customer in Customer.objects.all():
        assert customer.tier == evaluate(rule_values(customer), rules).tier
        last = TierChange.objects.filter(customer=customer).order_by("-changed_at", "-id").first()
        assert last is not None and last.to_tier == customer.tier  # the history agrees with the customer
