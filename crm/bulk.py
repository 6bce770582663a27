"""Fast bulk loading for large data sets: COPY on PostgreSQL, executemany elsewhere."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from django.db import connection


class BulkWriter:
    """Buffers rows for one table and writes them in batches, rows given as tuples in `columns` order."""

    def __init__(self, table: str, columns: Sequence[str], batch_size: int = 20_000):
        self.table, self.columns, self.batch_size = table, list(columns), batch_size
        self.rows: list[tuple] = []
        self.written = 0

    def add(self, row: tuple) -> None:
        self.rows.append(row)
        if len(self.rows) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                buffer = io.StringIO()
                writer = csv.writer(buffer)
                for row in self.rows:
                    writer.writerow(["\\N" if value is None else value for value in row])
                buffer.seek(0)
                cursor.copy_expert(
                    f"COPY {self.table} ({', '.join(self.columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buffer
                )
            else:
                placeholders = ", ".join(["%s"] * len(self.columns))
                cursor.executemany(
                    f"INSERT INTO {self.table} ({', '.join(self.columns)}) VALUES ({placeholders})", self.rows
                )
        self.written += len(self.rows)
        self.rows = []


def reset_sequence(table: str) -> None:
    """Move an id sequence past rows inserted with explicit ids (PostgreSQL only; SQLite needs nothing)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        sequence = f"pg_get_serial_sequence('{table}', 'id')"
        cursor.execute(f"SELECT setval({sequence}, COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)")


def next_id(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")
        return cursor.fetchone()[0]


# Rows loaded at once past which the table's planner statistics are refreshed right away: until autovacuum comes
# round, the planner would take a fresh campaign's tens of thousands of rows for a handful (PostgreSQL).
ANALYZE_AFTER = 10_000


def analyze_after_load(table: str, rows: int) -> None:
    if connection.vendor != "postgresql" or rows < ANALYZE_AFTER:
        return
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}")
