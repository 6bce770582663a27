"""Every page the navigation reaches and every list endpoint of the API, as each role that can open it (issue 19).

For each role (an account manager, a department head, a province's staff, headquarters) the benchmark reads the
home page's navigation bar, then every page it links to, then every page those link to in their content: one URL
per view (the first link found), downloads aside (CSV, XLSX: jobs with benchmarks of their own). Then the API's
list endpoints, from its OpenAPI schema (every GET without a path parameter), and a few named cases the crawl does
not reach (a deep page of the list, a search, a filter by tier). Each URL is timed in-process with Django's test
client (server time, no network), `--runs` times after one warm-up, its queries counted on the warm-up; p50 and p95
in milliseconds. A page over the budget (150 ms p95 or 15 queries, issue 19) is listed at the end, and the run
ends with one JSON line for `bench/compare.py`.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import logging
import os
import platform
import pstats
import re
import sys
import time
from collections import OrderedDict
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import DatabaseError, connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import Resolver404, resolve  # noqa: E402
from drf_spectacular.generators import SchemaGenerator  # noqa: E402

import crm.wsgi  # noqa: E402, F401  (the process as each Gunicorn worker starts it: long-lived objects frozen)
from accounts.models import Customer  # noqa: E402
from bench.page_figures import BUDGET_P95_MS, BUDGET_QUERIES, percentiles  # noqa: E402
from crm.middleware import SESSION_REFRESHED  # noqa: E402
from crm.models import User  # noqa: E402

# The demo's logins, one per role (seed_demo): who opens what. The head of 凉山 too: its customers, seeded last,
# come last in every index by id or code, where 成都's come first (a list read in code order and filtered by the
# territory finds 成都's rows at once and 凉山's after every other city's).
ROLES = OrderedDict(
    [
        ("account_manager", "cd_am01"),
        ("head", "cd_head"),
        ("head_last_city", "head5134"),
        ("provincial_staff", "sc_staff"),
        ("hq", "admin"),
    ]
)
# Not pages: leaving, switching language, the admin (Django's own), the API's documentation, files to download.
SKIPPED = re.compile(
    r"^/(logout|i18n|admin|api/docs|api/schema|static|media)(/|$)|\.(csv|xlsx|json|js|css|png|ico)$|/(export|download)"
)
# Named cases the crawl does not reach: where the list pages were slowest before (issue 19's list).
EXTRA = [
    ("provincial_staff", "/customers/?page=1000"),
    ("hq", "/customers/?page=1000"),
    ("provincial_staff", "/customers/?tier=A"),
    ("head", "/customers/?tier=B"),
    ("hq", "/customers/?search=天府科技"),
    # a common word of two characters, shorter than a trigram: no index finds it
    ("hq", "/customers/?search=科技"),
    ("provincial_staff", "/customers/?search=科技"),
    ("head_last_city", "/customers/?search=科技"),
    # rare words of two characters: none of a million names (霹雳), and 109 (崇州), found by reading every name
    ("hq", "/customers/?search=霹雳"),
    ("provincial_staff", "/customers/?search=霹雳"),
    ("hq", "/customers/?search=崇州"),
    ("provincial_staff", "/customers/?search=崇州"),
    ("head", "/customers/?search=崇州"),
    ("head_last_city", "/customers/?search=政府"),
    # the filtered lists of the territory seeded last, and a page past the first of its incomplete teams
    ("head_last_city", "/customers/?tier=A"),
    ("head_last_city", "/customers/?status=active&page=3"),
    ("head_last_city", "/teams/incomplete/?page=2"),
    ("provincial_staff", "/teams/incomplete/?page=2"),
]


class Links(HTMLParser):
    """The links of a page: those inside its <nav> and those outside it, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.nav: list[str] = []
        self.content: list[str] = []
        self.depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "nav":
            self.depth += 1
        if tag == "a":
            href = dict(attrs).get("href") or ""
            (self.nav if self.depth else self.content).append(href)

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav" and self.depth:
            self.depth -= 1


