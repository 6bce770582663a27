"""The USCC is looked up whole (search, imports' uniqueness check, the admin's `=uscc`), never by its start: the
`varchar_pattern_ops` index Django adds beside a unique CharField's own on PostgreSQL served no query, and took
65 MB at a million customers, kept up by every customer written. (A million new customers imported no faster
without it, within the noise: 61.3 and 62.4 s against 60.5 and 62.0 s; docs/PERFORMANCE.md, 5 December.) The
unique constraint's index stays. PostgreSQL only, as the index."""

from django.db import migrations

from crm.migration_operations import RunSQLOnPostgreSQL

INDEX = "accounts_customer_uscc_42621b7f_like"


class Migration(migrations.Migration):
    dependencies = [("accounts", "0017_customer_region_code_tier_index")]

    operations = [RunSQLOnPostgreSQL(
            [f"DROP INDEX IF EXISTS {INDEX}"],
            [f"CREATE INDEX IF NOT EXISTS {INDEX} ON accounts_customer (uscc varchar_pattern_ops)"],
        )]
