"""Tier lists (分级清单, SPEC §4.4): CSV (UTF-8 with BOM) and XLSX, streamed in constant memory.

One query defines the list: every column, labels in the user's language, the manager by name and the reasons as
people read them (`tiering.reasons`), is computed by the database (`tier_list_sql`). On PostgreSQL the CSV is that
query's own `COPY … TO STDOUT`: written to a file in one statement (`write_csv`), streamed as a download in batches
of codes (`TierListCSV`); on SQLite the same rows go through Python's csv writer. The XLSX is streamed to disk by a
writer in Rust (rustpy-xlsxwriter) in constant memory, ready to send: columns sized, the header frozen and filtered,
money as `#,##0.00`, printed landscape one page wide with the header on every page.

Spreadsheet formulas are neutralised: a text cell that starts with = + - @, a tab or a carriage return is written
as text (CSV: prefixed with an apostrophe; XLSX: a string cell, never a formula), while numbers stay numbers.
"""

from __future__ import annotations

import csv
import datetime
import io
import itertools
import os
import shutil
import tempfile
import unicodedata
from collections.abc import Iterator
from typing import IO
from urllib.parse import quote

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    F,
    FloatField,
    Func,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat, NullIf
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rustpy_xlsxwriter import FastExcel, Format

from accounts.data.industries import DIVISIONS
from accounts.models import Customer, CustomerStatus, Segment, team_roles
from crm.csvstream import BOM, csv_chunks
from crm.models import TeamRoleKind

from .reasons import ReasonWords, reason_words, reasons_joined_sql, reasons_sql

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAX_ROWS = 1_048_576  # Excel's limit per sheet, header row included
BATCH = 50_000  # customers per COPY batch (≈ 8 MB of CSV)
FETCH = 5_000  # rows per fetch from the server-side cursor: Python holds rows as objects, twenty times the bytes


TEXT, NUMBER, MONEY = "text", "number", "money"


