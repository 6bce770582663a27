"""Imports on the real stack (PostgreSQL, Redis, a real Celery worker): a file checked and written by a worker; a
worker killed with SIGKILL in the middle of a write leaves nothing written and the run marked failed, and
confirming it again completes it; two writes of the same kind never interleave (the second waits).

Runs when CELERY_BROKER_URL and a PostgreSQL DATABASE_URL are set (CI sets both and REQUIRE_CELERY_WORKER=1).
"""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
from django.db import connection, connections, transaction

from accounts.models import Customer
from crm.celery import app
from imports.models import ImportRun
from imports.services import KIND_LOCKS, import_run_write, import_runs_recover
from tests.factories import CustomerFactory
from tests.test_celery_worker import _real_stack_or_skip, celery_worker

from .conftest import csv_bytes

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def _eager_celery():
    """Not here: these tests hand their runs to a real worker (overrides the package's eager fixture)."""


def wait_for(condition, seconds: float = 60, what: str = "") -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def rows(count: int, start: int = 1) -> bytes:
    return csv_bytes(
        [["code", "name", "region", "handset_count"]]
        + [[f"W{n:06d}", f"客户{n}", "510104", n % 700] for n in range(start, start + count)]
    )


def test_a_worker_checks_and_writes_an_uploaded_file(cast, run_file):
    _real_stack_or_skip()
    run = run_file(cast["paul"], "customers", rows(300), then="")  # recorded and checked, as the web request leaves it
    with celery_worker("imports-worker@%h"):
        app.send_task("imports.tasks.import_write", args=[run.pk])
        wait_for(lambda: ImportRun.objects.get(pk=run.pk).status in ("done", "failed"), what="the write")
    run.refresh_from_db()
    assert (run.status, run.created) == ("done", 300), run.message
    assert Customer.objects.filter(code__startswith="W", tier__isnull=False).count() == 300


def test_a_worker_killed_mid_write_leaves_nothing_and_the_run_can_be_confirmed_again(cast, territory, run_file):
    _real_stack_or_skip()
    CustomerFactory(code="W000150", name="旧", region=territory["jinjiang"])
    run = run_file(cast["paul"], "customers", rows(300), then="preview")
    assert (run.status, run.created, run.updated) == ("previewed", 299, 1)
    with celery_worker("imports-worker@%h") as process:
        with transaction.atomic():
            # Hold a new row's code half-way through the merge: the worker has updated W000150 and inserted the
            # new rows before this one, then its INSERT waits for this transaction (which rolls back).
            CustomerFactory(code="W000200", name="占位", region=territory["jinjiang"])
            app.send_task("imports.tasks.import_write", args=[run.pk])
            wait_for(_waiting_on_a_lock, what=f"the write to block mid-merge: {_activity()}")
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
            transaction.set_rollback(True)
    # The orphaned backend finishes its statement, finds its client gone and rolls back.
    wait_for(lambda: import_runs_recover() or ImportRun.objects.get(pk=run.pk).status == "failed", what="recovery")
    run.refresh_from_db()
    assert run.status == "failed"
    assert "stopped" in run.message
    assert not Customer.objects.filter(code__startswith="W").exclude(code="W000150").exists()
    assert Customer.objects.get(code="W000150").name == "旧"
    run = import_run_write(run)
    assert (run.status, run.created, run.updated) == ("done", 299, 1)
    assert Customer.objects.filter(code__startswith="W").count() == 300


def _activity() -> list:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT state, wait_event_type, wait_event, LEFT(query, 60) FROM pg_stat_activity")
        return cursor.fetchall()


def _waiting_on_a_lock() -> bool:
    with connections["default"].cursor() as cursor:
        # Within a transaction the statistics views keep the snapshot of their first reading.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        # the merge's INSERT, alone or as the data-modifying CTE that writes the audit entries beside it
        cursor.execute(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%%INSERT INTO%%'"
        )
        return cursor.fetchone()[0] > 0


def test_two_writes_of_one_kind_never_interleave(cast, run_file):
    _real_stack_or_skip()
    run = run_file(cast["paul"], "customers", rows(50), then="")
    finished = []

    def write() -> None:
        try:
            finished.append(import_run_write(ImportRun.objects.get(pk=run.pk)).status)
        finally:
            connection.close()

    with transaction.atomic():
        # Another import of customers is writing: it holds the kind's lock until it commits.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [0x1A4, KIND_LOCKS["customers"]])
        thread = threading.Thread(target=write)
        thread.start()
        time.sleep(1.5)
        assert thread.is_alive() and not finished, "the second write did not wait"
        assert ImportRun.objects.get(pk=run.pk).status == "writing"
        assert not Customer.objects.filter(code__startswith="W").exists()
    thread.join(timeout=60)
    assert finished == ["done"]
    assert Customer.objects.filter(code__startswith="W").count() == 50
