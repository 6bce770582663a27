"""Configuration from the environment: embedded default, clear errors for bad values, a clean deploy check."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "x7#kq2!v9s@m4p8z&t1w6e3r5y0u2i9o8p7a6s5d4f3g2h1j0-kl",
    "ALLOWED_HOSTS": "crm.example.cn",
    "DATABASE_URL": "postgres://crm:crm@127.0.0.1:5432/crm",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
}
CONFIG_VARIABLES = (
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "TIME_ZONE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "BENCH_TODAY",
    "BENCH_STARTED",
)


def manage(*args, **env):
    clean = {k: v for k, v in os.environ.items() if k not in CONFIG_VARIABLES}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def test_no_environment_means_sqlite_and_eager_celery():
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings as s; print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER,"
        " s.TIME_ZONE, s.LANGUAGE_CODE)",
    )
    assert result.returncode == 0, result.stderr
    assert "django.db.backends.sqlite3 True Asia/Shanghai zh-hans" in result.stdout


@pytest.mark.parametrize(
    ("worker", "expected"),
    [("", "redis://127.0.0.1:6379/0"), ("gw0", "redis://127.0.0.1:6379/1"), ("gw1", "redis://127.0.0.1:6379/2")],
)
def test_each_test_process_takes_a_redis_database_of_its_own(worker, expected):
    """Under pytest-xdist one process's queue, results and cache never reach another's worker; elsewhere (the
    worker variable unset, as in production) the broker's URL is taken as given."""
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings as s;"
        " print(s.CELERY_BROKER_URL, s.CELERY_RESULT_BACKEND, s.CACHES['default']['LOCATION'])",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
        PYTEST_XDIST_WORKER=worker,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == [expected] * 3


def test_the_embedded_sqlite_lets_pages_read_while_an_import_writes(tmp_path):
    """Write-ahead-log mode: a reader reads the last committed state while another connection holds the write
    lock (an import's long transaction), instead of failing with "database is locked"."""
    path = tmp_path / "embedded.sqlite3"
    script = (
        "import sqlite3; from django.db import connection as c; cur = c.cursor(); "
        "cur.execute('CREATE TABLE t (x integer)'); cur.execute('INSERT INTO t VALUES (1)'); "
        f"w = sqlite3.connect({str(path)!r}, timeout=0, isolation_level=None); w.execute('BEGIN EXCLUSIVE'); "
        "w.execute('INSERT INTO t VALUES (2)'); cur.execute('SELECT COUNT(*) FROM t'); "
        "print('read', cur.fetchone()[0], c.settings_dict['OPTIONS']['timeout'])"
    )
    result = manage("shell", "-c", script, DATABASE_URL=f"sqlite:///{path}")
    assert result.returncode == 0, result.stderr
    assert "read 1 20" in result.stdout


def test_an_eager_task_in_the_embedded_default_warns_of_no_broker():
    result = manage(
        "shell", "-c", "from crm.tasks import notifications_deliver as t; print(t.delay(notification_ids=[]).get())"
    )
    assert result.returncode == 0, result.stderr
    assert "'emails': 0" in result.stdout
    assert "hostname" not in result.stderr, result.stderr


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DEBUG", "maybe"),
        ("DATABASE_URL", "mysqlx://nowhere"),
        ("TIME_ZONE", "Mars/Olympus"),
        ("CONN_MAX_AGE", "x"),
        ("BENCH_TODAY", "2026-13-01"),
        ("EXACT_COUNT_LIMIT", "-1"),
        ("EXACT_COUNT_LIMIT", "many"),
        ("IMPORTS_PREVIEW_DAYS", "0"),
        ("IMPORTS_PREVIEW_DAYS", "soon"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(variable, value):
    result = manage("check", **{variable: value})
    assert result.returncode != 0
    assert variable in result.stderr


def test_a_benchmark_day_is_every_clocks_today_moving_on_from_the_runs_start():
    """Issue 19: with BENCH_TODAY every process of a bench run takes that day for today, Django's clock and Python's
    alike, its time the seconds since BENCH_STARTED after 09:00."""
    import time

    result = manage(
        "shell",
        "-c",
        "import datetime; from django.utils import timezone;"
        " print(timezone.localtime().strftime('%Y-%m-%d %H:%M'), datetime.date.today(), timezone.localdate())",
        BENCH_TODAY="2026-11-30",
        BENCH_STARTED=str(int(time.time()) - 3 * 3600),
    )
    assert result.returncode == 0, result.stderr
    assert "2026-11-30 12:0" in result.stdout and result.stdout.strip().endswith("2026-11-30 2026-11-30")


def test_production_without_secret_key_refuses_to_start():
    env = dict(PRODUCTION)
    del env["SECRET_KEY"]
    result = manage("check", **env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_settings_pass_the_deploy_check():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_make_run_server_serves_the_installed_static_assets():
    """`make run` uses runserver in DEBUG: Bootstrap must come from the installed package, not a CDN."""
    import socket
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    clean = {k: v for k, v in os.environ.items() if k not in CONFIG_VARIABLES}
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload", "--skip-checks"],
        cwd=ROOT,
        env=clean,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/bootstrap/css/bootstrap.min.css") as r:
                    assert r.status == 200 and b"Bootstrap" in r.read(2000)
                    break
            except OSError:
                assert time.monotonic() < deadline, "runserver did not serve the static file within 30 s"
                time.sleep(0.3)
    finally:
        server.terminate()
        server.wait(timeout=10)