def display_width(text: str) -> int:
    """How many characters of the default font `text` takes: a Chinese (wide) character counts two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


# The industry's column holds the longest name of the classification (GB/T 4754 divisions) uncut.
INDUSTRY_WIDTH = max(display_width(name) for _code, name, _segment in DIVISIONS) + 1
# The reasons wrap within their column (Excel grows the row): two or three lines for the longest
# (`手机数量 3 576 ≥ 500；月均消费（元） 203 247.20 ≥ 100 000.00；…`), not one line cut at the page's edge.
REASONS_WIDTH = 50

COLUMNS = [
    # (header, kind, width in the XLSX: characters of the default font, a Chinese character counting two)
    (gettext_lazy("Customer code"), TEXT, 12),
    (gettext_lazy("Customer name"), TEXT, 32),
    (gettext_lazy("Tier"), TEXT, 6),
    (gettext_lazy("Region code"), TEXT, 10),
    (gettext_lazy("Region"), TEXT, 12),
    (gettext_lazy("Industry code"), TEXT, 9),
    (gettext_lazy("Industry"), TEXT, INDUSTRY_WIDTH),
    (gettext_lazy("Segment"), TEXT, 12),
    (gettext_lazy("Status"), TEXT, 8),
    (gettext_lazy("Handsets"), NUMBER, 10),
    (gettext_lazy("Monthly spend (CNY)"), MONEY, 16),
    (gettext_lazy("Informatization revenue (CNY/month)"), MONEY, 18),
    (gettext_lazy("Unified social credit code"), TEXT, 21),
    (gettext_lazy("Customer manager"), TEXT, 12),
    (gettext_lazy("Tier reasons"), TEXT, REASONS_WIDTH),
]
MONEY_FORMAT = "#,##0.00"


def headers() -> list[str]:
    return [str(header) for header, _kind, _width in COLUMNS]


class TierReasonsText(Func):
    """The reasons as people read them (`tiering.reasons.reason_display`, in the language active when built),
    joined by the language's separator (`；` in Chinese, `; ` in English; empty when there are none).

    PostgreSQL writes them in the query (`tiering.reasons.reasons_sql`, from the same words); SQLite calls
    `reason_display` itself through a function registered on each connection (tiering.apps). Tests hold the two
    to the same text.
    """

    output_field = TextField()

    def __init__(self, expression, words: ReasonWords | None = None, **extra):
        self.words = reason_words() if words is None else words
        super().__init__(expression, **extra)

    def as_postgresql(self, compiler, connection, **extra):
        reasons, params = compiler.compile(self.source_expressions[0])
        return reasons_sql(reasons, params, self.words)

    def as_sqlite(self, compiler, connection, **extra):
        reasons, params = compiler.compile(self.source_expressions[0])
        return f"tier_reasons_text({reasons}, %s)", [*params, self.words.as_json()]


def _labels(field: str, choices) -> Case:
    return Case(
        *(When(**{field: value}, then=Value(str(label))) for value, label in choices),
        default=Value(""),
        output_field=CharField(),
    )


def tier_list_sql(
    customers: QuerySet[Customer], *, for_csv: bool, words: ReasonWords | None = None
) -> tuple[str, list]:
    """The tier list as one SELECT, a row per customer in COLUMNS order, sorted by code.

    For CSV the text columns are neutralised (in an outer SELECT); for XLSX they are left as they are (string
    cells are never formulas) and amounts come as floats, which is what a spreadsheet stores. The manager is named
    as `User.display_name` names him (family name first, else the username), joined from the customer managers of
    today (a join, where a subquery in the select list took twice the time). A customer has one customer manager
    at a time at most (the team roles' exclusion constraint), so the join adds no row.

    On PostgreSQL the reasons' text is a LATERAL join over each row's reasons rather than a subquery in the select
    list, which would keep the whole list from being computed by parallel workers; the two SELECTs are left for
    the planner to merge (the outer one then computes a label's CASE twice, nothing costly). A million rows' CSV
    went out in 4.5–4.7 s against 7.8–8.5 s (docs/PERFORMANCE.md, 2026-12-06).
    """
    words = reason_words() if words is None else words
    postgres = connection.vendor == "postgresql"
    amount = F if for_csv else (lambda name: Cast(name, FloatField()))
    joined = F("pk")  # the key the manager is joined by, in the manager's column
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
        joined,
        F("tier_reasons") if postgres else TierReasonsText(F("tier_reasons"), words),
    ]
    names = [f"column_{index}" for index in range(len(expressions))]
    inner = customers.annotate(**dict(zip(names, expressions, strict=True))).order_by().values_list(*names)
    sql, params = inner.query.sql_with_params()
    managers = (
        team_roles()
        .active()
        .filter(role=TeamRoleKind.CUSTOMER_MANAGER)
        .annotate(
            shown=Coalesce(
                NullIf(Concat("user__last_name", "user__first_name", output_field=CharField()), Value("")),
                "user__username",
                output_field=CharField(),
            )
        )
        .order_by()
        .values_list("customer_id", "shown")
    )
    managers_sql, managers_params = managers.query.sql_with_params()
    columns = [f"list.{name}" for name in names]
    manager_at = expressions.index(joined)
    key_column, columns[manager_at] = columns[manager_at], "manager.shown"
    lateral, lateral_params = "", []
    if postgres:
        joined_sql, lateral_params = reasons_joined_sql(columns[-1], [], words)
        lateral = f" LEFT JOIN LATERAL ({joined_sql}) AS reasons (text) ON true"
        columns[-1] = "COALESCE(reasons.text, '')"
    # A text that starts like a formula is told by its first character's code point (`ascii` on PostgreSQL,
    # `unicode` on SQLite), compared with integers: cheaper than comparing its first letter as text, which cost a
    # third of the CSV's time over a million rows.
    first = "ascii" if postgres else "unicode"
    starts = ", ".join(str(ord(start)) for start in FORMULA_STARTS)
    outer = [
        f"CASE WHEN {first}({column}) IN ({starts}) THEN '''' || {column} ELSE {column} END"
        if for_csv and kind == TEXT
        else column
        for column, (_header, kind, _width) in zip(columns, COLUMNS, strict=True)
    ]
    return (
        f"SELECT {', '.join(outer)} FROM ({sql}) AS list "
        f"LEFT JOIN ({managers_sql}) AS manager ON manager.customer_id = {key_column}{lateral} "
        "ORDER BY list.column_0",
        [*params, *managers_params, *lateral_params],
    )


def _rows(customers: QuerySet[Customer], *, for_csv: bool, words: ReasonWords | None = None) -> Iterator[tuple]:
    """The rows of the list from a server-side cursor (on PostgreSQL), FETCH at a time."""
    try:
        sql, params = tier_list_sql(customers, for_csv=for_csv, words=words)
    except EmptyResultSet:  # e.g. `.none()`: no statement to run, and nobody to list
        return
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(FETCH):
            yield from batch


class TierListCSV:
    """The CSV as an iterable of byte pieces: a BOM so that Excel reads UTF-8, a header, then the customers in
    batches; `rows` counts the customers written so far. The words are those of the language active when it is
    made: a streamed response is read after the view has returned."""

    def __init__(self, customers: QuerySet[Customer]):
        self.customers = customers
        self.rows = 0
        self.headers = headers()
        self.words = reason_words()

    def __iter__(self) -> Iterator[bytes]:
        yield _csv_header(self.headers)
        if connection.vendor == "postgresql":
            yield from self._copy_batches()
            return
        yield from csv_chunks(self._counted(_rows(self.customers, for_csv=True, words=self.words)))

    def _counted(self, rows: Iterator[list]) -> Iterator[list]:
        for row in rows:
            self.rows += 1
            yield row

    def _copy_batches(self) -> Iterator[bytes]:
        """`COPY (rows) TO STDOUT` for one range of codes after another, so that memory holds one batch at most;
        the ranges end at every BATCH-th code of the list, found by one pass over the codes."""
        try:
            codes_sql, codes_params = self.customers.order_by().values("code").query.sql_with_params()
        except EmptyResultSet:
            return
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
                sql, params = tier_list_sql(batch, for_csv=True, words=self.words)
                out = io.BytesIO()
                cursor.copy_expert(f"COPY ({cursor.mogrify(sql, params).decode()}) TO STDOUT WITH (FORMAT csv)", out)
                self.rows += cursor.rowcount
                yield out.getvalue()
                after = end


def _csv_header(titles: list[str]) -> bytes:
    """The CSV's first bytes: a BOM, so that Excel reads UTF-8, and the header row."""
    header = io.StringIO()
    csv.writer(header).writerow(titles)
    return (BOM + header.getvalue()).encode("utf-8")


def write_csv(customers: QuerySet[Customer], target: IO[bytes]) -> int:
    """Write the CSV to a binary file; returns the number of customers written.

    On PostgreSQL the list is one `COPY … TO STDOUT` written straight into the file as it comes: no batches to cut
    (a pass over the codes and a statement each, 1 s of 7 over a million), memory flat whatever its length. The
    same bytes as the streamed response (`TierListCSV`), which a test holds."""
    if connection.vendor != "postgresql":
        export = TierListCSV(customers)
        for chunk in export:
            target.write(chunk)
        return export.rows
    target.write(_csv_header(headers()))
    try:
        sql, params = tier_list_sql(customers, for_csv=True)
    except EmptyResultSet:
        return 0
    with connection.cursor() as cursor:
        cursor.copy_expert(f"COPY ({cursor.mogrify(sql, params).decode()}) TO STDOUT WITH (FORMAT csv)", target)
        return cursor.rowcount


class ListChanged(Exception):
    """The list grew past a sheet's last row between counting it and writing it: refused rather than cut."""


def _xlsx_formats(titles: list[str]) -> tuple[Format, dict[str, Format]]:
    """The header's format, and the formats of the columns that have one, by header: money as #,##0.00, the
    reasons wrapped from the top of the row. The writer gives a column's format to each of its cells."""
    # a long header wraps (Excel grows the row) rather than being cut by the next column
    header = Format().set_bold().set_background_color("#DDEBF7").set_border_bottom("thin")
    header = header.set_align("vcenter").set_text_wrap()
    money = Format().set_num_format(MONEY_FORMAT)
    columns = {title: money for title, (_h, kind, _w) in zip(titles, COLUMNS, strict=True) if kind == MONEY}
    columns[titles[-1]] = Format().set_text_wrap().set_align("top")
    return header, columns


# Printed landscape on A4, one page wide and as many pages down as it takes, the header repeated on every page and
# the page number in the footer.
PAGE_SETUP = {
    "landscape": True,
    "paper_size": 9,  # A4
    "fit_to_pages": (1, 0),
    "repeat_rows": 0,
    "margins": {"left": 0.4, "right": 0.4, "top": 0.6, "bottom": 0.6},
    "footer": "&C&P / &N",
}


def write_xlsx(
    customers: QuerySet[Customer], target: IO[bytes] | str | os.PathLike, max_rows: int = XLSX_MAX_ROWS
) -> int:
    """Write the list as XLSX, continuing on a new sheet past `max_rows` (rows of a sheet, its header included);
    returns the number of customers written.

    rustpy-xlsxwriter (rust_xlsxwriter) writes it: it takes the rows as they come from the database and streams
    them to disk in constant memory, about ten times as fast as XlsxWriter does in Python. Text goes into string
    cells, never formulas, whatever it starts with; numbers stay numbers. The writer is given every sheet before
    it writes, so the customers are counted first; a list that grew past a sheet's last row meanwhile is refused
    (`ListChanged`), never cut. Given a file object, the workbook is written to a file beside it and copied in: the
    writer holds a whole workbook in memory when it writes to a file object."""
    if not isinstance(target, str | os.PathLike):
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "tier-list.xlsx")
            written = write_xlsx(customers, path, max_rows)
            with open(path, "rb") as source:
                shutil.copyfileobj(source, target)
        return written
    titles, words = headers(), reason_words()
    header_format, column_formats = _xlsx_formats(titles)
    per_sheet = max_rows - 1
    sheets = max(1, -(-customers.count() // per_sheet))
    rows = iter(_rows(customers, for_csv=False, words=words))
    written = 0

    def records(last: bool) -> Iterator[dict]:
        nonlocal written
        taken = 0
        for row in itertools.islice(rows, per_sheet):
            taken += 1
            yield dict(zip(titles, row, strict=True))
        written += taken
        if last and taken == per_sheet and next(rows, None) is not None:
            raise ListChanged(_("The list changed while it was being written. Export it again."))
        if not taken:  # a row of blanks writes the header alone: an empty sheet is still laid out
            yield dict.fromkeys(titles)

    book = FastExcel(target).freeze(row=1)
    title = _("Tier list")
    for number in range(1, sheets + 1):
        book.sheet(
            title if number == 1 else f"{title} {number}",
            records(last=number == sheets),
            column_widths=[width for _header, _kind, width in COLUMNS],
            column_formats=column_formats,
            header_format=header_format,
            autofilter=True,
            page_setup=PAGE_SETUP,
        )
    book.save()
    return written


def file_name(*, region_name: str | None, tier: str | None, day: datetime.date, extension: str) -> str:
    """What the list is called on the user's disk, in the user's language: `分级清单-成都市-A-2026-12-03.xlsx`."""
    parts = [_("Tier list"), region_name, tier, day.isoformat()]
    return "-".join(part for part in parts if part) + f".{extension}"


def attachment(name: str, fallback: str) -> str:
    """A Content-Disposition for a download named `name` (RFC 6266): `filename*` in UTF-8 (RFC 5987) for the
    Chinese, and an ASCII `filename` for the clients that read only that."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def xlsx_file(customers: QuerySet[Customer]) -> IO[bytes]:
    """The XLSX in a temporary file, open for streaming; its name is gone once it is open."""
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "tier-list.xlsx")
        write_xlsx(customers, path)
        return open(path, "rb")  # noqa: SIM115 - the response closes it


MOVER_COLUMNS = [
    gettext_lazy("Customer code"),
    gettext_lazy("Customer name"),
    gettext_lazy("City"),
    gettext_lazy("Region"),
    gettext_lazy("Tier now"),
    gettext_lazy("Tier under the rule set"),
    gettext_lazy("Reasons under the rule set"),
    gettext_lazy("Reasons now"),
]


def _neutralised(value):
    """A text cell a spreadsheet would read as a formula, written as text (an apostrophe in front)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class MoversCSV:
    """Every customer a simulated rule set would move (`tiering.selectors.simulation_movers`), as streamed CSV: a
    BOM, a header, then a row per customer from a server-side cursor, FETCH at a time, in constant memory. The
    reasons are written by the database in the user's language (`TierReasonsText`), the city named from the few
    cities at hand; `rows` counts the customers written so far."""

    def __init__(self, movers: QuerySet[Customer], city_names: dict[str, str]):
        self.movers = movers
        self.city_names = city_names
        self.rows = 0
        self.headers = [str(header) for header in MOVER_COLUMNS]
        self.words = reason_words()

    def __iter__(self) -> Iterator[bytes]:
        header = io.StringIO()
        csv.writer(header).writerow(self.headers)
        yield (BOM + header.getvalue()).encode("utf-8")
        yield from csv_chunks(self._rows())

    def _rows(self) -> Iterator[list]:
        listed = self.movers.annotate(
            new_reasons_text=TierReasonsText(F("new_reasons"), self.words),
            reasons_text=TierReasonsText(F("tier_reasons"), self.words),
        ).values_list("code", "name", "city", "region__name", "tier", "new_tier", "new_reasons_text", "reasons_text")
        try:
            sql, params = listed.query.sql_with_params()
        except EmptyResultSet:
            return
        with connection.chunked_cursor() as cursor:
            cursor.execute(sql, params)
            while batch := cursor.fetchmany(FETCH):
                for code, name, city, region, tier, new_tier, new_reasons, reasons in batch:
                    self.rows += 1
                    yield [
                        _neutralised(code),
                        _neutralised(name),
                        self.city_names.get(city, city),
                        _neutralised(region),
                        tier or "",
                        new_tier or "",
                        new_reasons or "",
                        reasons or "",
                    ]


def movers_file_names(*, scope_name: str, scope_code: str, version: int, day: datetime.date) -> tuple[str, str]:
    """The movers' file name in the user's language and its ASCII stand-in:
    `分级模拟变动清单-四川省-v3-2026-12-03.csv` and `tier-simulation-movers-510000-v3-2026-12-03.csv`."""
    name = "-".join([_("Tier simulation movers"), scope_name, f"v{version}", day.isoformat()]) + ".csv"
    return name, f"tier-simulation-movers-{scope_code}-v{version}-{day.isoformat()}.csv"
