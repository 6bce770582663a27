"""Run the commands of docker-compose.yml's web, worker and beat services here, with the compose environment.

There is no Docker engine on our machines, so this keeps the compose file honest: the same commands and the same
variables, with the service hosts `db` and `redis` pointed at the loopback servers that .ci/run started.
Usage: python .ci/compose_check.py  (needs DATABASE_URL and CELERY_BROKER_URL of the loopback servers)
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import yaml

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"
GIVEN = {"SECRET_KEY": "compose-check-" + os.urandom(16).hex(), "ALLOWED_HOSTS": "localhost"}


def resolve(value: str) -> str:
    """Expand ${VAR}, ${VAR:-default} and ${VAR:?message} as docker compose does."""

    def expand(match: re.Match) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3)
        if name in GIVEN:
            return GIVEN[name]
        if op == ":?":
            sys.exit(f"compose needs {name}: {arg}")
        return arg or ""

    return re.sub(r"\$\{(\w+)(:-|:\?)?([^}]*)\}", expand, str(value))


def environment(service: dict) -> dict[str, str]:
    pg = urlsplit(os.environ["DATABASE_URL"])
    redis = urlsplit(os.environ["CELERY_BROKER_URL"])
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    for name, value in service["environment"].items():
        value = resolve(value)
        value = value.replace("@db:5432", f"@{pg.hostname}:{pg.port}").replace("/crm", pg.path)
        value = value.replace("crm:crm@", f"{pg.username}:{pg.password}@")
        value = value.replace("redis://redis:6379", f"redis://{redis.hostname}:{redis.port}")
        env[name] = value
    env["PATH"] = f"{VENV_BIN}:{env['PATH']}"
    return env


def run_until(command: list[str], env: dict, expect: str, seconds: int) -> str:
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = []
    deadline = time.monotonic() + seconds
    os.set_blocking(process.stdout.fileno(), False)
    try:
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if line:
                output.append(line)
                if expect in line:
                    return "".join(output)
            elif process.poll() is not None:
                break
            else:
                time.sleep(0.1)
        sys.exit(f"{' '.join(command)} did not print {expect!r} within {seconds} s:\n{''.join(output)}")
    finally:
        process.terminate()
        process.wait(timeout=30)


def check_web(service: dict) -> None:
    env = environment(service)
    subprocess.run(
        [VENV_BIN / "python", "manage.py", "collectstatic", "--no-input", "-v0"], cwd=ROOT, env=env, check=True
    )
    command = service["command"][-1].replace("0.0.0.0:8000", "127.0.0.1:18765")
    process = subprocess.Popen(["sh", "-c", command], cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                request = urllib.request.Request(
                    "http://127.0.0.1:18765/login/", headers={"Host": "localhost", "X-Forwarded-Proto": "https"}
                )
                body = urllib.request.urlopen(request, timeout=5).read().decode()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    sys.exit("web: gunicorn did not serve /login/ within 60 s")
                time.sleep(0.5)
        assert "登录" in body, "web: the login page is not in Chinese"
        for path in ("bootstrap/css/bootstrap.min.css", "plotly/plotly-basic.min.js", "js/dashboard.js"):
            static = urllib.request.Request(
                f"http://127.0.0.1:18765/static/{path}", headers={"Host": "localhost", "X-Forwarded-Proto": "https"}
            )
            assert urllib.request.urlopen(static, timeout=5).status == 200, f"web: static {path} is not served"
        print("web: migrate + gunicorn serve the login page and static files (the chart library too)")
    finally:
        process.terminate()
        process.wait(timeout=30)


def check_db(service: dict) -> None:
    """Every `-c name=value` of the db service is a setting this PostgreSQL knows, with a value it takes: a memory
    or size setting in its unit, an enumerated one among its values (so that a typo cannot stop production's
    database from starting)."""
    import psycopg2

    command = service["command"]
    assert command[0] == "postgres", command
    settings = dict(arg.split("=", 1) for flag, arg in zip(command[1::2], command[2::2], strict=True) if flag == "-c")
    assert len(settings) * 2 == len(command) - 1, f"db: every argument is a -c setting: {command}"
    with psycopg2.connect(os.environ["DATABASE_URL"]) as db, db.cursor() as cursor:
        for name, value in settings.items():
            cursor.execute("SELECT vartype, enumvals, unit FROM pg_settings WHERE name = %s", [name])
            known = cursor.fetchone()
            assert known, f"db: {name} is not a PostgreSQL setting"
            vartype, enumvals, unit = known
            if vartype == "enum":
                assert value in enumvals, f"db: {name}={value} is none of {enumvals}"
            elif unit:
                assert re.fullmatch(r"\d+(kB|MB|GB|TB|ms|s|min|h|d)", value), f"db: {name}={value} needs a unit"
    print(f"db: {len(settings)} settings, each known to PostgreSQL with a value it takes")


def main() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"db", "redis", "web", "worker", "beat"}, services.keys()
    check_db(services["db"])
    check_web(services["web"])
    run_until(services["worker"]["command"] + ["--pool=solo"], environment(services["worker"]), "ready.", 60)
    print("worker: celery worker connected and ready")
    beat_command = [
        arg.replace("/tmp/celerybeat-schedule", "/tmp/compose-check-beat") for arg in services["beat"]["command"]
    ]
    run_until(beat_command, environment(services["beat"]), "beat: Starting", 60)
    print("beat: celery beat started with the schedule")


if __name__ == "__main__":
    main()
