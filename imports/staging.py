"""The staging table of a run and the set-based SQL over it (SPEC §8.4).

A run's valid rows are loaded into a table of their own (`import_stage_<run id>`, unlogged on PostgreSQL) with
`COPY` (PostgreSQL) or `executemany` (SQLite); on PostgreSQL the rows of a CSV that the SQL twins of the column
rules take are staged by one statement over the file loaded as text (`sqlread`). The checks that need the whole
file or the database (duplicates inside the file, unique USCCs, the customers named) and the write itself are then
a few statements over that table (`services._merge`), touching only rows that change. The same SQL runs on both
databases but for the spelling of "is distinct from".
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction

from accounts.models import Customer
from crm.models import Region

from .kinds.base import Column, Kind

PG_TYPES = {
    "text": "text",
    "integer": "bigint",
    "numeric": "numeric(20, 2)",
    "float": "double precision",
    "boolean": "boolean",
    "date": "date",
}
SQLITE_TYPES = {
    "text": "TEXT",
    "integer": "INTEGER",
    "numeric": "NUMERIC",
    "float": "REAL",
    "boolean": "INTEGER",
    "date": "TEXT",
}
BATCH = 20_000
# A run's own tables (its file's cells, its staged rows) are written once, analysed by the run itself and dropped
# at its end: autovacuum is kept off them. A worker that started on one made the run's `DROP TABLE` wait until
# PostgreSQL cancelled it (`deadlock_timeout`, a second of every million-row import).
TRANSIENT = "WITH (autovacuum_enabled = false)"


def q(name: str) -> str:
    return connection.ops.quote_name(name)


def distinct(left: str, right: str) -> str:
    """SQL for "left differs from right, NULLs compared as values"."""
    if connection.vendor == "postgresql":
        return f"{left} IS DISTINCT FROM {right}"
    return f"{left} IS NOT {right}"


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime.date | Decimal):
        return str(value)
    return value


class Stage:
    """The staging table of one run: `line` and the file's columns, typed."""

    def __init__(self, run_id: int, kind: Kind, columns: Sequence[Column], table: str = ""):
        self.run_id, self.kind, self.columns = run_id, kind, list(columns)
        self.table = table or f"import_stage_{run_id}"
        self.names = [column.name for column in self.columns]
        self.rows: list[tuple] = []
        # The keys of the rows not staged for an error in another cell (`keep_bad_key`), once there is one.
        self.bad_keys: Stage | None = None
        # Whether the table carries `customer_id`, the id of the customer each row names (`customer_ids_join`),
        # and the statements read it there instead of joining the customers by code (`source`).
        self.customer_ids = False
        # Rows staged by `add` (the parsers'), which `customer_ids_join`'s statement did not give their id.
        self.parsed = 0

    # -- the table ---------------------------------------------------------------------------------------------

    def create(self) -> None:
        postgres = connection.vendor == "postgresql"
        types = PG_TYPES if postgres else SQLITE_TYPES
        columns = ", ".join(f"{q(column.name)} {types[column.sql_type]}" for column in self.columns)
        unlogged, options = ("UNLOGGED ", f" {TRANSIENT}") if postgres else ("", "")
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {q(self.table)}")
            cursor.execute(f"CREATE {unlogged}TABLE {q(self.table)} (line integer NOT NULL, {columns}){options}")

    def exists(self) -> bool:
        return self.table in connection.introspection.table_names()

    def drop(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {q(self.table)}")
        if self.bad_keys is not None:
            self.bad_keys.drop()

    def keep_bad_key(self, row: tuple, columns: Sequence[Column]) -> None:
        """Keep aside `row` (`line` and the values of `columns`, the key and what else must be unique in the file)
        of a row that is not staged for an error elsewhere, so that the checks of duplicates see it: a key given
        twice is named with the other errors, not only once the other copy's cell is fixed."""
        if self.bad_keys is None:
            self.bad_keys = Stage(self.run_id, self.kind, columns, table=f"{self.table}_bad_keys")
            self.bad_keys.create()
        self.bad_keys.add(row)

    def with_bad_keys(self, names: Sequence[str]) -> str:
        """The staged rows' `line` and `names`, with those of the rows kept aside by `keep_bad_key` where there
        are any (a subquery: its table is made with its first row), else the staging table itself."""
        bad = self.bad_keys
        if bad is None or not set(names) <= set(bad.names):
            return q(self.table)
        columns = ", ".join(q(name) for name in ["line", *names])
        return f"(SELECT {columns} FROM {q(self.table)} UNION ALL SELECT {columns} FROM {q(bad.table)})"

    def add(self, row: tuple) -> None:
        rows = self.rows
        self.parsed += 1
        rows.append(row)
        if len(rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self.bad_keys is not None:
            self.bad_keys.flush()
        if not self.rows:
            return
        names = ", ".join(q(name) for name in ["line", *self.names])
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # Every field quoted: an empty text stays empty; an empty field of a column that cannot hold an
                # empty text (numbers, dates, the optional codes) is NULL (FORCE_NULL).
                buffer = io.StringIO()
                csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(self.rows)
                buffer.seek(0)
                nulls = ", ".join(q(column.name) for column in self.columns if column.staged_as_null)
                force_null = f", FORCE_NULL ({nulls})" if nulls else ""
                cursor.copy_expert(f"COPY {q(self.table)} ({names}) FROM STDIN WITH (FORMAT csv{force_null})", buffer)
            else:
                marks = ", ".join(["%s"] * (len(self.names) + 1))
                cursor.executemany(
                    f"INSERT INTO {q(self.table)} ({names}) VALUES ({marks})",
                    [tuple(map(_sqlite_value, row)) for row in self.rows],
                )
        self.rows = []

    def unique(self, columns: Sequence[Column]) -> bool:
        """Whether no two staged rows share these columns' values (NULLs aside), when PostgreSQL can tell at
        once: a unique index over them builds (and stays, for the joins that follow) or fails. Its text compared
        byte by byte (collation "C"): equality is the same, the sort several times cheaper. False when there are
        duplicates, or on SQLite, where the query that names them runs instead."""
        if connection.vendor != "postgresql":
            return False
        name = q(f"{self.table}_{'_'.join(column.name for column in columns)}")
        keys = ", ".join(
            f'{q(column.name)} COLLATE "C"' if column.sql_type == "text" else q(column.name) for column in columns
        )
        nulls = " AND ".join(f"{q(column.name)} IS NOT NULL" for column in columns)
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"CREATE UNIQUE INDEX IF NOT EXISTS {name} ON {q(self.table)} ({keys}) WHERE {nulls}")
        except IntegrityError:
            return False
        return True

    def analyze(self) -> None:
        """Fresh statistics, so that the planner joins a million staged rows by hash, not by nested loops."""
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {q(self.table)}")

    # -- reading it --------------------------------------------------------------------------------------------

    def fetch(self, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(sql, list(params))
            return cursor.fetchall()

    def scalar(self, sql: str, params: Iterable[Any] = ()) -> int:
        return self.fetch(sql, params)[0][0] or 0

    def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        with connection.cursor() as cursor:
            cursor.execute(sql, list(params))
            return cursor.rowcount

    # -- the parts of the statements ---------------------------------------------------------------------------

    @property
    def customers_table(self) -> str:
        return q(Customer._meta.db_table)

    def customer_join(self, territory_path: str, alias: str = "c") -> tuple[str, list[Any]]:
        """`JOIN` of the staged rows (`s`) to the customers they name within the territory (kinds that hang off
        a customer)."""
        column = q(self.kind.customer_column or "code")
        sql = f"JOIN {self.customers_table} {alias} ON {alias}.code = s.{column}"
        if not territory_path:
            return sql, []
        regions = q(Region._meta.db_table)
        return (
            f"{sql} JOIN {regions} {alias}_r ON {alias}_r.code = {alias}.region_id AND {alias}_r.path LIKE %s",
            [territory_path + "%"],
        )

    def customer_exists(self, territory_path: str) -> tuple[str, list[Any]]:
        """`EXISTS` of the customer the staged row `s` names, within the territory: when the table carries the
        customers' ids (`customer_ids`), the row's own id, found within the territory as it was staged (ten million
        members: a parallel scan of the staged rows instead of a probe of the customers' code index each, 3.3-3.9 s)."""
        if self.customer_ids:
            return "s.customer_id IS NOT NULL", []
        column = q(self.kind.customer_column or "code")
        regions = q(Region._meta.db_table)
        sql = f"EXISTS (SELECT 1 FROM {self.customers_table} c JOIN {regions} r ON r.code = c.region_id "
        sql += f"WHERE c.code = s.{column}"
        if not territory_path:
            return sql + ")", []
        return sql + " AND r.path LIKE %s)", [territory_path + "%"]

    def source(self, territory_path: str) -> tuple[str, list[Any]]:
        """`FROM` of the rows to merge, with `c` the customer when the kind hangs off one: joined by code, or, when
        the table carries the customers' ids (`customer_ids`), `c.id` read from it, no join."""
        if self.kind.customer_column is None:
            return f"FROM {q(self.table)} s", []
        if self.customer_ids:
            return f"FROM {q(self.table)} s JOIN LATERAL (SELECT s.customer_id AS id) c ON c.id IS NOT NULL", []
        join, params = self.customer_join(territory_path)
        return f"FROM {q(self.table)} s {join}", params

    def customers_within(self, territory_path: str) -> tuple[str, list[Any]]:
        """The customers of the territory (id, code), as a `FROM` item."""
        if not territory_path:
            return self.customers_table, []
        regions = q(Region._meta.db_table)
        return (
            f"(SELECT cu.id, cu.code FROM {self.customers_table} cu JOIN {regions} cr ON cr.code = cu.region_id "
            "AND cr.path LIKE %s)",
            [territory_path + "%"],
        )

    def customer_ids_join(self, code: str, territory_path: str) -> tuple[str, list[Any]]:
        """`LEFT JOIN` of the customer within the territory whose code is `code` (SQL), as `cust`: its id is a
        staged row's `customer_id`. Done where the rows are staged (`sqlread`, by parallel workers), it spares the
        write and its preview a join of every staged row with the customers by code, which a single process runs
        (18 of 155 s for ten million members, 6 December)."""
        within, params = self.customers_within(territory_path)
        return f"LEFT JOIN {within} cust ON cust.code = {code}", params

    def customer_ids_complete(self, territory_path: str) -> None:
        """Give the rows staged by the parsers (`parsed`) their customer's id, as `customer_ids_join` gave the
        others theirs."""
        if not self.customer_ids or not self.parsed:
            return
        within, params = self.customers_within(territory_path)
        self.execute(
            f"UPDATE {q(self.table)} AS s SET customer_id = cust.id FROM {within} cust "
            f"WHERE s.customer_id IS NULL AND cust.code = s.{q(self.kind.customer_column or 'code')}",
            params,
        )

    def key_match(self, target_alias: str = "t") -> str:
        """The condition that the target row `t` is the staged row `s`'s (by the kind's unique key)."""
        parts = []
        for key_name, target in zip(self.kind.key, self.kind.conflict, strict=True):
            if key_name == self.kind.customer_column:
                parts.append(f"{target_alias}.customer_id = c.id")
            else:
                parts.append(f"{target_alias}.{q(target)} = s.{q(key_name)}")
        return " AND ".join(parts)

    def compared(self) -> list[tuple[str, str]]:
        """(target column, staged value SQL) of every column the file sets, key columns aside, and the computed
        ones: what decides whether an existing row changes."""
        keys = set(self.kind.key)
        pairs = [
            (self.kind.target(column), f"s.{q(column.name)}")
            for column in self.columns
            if column.name not in keys and not column.reference
        ]
        pairs += list(self.computed().items())
        return pairs

    @property
    def references(self) -> list[Column]:
        """The file's columns that name another row of the table by its key (`Column.reference`)."""
        return [column for column in self.columns if column.reference]

    def referenced(self, column: Column, target_alias: str = "t") -> str:
        """SQL of the key of the row the table's row `target_alias` refers to by `column` now (NULL for none)."""
        table = q(self.kind.model._meta.db_table)
        key = q(self.kind.conflict[0])
        return f"(SELECT r.{key} FROM {table} r WHERE r.id = {target_alias}.{q(self.kind.target(column))})"

    def reference_changed(self, target_alias: str = "t") -> str:
        """SQL of "the staged row names another row than the table's row refers to" (keys compared, so that a row
        of the same file, not inserted yet, is named as well); "1 = 0" when the file has no such column."""
        parts = [distinct(self.referenced(column, target_alias), f"s.{q(column.name)}") for column in self.references]
        return " OR ".join(parts) if parts else "1 = 0"

    def computed(self) -> dict[str, str]:
        """The kind's computed columns whose staged columns the file has: column → SQL."""
        return {column: sql for column, (sql, needs) in self.kind.computed.items() if set(needs) <= set(self.names)}

    def changed(self, target_alias: str = "t") -> str:
        parts = [distinct(f"{target_alias}.{q(target)}", value) for target, value in self.compared()]
        return " OR ".join(parts) if parts else "1 = 0"
