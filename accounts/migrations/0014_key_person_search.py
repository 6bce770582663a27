"""Indexes for the top bar's search of key persons (issue 17): part of a name (trigram, on UPPER(name) as Django's
icontains compares) and the start of a mobile number, across every customer a user sees (1.5 million key persons
in a province). PostgreSQL only, as the customers' own trigram indexes (0004)."""

from django.db import migrations

from crm.migration_operations import RunSQLOnPostgreSQL

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS keyperson_name_trgm ON accounts_keyperson USING gin (UPPER(name) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS keyperson_mobile_prefix ON accounts_keyperson (mobile varchar_pattern_ops) "
    "WHERE mobile <> ''",
]
BACKWARD = ["DROP INDEX IF EXISTS keyperson_name_trgm", "DROP INDEX IF EXISTS keyperson_mobile_prefix"]


class Migration(migrations.Migration):
    dependencies = [("accounts", "0013_customer_location")]

    operations = [RunSQLOnPostgreSQL(FORWARD, BACKWARD)]
