"""The nightly jobs as beat starts them, end to end through a real Celery worker on a real broker (Redis) and
PostgreSQL: the tier recompute's chunks fan out as a chord, its callback closes the run with tiers and VIP levels
set, and then the KPI snapshots of the month fan out the same way and are written.

Runs when CELERY_BROKER_URL and a PostgreSQL DATABASE_URL are set (CI sets both, and REQUIRE_CELERY_WORKER=1 so
that a missing broker fails the run instead of skipping). The worker is started here, pointed at the test database.
"""

from __future__ import annotations

import datetime
import os
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
from kpis.models import KpiJobRun, KpiSnapshot
from tests.factories import GroupMemberFactory
from tiering.models import TierJobRun
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
def celery_worker(hostname: str) -> Iterator[subprocess.Popen]:
    """A real Celery worker (one process, solo pool) on the test database, up (it answers a ping within 60 s) for
    as long as the block runs, then stopped."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "crm",
            "worker",
            "--pool=solo",
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
