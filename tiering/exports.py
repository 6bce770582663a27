"""Tier lists (分级清单, SPEC §4.4): CSV (UTF-8 with BOM) and XLSX, streamed in constant memory.

One query defines the list: every column, labels in the user's language and the reasons as text, is computed by
the database (`columns`). On PostgreSQL the CSV is that query's own `COPY … TO STDOUT` in batches of codes; on
SQLite the same rows go through Python's csv writer. The XLSX is written row by row by XlsxWriter in its
constant-memory mode.

Spreadsheet formulas are neutralised: a text cell that starts with = + - @, a tab or a carriage return is written
as text (CSV: prefixed with an apostrophe; XLSX: a string cell, never a formula), while numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from typing import IO

import xlsxwriter
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    F,
    FloatField,
    Func,
    OuterRef,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Customer, CustomerStatus, Segment, team_roles
from crm.csvstream import BOM, csv_chunks
from crm.models import TeamRoleKind

from .rules import OPERATORS

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAX_ROWS = 1_048_576  # Excel's limit per sheet, header row included
BATCH = 50_000  # customers per COPY batch (≈ 8 MB of CSV)
FETCH = 5_000  # rows per fetch from the server-side cursor: Python holds rows as objects, twenty times the bytes


TEXT, NUMBER = "text", "number"
COLUMNS = [
    # (header, kind)
    (gettext_lazy("Customer code"), TEXT),
    (gettext_lazy("Customer name"), TEXT),
    (gettext_lazy("Tier"), TEXT),
    (gettext_lazy("Region code"), TEXT),
    (gettext_lazy("Region"), TEXT),
    (gettext_lazy("Industry code"), TEXT),
    (gettext_lazy("Industry"), TEXT),
    (gettext_lazy("Segment"), TEXT),
    (gettext_lazy("Status"), TEXT),
    (gettext_lazy("Handsets"), NUMBER),
    (gettext_lazy("Monthly spend (CNY)"), NUMBER),
    (gettext_lazy("Informatization revenue (CNY/month)"), NUMBER),
    (gettext_lazy("Unified social credit code"), TEXT),
    (gettext_lazy("Customer manager"), TEXT),
    (gettext_lazy("Tier reasons"), TEXT),
]


def headers() -> list[str]:
    return [str(header) for header, _kind in COLUMNS]


class TierReasonsText(Func):
    """The reasons as `tiering.rules.reason_text` writes them, joined by "; " (empty when there are none).

    PostgreSQL formats them in the query; SQLite calls `reason_text` itself through a function registered on
    each connection (tiering.apps). Tests hold the two to the same text.
    """

    output_field = TextField()

    def as_postgresql(self, compiler, connection, **extra):
        reasons, params = compiler.compile(self.source_expressions[0])
        symbols = " ".join("WHEN %s THEN %s" for _op in OPERATORS)
        symbol_params = [item for pair in OPERATORS.items() for item in pair]
        number = "trim_scale((r->>'{key}')::numeric)::text"
        text = (
            "CASE r->>'operator' WHEN 'is_true' THEN r->>'field' "
            "WHEN 'in' THEN concat(r->>'field', ' ', r->>'value', ' ∈ ', coalesce(nullif(r->>'label', ''), '…')) "
            f"ELSE concat(r->>'field', ' ', {number.format(key='value')}, ' ', "
            f"CASE r->>'operator' {symbols} END, ' ', {number.format(key='threshold')}) END"
        )
        return (
            f"CASE WHEN jsonb_array_length({reasons}) = 0 THEN '' ELSE (SELECT string_agg({text}, '; ' ORDER BY n) "
            f"FROM jsonb_array_elements({reasons}) WITH ORDINALITY AS t(r, n)) END",
            [*params, *symbol_params, *params],
        )

    def as_sqlite(self, compiler, connection, **extra):
        reasons, params = compiler.compile(self.source_expressions[0])
        return f"tier_reasons_text({reasons})", params


def _labels(field: str, choices) -> Case:
    return Case(
        *(When(**{field: value}, then=Value(str(label))) for value, label in choices),
        default=Value(""),
        output_field=CharField(),
    )


def tier_list_sql(customers: QuerySet[Customer], *, for_csv: bool) -> tuple[str, list]:
    """The tier list as one SELECT, a row per customer in COLUMNS order, sorted by code.

    For CSV the text columns are neutralised (in an outer SELECT, so that each column is computed once); for
    XLSX they are left as they are (string cells are never formulas) and amounts come as floats, which is what
    a spreadsheet stores.
    """
    manager = team_roles().active().filter(customer=OuterRef("pk"), role=TeamRoleKind.CUSTOMER_MANAGER)
    amount = F if for_csv else (lambda name: Cast(name, FloatField()))
    expressions = [
        F("code"),
        F("name"),
        F("tier"),
        F("region_id"),
        F("region__name"),
        F("industry_id"),
        F("industry__name"),
        _labels("industry__segment", Segment.choices),
        _labels("status", CustomerStatus.choices),
        F("handset_count"),
        amount("monthly_spend"),
        amount("informatization_revenue"),
        F("uscc"),
        Subquery(manager.order_by().values("user__username")[:1]),
        TierReasonsText(F("tier_reasons")),
    ]
    names = [f"column_{index}" for index in range(len(expressions))]
    inner = customers.annotate(**dict(zip(names, expressions, strict=True))).order_by("code").values_list(*names)
    sql, params = inner.query.sql_with_params()
    # OFFSET 0 keeps PostgreSQL from merging the two SELECTs, which would compute a column once per mention.
    fence = " OFFSET 0" if connection.vendor == "postgresql" else ""
    starts = ", ".join("%s" for _start in FORMULA_STARTS)
    outer = [
        f"CASE WHEN substr({name}, 1, 1) IN ({starts}) THEN '''' || {name} ELSE {name} END"
        if for_csv and kind == TEXT
        else name
        for name, (_header, kind) in zip(names, COLUMNS, strict=True)
    ]
    outer_params = [start for _header, kind in COLUMNS if for_csv and kind == TEXT for start in FORMULA_STARTS]
    return f"SELECT {', '.join(outer)} FROM ({sql}{fence}) AS list ORDER BY list.column_0", [*outer_params, *params]


def _rows(customers: QuerySet[Customer], *, for_csv: bool) -> Iterator[tuple]:
    """The rows of the list from a server-side cursor (on PostgreSQL), FETCH at a time."""
    sql, params = tier_list_sql(customers, for_csv=for_csv)
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(FETCH):
            yield from batch


class TierListCSV:
    """The CSV as an iterable of byte pieces: a BOM so that Excel reads UTF-8, a header, then the customers in
    batches; `rows` counts the customers written so far."""

    def __init__(self, customers: QuerySet[Customer]):
        self.customers = customers
        self.rows = 0

    def __iter__(self) -> Iterator[bytes]:
        header = io.StringIO()
        csv.writer(header).writerow(headers())
        yield (BOM + header.getvalue()).encode("utf-8")
        if connection.vendor == "postgresql":
            yield from self._copy_batches()
            return
        yield from csv_chunks(self._counted(_rows(self.customers, for_csv=True)))

    def _counted(self, rows: Iterator[list]) -> Iterator[list]:
        for row in rows:
            self.rows += 1
            yield row

    def _copy_batches(self) -> Iterator[bytes]:
        """`COPY (rows) TO STDOUT` for one range of codes after another, so that memory holds one batch at most;
        the ranges end at every BATCH-th code of the list, found by one pass over the codes."""
        codes_sql, codes_params = self.customers.order_by().values("code").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT code FROM (SELECT code, row_number() OVER (ORDER BY code) AS n FROM ({codes_sql}) AS c) "
                "AS t WHERE n %% %s = 0 ORDER BY code",
                [*codes_params, BATCH],
            )
            ends: list[str | None] = [code for (code,) in cursor.fetchall()] + [None]
            after = None
            for end in ends:
                batch = self.customers if after is None else self.customers.filter(code__gt=after)
                batch = batch if end is None else batch.filter(code__lte=end)
                sql, params = tier_list_sql(batch, for_csv=True)
                out = io.BytesIO()
                cursor.copy_expert(f"COPY ({cursor.mogrify(sql, params).decode()}) TO STDOUT WITH (FORMAT csv)", out)
                self.rows += cursor.rowcount
                yield out.getvalue()
                after = end


def write_csv(customers: QuerySet[Customer], target: IO[bytes]) -> int:
    """Write the CSV to a binary file; returns the number of customers written."""
    export = TierListCSV(customers)
    for chunk in export:
        target.write(chunk)
    return export.rows


def write_xlsx(customers: QuerySet[Customer], target: IO[bytes] | str, max_rows: int = XLSX_MAX_ROWS) -> int:
    """Write the list as XLSX, row by row in constant memory, continuing on a new sheet past `max_rows`;
    returns the number of customers written."""
    workbook = xlsxwriter.Workbook(target, {"constant_memory": True})
    title = _("Tier list")
    sheet, row_number, sheets, written = None, max_rows, 0, 0
    for row in _rows(customers, for_csv=False):
        if row_number >= max_rows:
            sheets += 1
            sheet = workbook.add_worksheet(title if sheets == 1 else f"{title} {sheets}")
            sheet.write_row(0, 0, headers())
            # Numbers as numbers; text as string cells, which are never formulas whatever they start with.
            writers = [sheet.write_number if kind == NUMBER else sheet.write_string for _header, kind in COLUMNS]
            row_number = 1
        for column, value in enumerate(row):
            if value is not None and value != "":
                writers[column](row_number, column, value)
        row_number += 1
        written += 1
    if sheet is None:
        workbook.add_worksheet(title).write_row(0, 0, headers())
    workbook.close()
    return written


def xlsx_file(customers: QuerySet[Customer]) -> IO[bytes]:
    """The XLSX in a temporary file (spilled to disk), rewound for streaming."""
    handle = tempfile.TemporaryFile()
    write_xlsx(customers, handle)
    handle.seek(0)
    return handle