def _local(href: str) -> str | None:
    """The path (and query) of a link within the product, or None for one outside it or not a page."""
    href, _fragment = urldefrag(href)
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or SKIPPED.search(parts.path):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _view(path: str) -> str | None:
    try:
        return resolve(urlsplit(path).path).view_name
    except Resolver404:
        return None


def crawl(client: Client) -> list[str]:
    """The pages the role reaches: the navigation's, then one per view of the links in their content."""
    home = client.get("/", follow=True)
    parser = Links()
    parser.feed(home.content.decode())
    first = [path for path in map(_local, parser.nav) if path]
    seen_views: set[str] = set()
    pages: list[str] = []

    def add(path: str) -> bool:
        view = _view(path)
        if view is None or view in seen_views:
            return False
        seen_views.add(view)
        pages.append(path)
        return True

    for path in first:
        add(path)
    for path in list(pages):
        response = client.get(path)
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        links = Links()
        links.feed(response.content.decode())
        for href in links.content:
            local = _local(href)
            if local:
                add(local)
    return pages


# The query an endpoint needs to answer at all (without it, 400: not a page to time).
ENDPOINT_QUERIES = {
    "/api/v1/prospects/possible-duplicates/": "?"
    + urlencode({"name": "成都天府科技有限公司", "address": "锦江区春熙路"}),
}


def list_endpoints() -> list[str]:
    """The API's GET endpoints without a path parameter, from its OpenAPI schema (with the query some need)."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(
        path + ENDPOINT_QUERIES.get(path, "")
        for path, operations in schema["paths"].items()
        if "get" in operations and "{" not in path and path.startswith("/api/v1/") and not SKIPPED.search(path)
    )


def sampled(client: Client, path: str, runs: int) -> list[float]:
    """`runs` requests of the path, each one's milliseconds."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        client.get(path)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def warmed(client: Client, path: str) -> dict[str, object]:
    """One request of the path, untimed: its status and its queries. Not the session's refresh, a write at most once
    a minute (`crm.middleware.SessionIdleMiddleware`) that falls on whichever page comes then: three queries more on
    one page of a run and not on the next."""
    session = client.session
    session[SESSION_REFRESHED] = int(time.time())
    session.save()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    return {"status": response.status_code, "queries": len(queries)}


# What differs between two requests of a page for the same data: the CSRF token a form carries, masked anew each
# time; and between two databases seeded alike, the time of day their night's counts were taken ("as of 09:06").
PER_REQUEST = re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]*')
CLOCK = re.compile(rb"\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?")
# Statements whose plan `work` reads: the page's reads (a WITH that writes is left out, as every write is).
READ = re.compile(r"^\s*(SELECT|WITH)\b", re.IGNORECASE)
WRITE = re.compile(r"\b(INSERT|UPDATE|DELETE)\b")  # as Django writes them: not a value ('update') in a filter


def work(client: Client, path: str) -> dict[str, object]:
    """One more request of the path, untimed, under cProfile: the Python function calls it makes, a digest of its
    answer (the CSRF token and the clock's times aside), and on PostgreSQL the buffers its reads touch (each SELECT
    of the request executed again under `EXPLAIN (ANALYZE, BUFFERS)`, planning aside). Equal on two databases, the
    page does the same work on both — in Python and in the database — whatever its times say."""
    profile = cProfile.Profile()
    with CaptureQueriesContext(connection) as queries:
        response = profile.runcall(client.get, path)
    answer = hashlib.sha256(CLOCK.sub(b"hh:mm", PER_REQUEST.sub(rb"\1", response.content))).hexdigest()[:16]
    buffers = None
    if connection.vendor == "postgresql":
        buffers = 0
        with connection.cursor() as cursor:
            for query in queries.captured_queries:
                sql = query["sql"]
                if not READ.match(sql) or WRITE.search(sql):
                    continue
                try:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, FORMAT JSON) " + sql)
                except DatabaseError:  # not one to explain again: the buffers are not known
                    buffers = None
                    break
                plan = cursor.fetchone()[0]
                plan = (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]
                buffers += plan["Shared Hit Blocks"] + plan["Shared Read Blocks"]
    return {"calls": pstats.Stats(profile).total_calls, "answer": answer, "buffers": buffers}


