"""Indexes for the top bar's search of one or two characters (a surname, a city), which trigrams cannot serve (a
trigram needs three): the start of a customer's or a key person's name, and the start of a key person's mobile
without the partial condition the planner could not match (a query does not say `mobile <> ''`). PostgreSQL only,
as the trigram indexes (0004, 0014)."""

from django.db import migrations

from crm.migration_operations import RunSQLOnPostgreSQL

FORWARD = [
    "CREATE INDEX IF NOT EXISTS customer_name_prefix ON accounts_customer (name varchar_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS keyperson_name_prefix ON accounts_keyperson (name varchar_pattern_ops)",
    "DROP INDEX IF EXISTS keyperson_mobile_prefix",
    "CREATE INDEX IF NOT EXISTS keyperson_mobile_start ON accounts_keyperson (mobile varchar_pattern_ops)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS customer_name_prefix",
    "DROP INDEX IF EXISTS keyperson_name_prefix",
    "DROP INDEX IF EXISTS keyperson_mobile_start",
    "CREATE INDEX IF NOT EXISTS keyperson_mobile_prefix ON accounts_keyperson (mobile varchar_pattern_ops) "
    "WHERE mobile <> ''",
]


class Migration(migrations.Migration):
    dependencies = [("accounts", "0014_key_person_search")]

    operations = [RunSQLOnPostgreSQL(FORWARD, BACKWARD)]
