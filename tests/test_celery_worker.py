"""One task end to end through a real Celery worker on a real broker (Redis) and PostgreSQL.

Runs when CELERY_BROKER_URL and a PostgreSQL DATABASE_URL are set (CI sets both, and REQUIRE_CELERY_WORKER=1 so
that a missing broker fails the run instead of skipping). The worker is started here, pointed at the test database.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import connection

from accounts.models import GroupMember
from accounts.rules import vip_level_for
from accounts.tasks import vip_levels_recompute_chunk
from crm.celery import app
from tests.factories import GroupMemberFactory

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


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_vip_recompute_runs_on_a_real_worker(customers):
    _real_stack_or_skip()
    members = [
        GroupMemberFactory(customer=customers["alice"], arpu=Decimal(arpu))
        for arpu in ("10", "700", "1600", "3200", "5000")
    ]
    GroupMember.objects.update(vip_level=None)
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "crm",
            "worker",
            "--pool=solo",
            "--loglevel=warning",
            "--hostname=test-worker@%h",
        ],
        cwd=ROOT,
        env=_worker_environment(),
    )
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(timeout=1.0):
            assert worker.poll() is None, "the Celery worker exited"
            assert time.monotonic() < deadline, "the Celery worker did not come up within 60 s"
        result = vip_levels_recompute_chunk.delay(members[0].id, members[-1].id)
        assert result.get(timeout=60) == 4
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    for member in GroupMember.objects.all():
        assert member.vip_level == vip_level_for(member.arpu)
