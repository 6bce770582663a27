"""Fast bulk loading for large data sets: COPY on PostgreSQL, executemany elsewhere."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from django.db import connection

# Rows a BulkWriter holds before it writes them.
BATCH_SIZE = 20_000


class BulkWriter:
    """Buffers rows for one table and writes them in batches, rows given as tuples in `columns` order.

    `after`, when set, is the writer of the rows these read as they go in (a trigger looking up each row's parent):
    its rows are written first, whichever of the two fills its batch first."""

    def __init__(self, table: str, columns: Sequence[str], batch_size: int | None = None):
        self.table, self.columns, self.batch_size = table, list(columns), batch_size or BATCH_SIZE
        self.after: BulkWriter | None = None
        self.rows: list[tuple] = []
        self.written = 0

    def add(self, row: tuple) -> None:
        self.rows.append(row)
        if len(self.rows) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        if self.after is not None:
            self.after.flush()
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


# A load at least this large, and at least as large as what the table holds, is a first load (`first_load`):
# the table's foreign keys are checked and its indexes built once, at its end, instead of row by row.
FIRST_LOAD_ROWS = 100_000


@contextmanager
def first_load(table: str, rows: int) -> Iterator[bool]:
    """Within a transaction, an insert of `rows` new rows into `table` (PostgreSQL). When it is large
    (FIRST_LOAD_ROWS or more) and the table holds no more (a first load), the table's foreign keys, unique
    constraints and indexes are dropped for the load and put back after it, as they were: each key is then checked
    once, by one join over the table, instead of by a trigger on every row (about 7 µs a row and a key: 70 s of ten
    million group members), and each index is built by one sort instead of an insert per row (a million new
    customers went into an empty table in 44 s with its thirteen indexes kept up, in 10 s without them, which were
    then built in 18–20 s; kept up, an index costs about twice a row's share of building it, so building it over
    the whole table pays once the load is as large as what the table held). Only the primary key stays, and a
    unique index another table's foreign key refers to. A duplicate key the load brought makes putting its
    constraint back fail, and the transaction with it. Dropping locks the table and the tables its keys reference
    (ACCESS EXCLUSIVE) until the transaction ends: their readers wait for the load, as they would for a restore, and
    no one else writes to it meanwhile. The checks already pending in the transaction run first (PostgreSQL alters
    no table with pending trigger events). Yields whether it did."""
    if connection.vendor != "postgresql" or rows < FIRST_LOAD_ROWS:
        yield False
        return
    quoted = connection.ops.quote_name(table)
    with connection.cursor() as cursor:
        # Counted, up to one row more than the load: the planner's estimate (pg_class.reltuples) survives a rolled
        # back load, and an ANALYZE, so it may describe rows the table no longer holds.
        cursor.execute(f"SELECT COUNT(*) FROM (SELECT 1 FROM {quoted} LIMIT %s) AS held", [rows + 1])
        if rows < cursor.fetchone()[0]:
            yield False
            return
        # Foreign keys first, then unique constraints, each as `ALTER TABLE … ADD CONSTRAINT` gives it back.
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint c WHERE conrelid = %s::regclass "
            "AND (contype = 'f' OR contype = 'u' AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint r WHERE r.contype = 'f' AND r.conindid = c.conindid)) "
            "ORDER BY contype, conname",
            [table],
        )
        constraints = cursor.fetchall()
        # The indexes no constraint stands on, as `CREATE INDEX` gives them back.
        cursor.execute(
            "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) ORDER BY c.relname",
            [table],
        )
        indexes = cursor.fetchall()
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for name, _definition in constraints:
            cursor.execute(f"ALTER TABLE {quoted} DROP CONSTRAINT {connection.ops.quote_name(name)}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    yield True
    with connection.cursor() as cursor:
        for _name, definition in indexes:
            cursor.execute(definition)
        # Unique constraints before the foreign keys that may lean on them.
        for name, definition in reversed(constraints):
            cursor.execute(f"ALTER TABLE {quoted} ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
