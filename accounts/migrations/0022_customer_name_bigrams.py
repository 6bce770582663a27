"""The customers' names by their pairs of characters (`crm_bigrams`, crm 0018), beside their trigrams (0004): a
word of two characters (崇州, 政府) is found among a million names by the index, not by reading every name (the
`anywhere` lookup). PostgreSQL only."""

from django.db import migrations

from crm.migration_operations import RunSQLOnPostgreSQL

FORWARD = [
    "CREATE INDEX IF NOT EXISTS customer_name_bigrams ON accounts_customer "
    'USING gin ((crm_bigrams(UPPER(name)) COLLATE "C"))'
]
BACKWARD = ["DROP INDEX IF EXISTS customer_name_bigrams"]


class Migration(migrations.Migration):
    dependencies = [("accounts", "0021_customer_created_index"), ("crm", "0018_bigrams_function")]

    operations = [RunSQLOnPostgreSQL(FORWARD, BACKWARD)]
