"""Fast bulk loading for large data sets: COPY on PostgreSQL, executemany elsewhere."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

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


# A load at least this large, and at least twice what the table holds, has the table's foreign keys checked once
# at its end instead of row by row (`foreign_keys_checked_once`).
CHECK_ONCE_ROWS = 100_000


@contextmanager
def foreign_keys_checked_once(table: str, rows: int) -> Iterator[bool]:
    """Within a transaction, an insert of `rows` new rows into `table` (PostgreSQL): when it is large
    (CHECK_ONCE_ROWS or more) and the table holds less than half as many (a first load), the table's foreign keys
    are dropped for the load and added back after it, as they were, so that each is checked once, by one join over
    the table, instead of by a trigger on every row (about 7 µs a row and a key: 70 s of ten million group
    members). Dropping them locks the table and the tables they reference (ACCESS EXCLUSIVE) until the
    transaction ends: their readers wait for the load, as they would for a restore. The checks already pending
    in the transaction run first (PostgreSQL alters no table with pending trigger events). Yields whether it
    did."""
    if connection.vendor != "postgresql" or rows < CHECK_ONCE_ROWS:
        yield False
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT GREATEST(reltuples, 0) FROM pg_class WHERE oid = %s::regclass", [table])
        if rows < 2 * cursor.fetchone()[0]:
            yield False
            return
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
            "AND contype = 'f' ORDER BY conname",
            [table],
        )
        keys = cursor.fetchall()
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for name, _definition in keys:
            cursor.execute(
                f"ALTER TABLE {connection.ops.quote_name(table)} DROP CONSTRAINT {connection.ops.quote_name(name)}"
            )
    yield True
    with connection.cursor() as cursor:
        for name, definition in keys:
            cursor.execute(
                f"ALTER TABLE {connection.ops.quote_name(table)} ADD CONSTRAINT {connection.ops.quote_name(name)} "
                f"{definition}"
            )
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