def timed(client: Client, path: str, runs: int) -> dict[str, object]:
    result = warmed(client, path)
    if result["status"] != 200:
        return result
    result.update(percentiles(sampled(client, path, runs)))
    return result


def setup_process() -> None:
    settings.ALLOWED_HOSTS.append("testserver")
    settings.DEBUG = False  # as served: templates cached
    for noisy in ("axes", "django.request"):  # a line per login and per refusal
        logging.getLogger(noisy).setLevel(logging.ERROR)


def role_paths(client: Client, role: str, endpoints: list[str]) -> list[str]:
    return crawl(client) + endpoints + [path for extra_role, path in EXTRA if extra_role == role]


def serve(users: dict[str, str]) -> None:
    """Answer a driver (`bench/pages_pair.py`) a JSON line per JSON line read: {"paths": role} → the role's pages
    and endpoints; {"role", "path", "warm": true} → its status and query count (the warm-up); {"role", "path",
    "runs"} → that many samples. With "work": true, the warm-up's answer has the page's function calls, answer and
    buffers too (`work`)."""
    setup_process()
    clients: dict[str, Client] = {}
    endpoints = list_endpoints()
    print(json.dumps({"customers": Customer.objects.count()}), flush=True)
    for line in sys.stdin:
        ask = json.loads(line)
        role = ask.get("paths") or ask["role"]
        if role not in clients:
            clients[role] = Client()
            clients[role].force_login(User.objects.get(username=users[role]))
        client = clients[role]
        if "paths" in ask:
            answer: dict[str, object] = {"paths": role_paths(client, role, endpoints)}
        elif ask.get("warm"):
            answer = warmed(client, ask["path"])
            if ask.get("work") and answer["status"] == 200:
                answer.update(work(client, ask["path"]))
        else:
            answer = {"samples": sampled(client, ask["path"], ask["runs"])}
        print(json.dumps(answer), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_PAGE_RUNS", "20")))
    parser.add_argument("--roles", default=",".join(ROLES), help="comma-separated, of " + ", ".join(ROLES))
    parser.add_argument(
        "--users",
        default="",
        help="who opens the pages of a role instead of the demo's login, e.g. head=head5301,provincial_staff=yn_staff "
        "(the last province of the three-province database: its customers come last in every index by id)",
    )
    parser.add_argument("--serve", action="store_true", help="answer bench/pages_pair.py on stdin and stdout")
    args = parser.parse_args()
    users = dict(ROLES, **dict(pair.split("=", 1) for pair in args.users.split(",") if pair))
    if args.serve:
        serve(users)
        return
    setup_process()

    figures: dict[str, object] = {
        "part": "pages",
        "today": settings.BENCH_TODAY or None,
        "customers": Customer.objects.count(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "runs": args.runs,
        "users": {role: users[role] for role in args.roles.split(",")},
    }
    pages: dict[str, dict[str, object]] = {}
    over: list[str] = []
    endpoints = list_endpoints()
    for role in args.roles.split(","):
        client = Client()
        client.force_login(User.objects.get(username=users[role]))
        paths = role_paths(client, role, endpoints)
        for path in paths:
            result = timed(client, path, args.runs)
            key = f"{role} {path}"
            if result["status"] in (301, 302, 403, 404):
                continue  # a redirect (its target is crawled) or not this role's (the visibility tests hold that)
            pages[key] = result
            late = result.get("p95_ms", 0) > BUDGET_P95_MS or result["queries"] > BUDGET_QUERIES
            if late or result["status"] != 200:
                over.append(key)
            print(
                f"{'!' if late else ' '} {key:<70} {result['status']} "
                f"p50 {result.get('p50_ms', '-'):>8} ms  p95 {result.get('p95_ms', '-'):>8} ms  "
                f"{result['queries']:>3} queries",
                flush=True,
            )
    figures["pages"] = pages
    figures["over_budget"] = over
    print(f"{len(pages)} pages and endpoints, {len(over)} over {BUDGET_P95_MS} ms p95 or {BUDGET_QUERIES} queries")
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
