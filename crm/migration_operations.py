"""Migration operations of the project's own."""

from django.db import migrations


class RunSQLOnPostgreSQL(migrations.RunSQL):
    """`RunSQL` on PostgreSQL only: the indexes, functions, triggers and constraints the embedded SQLite has no
    equivalent of, and needs none of at its sizes. Give the statements as a list: each runs whole, without
    parameters (a function's body holds semicolons and a message may hold a %)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
