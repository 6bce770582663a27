"""Trigram indexes so that searching a million customers by part of a name or code stays fast on PostgreSQL.

Django's icontains/istartswith compare UPPER(column), so the indexes are on that expression. SQLite has no
equivalent and needs none at the embedded default's sizes.
"""

from django.db import migrations

from crm.migration_operations import RunSQLOnPostgreSQL

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS customer_name_trgm ON accounts_customer USING gin (UPPER(name) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS customer_code_trgm ON accounts_customer USING gin (UPPER(code) gin_trgm_ops)",
]
BACKWARD = ["DROP INDEX IF EXISTS customer_name_trgm", "DROP INDEX IF EXISTS customer_code_trgm"]


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_industries")]

    operations = [RunSQLOnPostgreSQL(FORWARD, BACKWARD)]
