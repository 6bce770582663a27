"""Group hierarchies at a million customers (issue 21; goal: a group page of 200 branches p95 ≤ 200 ms).

On the benchmark's database (bench/foundation.py: a million customers), inside one transaction rolled back at the end
so that no other benchmark sees them: 50 000 groups made of the customers in id order, each a headquarters and its
branches — one group in a hundred with 200 branches in two levels (nine regional branches under the headquarters,
the rest under those) and on the national list, the others 2 to 16 branches under their headquarters on the
provincial or city list. Then, in-process with Django's test client (server time, no network), `--runs` times after a
warm-up, p50 and p95 in milliseconds and the queries of the warm-up:
- a 200-branch group's page (`/customers/<code>/group/`, first and last page of branches) as its headquarters'
  account manager, who sees the branches through the group (`group_reach`), and as the province's staff;
- a branch's own page and the account manager's customer list, both through the same walk;
- the tiers' group totals of every group (`tiering.bulk.group_totals_build`), what the nightly recompute adds.
Prints each figure and one JSON line. Usage: bench/groups.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from pages import timed  # noqa: E402  (bench/, the script's own directory: each URL timed as the page crawl times it)

import crm.wsgi  # noqa: E402, F401  (the process as each Gunicorn worker starts it)
from accounts.models import Customer  # noqa: E402
from crm.models import Role, TeamRoleKind, User  # noqa: E402
from teams.models import TeamRole  # noqa: E402
from tiering.bulk import group_totals_build  # noqa: E402

GROUPS = 50_000
BIG = 200  # branches of one group in a hundred
REGIONAL = 9  # the big groups' branches directly under their headquarters

# The groups' sizes and where each starts among the customers numbered in id order (its headquarters), then every
# branch's number and its parent's: the big groups' first nine branches under the headquarters, the rest under those.
LINKS = f"""
CREATE TEMPORARY TABLE bench_group_links ON COMMIT DROP AS
WITH sizes AS (
    SELECT g, CASE WHEN g % 100 = 0 THEN {BIG} ELSE 2 + (g * 7919) % 15 END AS branches
    FROM generate_series(1, {GROUPS}) g
), spans AS (
    SELECT g, branches, (sum(branches + 1) OVER (ORDER BY g) - branches - 1)::int AS head FROM sizes
)
SELECT s.g, s.branches, s.head, s.head + k AS n,
       CASE WHEN s.branches = {BIG} AND k > {REGIONAL} THEN s.head + 1 + (k % {REGIONAL}) ELSE s.head END AS parent_n
FROM spans s CROSS JOIN LATERAL generate_series(1, s.branches) k
"""
NUMBERED = """
CREATE TEMPORARY TABLE bench_numbered ON COMMIT DROP AS
SELECT (row_number() OVER (ORDER BY id) - 1)::int AS n, id FROM accounts_customer
"""
PARENTS = """
UPDATE accounts_customer c SET parent_id = p.id
FROM bench_group_links l JOIN bench_numbered b ON b.n = l.n JOIN bench_numbered p ON p.n = l.parent_n
WHERE c.id = b.id
"""
LEVELS = """
UPDATE accounts_customer c
SET list_level = CASE WHEN l.branches = %s THEN 'national' WHEN l.g %% 2 = 0 THEN 'provincial' ELSE 'city' END
FROM (SELECT DISTINCT g, branches, head FROM bench_group_links) l JOIN bench_numbered b ON b.n = l.head
WHERE c.id = b.id
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    settings.ALLOWED_HOSTS.append("testserver")
    settings.DEBUG = False  # as served: templates cached
    logging.getLogger("django.request").setLevel(logging.ERROR)
    figures: dict[str, object] = {"bench": "groups"}
    with transaction.atomic():
        start = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(LINKS)
            cursor.execute(NUMBERED)
            cursor.execute("CREATE INDEX ON bench_numbered (n)")
            cursor.execute(PARENTS)
            branches = cursor.rowcount
            cursor.execute(LEVELS, [BIG])
            cursor.execute("ANALYZE accounts_customer")
            cursor.execute(
                "SELECT b.id FROM bench_group_links l JOIN bench_numbered b ON b.n = l.head "
                "WHERE l.branches = %s ORDER BY l.g LIMIT 1",
                [BIG],
            )
            head_id = cursor.fetchone()[0]
        print(f"{GROUPS} groups, {branches} branches, made in {time.perf_counter() - start:.1f} s")
        figures.update(customers=Customer.objects.count(), groups=GROUPS, branches=branches)

        start = time.perf_counter()
        group_totals_build()
        figures["group_totals_build_s"] = round(time.perf_counter() - start, 2)
        print(f"the tiers' group totals of every group: {figures['group_totals_build_s']} s")

        head = Customer.objects.get(pk=head_id)
        role = (
            TeamRole.objects.active(timezone.localdate())
            .filter(customer=head, role=TeamRoleKind.CUSTOMER_MANAGER)
            .select_related("user")
            .first()
        )
        manager = role.user if role else None
        staff = User.objects.filter(role=Role.PROVINCIAL_STAFF, region__code=head.region.path.split("/")[0]).first()
        staff = staff or User.objects.filter(role=Role.PROVINCIAL_STAFF).first()
        branch = Customer.objects.filter(parent__parent=head).order_by("-id").first()
        pages = {}
        for label, user, paths in (
            (
                "account_manager",
                manager,
                [
                    f"/customers/{head.code}/group/",
                    f"/customers/{head.code}/group/?page=last",
                    f"/customers/{branch.code}/",
                    "/customers/",
                ],
            ),
            ("provincial_staff", staff, [f"/customers/{head.code}/group/"]),
        ):
            if user is None:
                print(f"no {label} to open the pages as")
                continue
            client = Client()
            client.force_login(user)
            for path in paths:
                result = timed(client, path, args.runs)
                pages[f"{label} {path}"] = result
                print(f"{label} {path}: {result}")
        figures["pages"] = pages
        transaction.set_rollback(True)
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
