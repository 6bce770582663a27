"""A trigram index on prospects' names, as the customers' (accounts 0004): the duplicate check looks a name's core up
within the names of 200 000 prospects. PostgreSQL only; SQLite reads the table at the embedded default's sizes."""

from django.db import migrations

from crm.migration_operations import RunSQLOnPostgreSQL

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS prospect_name_trgm ON prospects_prospect USING gin (UPPER(name) gin_trgm_ops)",
]
BACKWARD = ["DROP INDEX IF EXISTS prospect_name_trgm"]


class Migration(migrations.Migration):
    dependencies = [("prospects", "0001_initial")]

    operations = [RunSQLOnPostgreSQL(FORWARD, BACKWARD)]
