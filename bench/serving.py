"""What the HTTP loads of the benchmarks share (bench/teams.py, bench/mixed.py): the product served by Gunicorn as
docker-compose.yml serves it, account managers with API tokens and customers on their teams, and wrk driving
`bench/load.lua`. Imported after `django.setup()`."""

from __future__ import annotations

import http.client
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from knox.models import AuthToken

from accounts.models import Customer
from crm.models import Role, User
from teams.models import TeamRole
from teams.rules import CUSTOMER_MANAGER

ROOT = Path(__file__).resolve().parents[1]
GUNICORN_WORKERS = 3  # as in docker-compose.yml


def customer_managers(rng: random.Random, how_many: int) -> list[User]:
    """A random sample of account managers who are customer manager of at least one customer today."""
    ids = sorted(
        set(
            TeamRole.objects.active()
            .filter(role=CUSTOMER_MANAGER, user__role=Role.ACCOUNT_MANAGER)
            .values_list("user_id", flat=True)
        )
    )
    return list(User.objects.filter(pk__in=rng.sample(ids, min(how_many, len(ids)))).order_by("?"))


def customers_of(user: User) -> list[str]:
    return list(
        Customer.objects.filter(
            pk__in=TeamRole.objects.active().filter(user=user, role=CUSTOMER_MANAGER).values("customer_id")
        ).values_list("code", flat=True)
    )


def token_pairs(rng: random.Random, managers: int, customers_each: int) -> tuple[list[str], list[int]]:
    """ "token code" lines for `load.lua` (a token for each of `managers` sampled managers, each with up to
    `customers_each` of their customers, shuffled), and the tokens' ids, to delete after."""
    lines, tokens = [], []
    for manager in customer_managers(rng, managers):
        instance, token = AuthToken.objects.create(manager)
        tokens.append(instance.pk)
        codes = customers_of(manager)
        for code in rng.sample(codes, min(customers_each, len(codes))):
            lines.append(f"{token} {code}")
    return lines, tokens


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(port: int, tree: Path = ROOT) -> subprocess.Popen:
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    env.pop("CONN_MAX_AGE", None)  # production's default (60 s with DEBUG off)
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "crm.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(GUNICORN_WORKERS),
        "--timeout",
        "120",
    ]
    # A baseline tree's modules come first on the path: gunicorn puts its working directory there.
    env["PYTHONPATH"] = str(tree)
    server = subprocess.Popen(command, cwd=tree, env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            probe = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            probe.request("GET", "/api/v1/", headers={"X-Forwarded-Proto": "https"})
            probe.getresponse().read()  # any answer (401 without a token): up
            probe.close()
            return server
        except OSError:
            if server.poll() is not None:
                raise RuntimeError("gunicorn exited at start-up") from None
            time.sleep(0.3)
    stop(server)
    raise RuntimeError("gunicorn did not answer within 60 s")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)  # the master stops its workers
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def wrk_start(port: int, pairs_file: str, seconds: int, *, kind: str, clients: int) -> subprocess.Popen:
    """wrk running `clients` connections of one request kind (`load.lua`) for `seconds`; read it with `wrk_result`."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk (bench/run installs it)")
    command = [
        "wrk",
        f"-t{min(2, clients)}",
        f"-c{clients}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(ROOT / "bench" / "load.lua"),
        f"http://127.0.0.1:{port}",
    ]
    env = {**os.environ, "LOAD_PAIRS": pairs_file, "LOAD_KIND": kind}
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wrk_result(process: subprocess.Popen) -> dict:
    out, err = process.communicate()
    if err.strip():
        print(err.strip(), file=sys.stderr)
    if process.returncode:
        raise RuntimeError(f"wrk failed ({process.returncode}): {out}")
    line = next(line for line in out.splitlines() if line.startswith("WRK_JSON "))
    return json.loads(line.removeprefix("WRK_JSON "))


def wrk(port: int, pairs_file: str, seconds: int, *, kind: str, clients: int) -> dict:
    return wrk_result(wrk_start(port, pairs_file, seconds, kind=kind, clients=clients))
