"""A trigram index on prospects' names, as the customers' (accounts 0004): the duplicate check looks a name's core up
within the names of 200 000 prospects. PostgreSQL only; SQLite reads the table at the embedded default's sizes."""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS prospect_name_trgm ON prospects_prospect USING gin (UPPER(name) gin_trgm_ops)",
]
BACKWARD = ["DROP INDEX IF EXISTS prospect_name_trgm"]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("prospects", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
