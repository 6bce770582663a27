"""The users table read without parallel workers.

A department's team (its account managers ranked by their month's compliance, `workbench.selectors.team_rows`) is
read by the department's index while the users table is small; once it passed PostgreSQL's parallel threshold (three
provinces: 61 216 users, 12 MB) the planner split the ranking over a parallel sequential scan of every user, which
on two cores cost more than it saved: 凉山's 773 managers 6 ms at 1 M, 13–15 ms at 3 M. Without parallel workers on
this table the plan is the same at any size — 8.6 ms at 3 M for 凉山, 51.5 ms for 成都's 6 562 managers (47.7 at 1 M;
the parallel plan had taken 33.4): what a page of the users costs follows its territory, not the country
(docs/PERFORMANCE.md, 2026-12-07). PostgreSQL only.
"""

from django.db import migrations

from crm.migration_operations import RunSQLOnPostgreSQL


class Migration(migrations.Migration):
    dependencies = [("crm", "0018_bigrams_function")]

    operations = [
        RunSQLOnPostgreSQL(
            ["ALTER TABLE crm_user SET (parallel_workers = 0)"], ["ALTER TABLE crm_user RESET (parallel_workers)"]
        )
    ]
