"""The users table is read without parallel workers (crm 0019): a department's team is planned the same whether the
table is small or past PostgreSQL's parallel threshold (issue 19, point 3)."""

from __future__ import annotations

import pytest
from django.db import connection

from crm.models import User

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="parallel plans are PostgreSQL's"),
]


def plan_of_a_departments_managers() -> str:
    managers = User.objects.filter(department_id=1, is_active=True).account_managers().values("pk")
    sql, params = managers.query.sql_with_params()
    with connection.cursor() as cursor:
        # A parallel scan made as cheap as can be, as if the table were far past the threshold.
        for setting in ("min_parallel_table_scan_size", "parallel_setup_cost", "parallel_tuple_cost"):
            cursor.execute(f"SET LOCAL {setting} = 0")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_no_parallel_worker_reads_the_users():
    # A table of some size, described to the planner, that a parallel scan would be chosen for without the setting.
    User.objects.bulk_create(User(username=f"am{number:05d}", role="account_manager") for number in range(5_000))
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the new rows' checks done: the table may be altered
        cursor.execute("ANALYZE crm_user")
    assert "Parallel" not in plan_of_a_departments_managers()
    with connection.cursor() as cursor:  # what the setting keeps away: workers, as a table past the threshold gets
        cursor.execute("ALTER TABLE crm_user SET (parallel_workers = 2)")
    assert "Parallel Seq Scan on crm_user" in plan_of_a_departments_managers()
