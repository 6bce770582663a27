"""The files the imports hand out (SPEC §8.4): a run's error file and a template per kind; the API and the pages
serve the same bytes.

- The error file (`ErrorFileCSV`) is the uploaded file's own header and every bad row of it, as uploaded, with a
  last column `错误原因` giving the reasons. Fixed in place, it goes in as it is: the importer reads past that column.
  It is streamed: the original file is read again and merged with the run's errors, both in line order.
- The templates (`template_xlsx`, `template_csv`): the kind's Chinese headers and an example row; the workbook has a
  second sheet, 说明, documenting every column.

Spreadsheet formulas are neutralised as in the tier list (`tiering.exports`): a cell that starts with = + - @, a tab
or a carriage return is written with a leading apostrophe.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import xlsxwriter
from django.utils.translation import gettext as _

from crm.csvstream import BOM, csv_chunks

from .files import FileRefused, open_source
from .kinds import KINDS
from .kinds.base import Kind, as_text
from .models import ImportIssue, ImportRun
from .services import ERROR_FILE_COLUMNS

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
REASON_HEADER = ERROR_FILE_COLUMNS[0]  # 错误原因
REASON_SEPARATOR = "; "
ISSUES_FETCH = 2_000
MESSAGE_KEPT = ImportIssue._meta.get_field("message").max_length
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Rows of the error file handed to the response at a time.
ROWS_PER_PIECE = 500
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
GUIDE_SHEET = "说明"


def neutralised(text: str) -> str:
    """A cell as a spreadsheet may open it without running it: a would-be formula gets a leading apostrophe."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cell_text(value: Any) -> str:
    """A cell of the original file as text the importer reads back to the same value: text as it was, whole
    numbers without `.0`, a spreadsheet's dates as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, datetime.datetime) and value.time() == datetime.time(0):
        return value.date().isoformat()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return as_text(value)


def issue_reason(column: str, message: str) -> str:
    return f"{column}: {message}" if column else message


def _header_text(cell: Any) -> str:
    return as_text(cell).lstrip(BOM).strip()


class ErrorFileCSV:
    """A run's error file as an iterable of byte pieces (UTF-8 with BOM), in constant memory.

    The first row is the file's header (the first row with any text in it, as the importer reads it) with
    `错误原因` added last (an `错误原因` or `errors` column already there, from an earlier error file, is left out, so
    that the reasons are this run's alone). Errors of the header itself (line 1) and of the file as a whole (line 0)
    follow as rows of their own, then every row that has errors, in line order, each with its reasons ("column:
    message", joined by "; ") under `错误原因`, whatever the row's width: a row shorter than the header is padded, the
    cells of a longer one beyond the header's columns come after the reasons. They stay unheaded there: fixed (the
    stray cells moved where they belong or deleted), the file goes in as it is; left as they are, the row is again
    one with too many cells — a header over them would be a column the importer does not know, or, read past like
    `错误原因`, cells dropped without a word.
    A file that cannot be read at all gives the line, column, value and reason of each error instead, after a row
    with the run's message (unless an error says it already).
    """

    def __init__(self, run: ImportRun):
        self.run = run
        self.rows = 0  # the bad rows written so far

    def __iter__(self) -> Iterator[bytes]:
        yield BOM.encode("utf-8")
        yield from csv_chunks(([neutralised(cell) for cell in row] for row in self._rows()), every=ROWS_PER_PIECE)

    def _issues(self) -> Iterator[ImportIssue]:
        return (
            ImportIssue.objects.filter(run=self.run)
            .order_by("line", "id")
            .only("line", "column", "value", "message")
            .iterator(chunk_size=ISSUES_FETCH)
        )

    def _rows(self) -> Iterator[list[str]]:
        try:
            source = open_source(Path(self.run.file_path))
            rows = iter(source.rows)
            header = next(((line, cells) for line, cells in rows if any(as_text(cell) for cell in cells)), None)
        except FileRefused:
            yield from self._listing(self.run.message)  # why, as the check said it, in the importer's language
            return
        except OSError:
            yield from self._listing(_("The uploaded file is no longer kept; here are its errors as recorded."))
            return
        if header is None:
            yield from self._listing("")
            return
        header_line, header_cells = header
        kept = [index for index, cell in enumerate(header_cells) if _header_text(cell) not in ERROR_FILE_COLUMNS]
        width = len(header_cells)
        blank = [""] * len(kept)

        def shaped(cells: list[Any], reasons: str) -> list[str]:
            """The cells under the header's columns (blank where the row is short), the reasons, then the cells
            beyond the header's columns."""
            own = [cell_text(cells[index]) if index < len(cells) else "" for index in kept]
            return [*own, reasons, *(cell_text(cell) for cell in cells[width:])]

        yield [cell_text(header_cells[index]) for index in kept] + [REASON_HEADER]
        issues = _by_line(self._issues())
        pending = next(issues, None)
        # The header's own errors are stored as line 1, wherever the header stands.
        while pending is not None and pending[0] <= header_line:
            yield [*blank, pending[1]]
            pending = next(issues, None)
        try:
            for line, cells in rows:
                if pending is None:
                    return
                while pending is not None and pending[0] < line:  # an error of no row of the file: keep it
                    yield [*blank, pending[1]]
                    pending = next(issues, None)
                if pending is not None and pending[0] == line:
                    self.rows += 1
                    yield shaped(cells, pending[1])
                    pending = next(issues, None)
        except FileRefused:  # the file was readable up to here when checked; nothing more to pair the errors with
            pass
        while pending is not None:
            yield [*blank, pending[1]]
            pending = next(issues, None)

    def _listing(self, note: str) -> Iterator[list[str]]:
        """The errors as a list (line, column, value, reason), after `note` or else the run's message, unless an
        error says it (a file refused whole has its reason among its errors)."""
        yield [_("Line"), _("Column"), _("Value"), REASON_HEADER]
        message = note or self.run.message
        if message and not ImportIssue.objects.filter(run=self.run, message=message[:MESSAGE_KEPT]).exists():
            yield ["", "", "", message]
        for issue in self._issues():
            yield [str(issue.line), issue.column, issue.value, issue.message]


def _by_line(issues: Iterable[ImportIssue]) -> Iterator[tuple[int, str]]:
    """(line, its reasons joined) for each line that has errors, from errors in line order."""
    line: int | None = None
    reasons: list[str] = []
    for issue in issues:
        if issue.line != line:
            if line is not None:
                yield line, REASON_SEPARATOR.join(reasons)
            line, reasons = issue.line, []
        reasons.append(issue_reason(issue.column, issue.message))
    if line is not None:
        yield line, REASON_SEPARATOR.join(reasons)


def error_file_name(run: ImportRun) -> str:
    return f"{Path(run.file_name).stem or 'import'}-errors-{run.pk}.csv"


# -- templates ---------------------------------------------------------------------------------------------------------


def template_rows(kind: Kind) -> list[list[str]]:
    """The template as rows of text: the Chinese headers and the example row."""
    return [[column.label for column in kind.columns], [column.example for column in kind.columns]]


def template_csv(kind: Kind) -> bytes:
    """The CSV template, UTF-8 with BOM (Excel opens it as such; the importer reads it as it is)."""
    buffer = io.StringIO()
    buffer.write(BOM)
    csv.writer(buffer).writerows([[neutralised(cell) for cell in row] for row in template_rows(kind)])
    return buffer.getvalue().encode("utf-8")


def _number(text: str) -> float | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return float(value) if value.is_finite() else None


def _width(text: str) -> int:
    """Columns a text takes in a spreadsheet: a Chinese character is about two."""
    return sum(2 if ord(char) > 0x2E80 else 1 for char in text)


def template_xlsx(kind: Kind) -> bytes:
    """The XLSX template: a sheet with the Chinese headers (frozen), an example row and columns wide enough; text
    columns are formatted as text, so that codes and mobile numbers keep their digits as typed. A second sheet,
    说明, documents every column: its header, its API field name (either may head the column), whether it is
    required, and its rule."""
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"in_memory": True, "strings_to_formulas": False})
    bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    text = workbook.add_format({"num_format": "@"})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    sheet = workbook.add_worksheet(kind.name)
    for position, column in enumerate(kind.columns):
        numeric = column.sql_type in ("integer", "numeric", "float")
        width = max(_width(column.label), _width(column.example), len(column.name)) + 4
        sheet.set_column(position, position, min(width, 60), None if numeric else text)
        sheet.write_string(0, position, column.label, bold)
        if not column.example:
            continue
        number = _number(column.example) if numeric else None
        if number is None:
            sheet.write_string(1, position, column.example, None if numeric else text)
        else:
            sheet.write_number(1, position, number)
    sheet.freeze_panes(1, 0)

    guide = workbook.add_worksheet(GUIDE_SHEET)
    headers = [_("Column header"), _("API field name"), _("Required"), _("Rule")]
    for position, header in enumerate(headers):
        guide.write_string(0, position, header, bold)
    for row, column in enumerate(kind.columns, start=1):
        guide.write_string(row, 0, column.label)
        guide.write_string(row, 1, column.name)
        guide.write_string(row, 2, _("yes") if column.required else _("no"))
        guide.write_string(row, 3, str(column.rule), wrap)
    notes = [
        _("Either the Chinese header or the API field name may head a column; columns may come in any order."),
        _("Columns that are not required may be left out; a new row still needs what its rule says it needs."),
        _("Save as XLSX, as “CSV UTF-8” or as “CSV” (GB18030); the first row must be the header."),
    ]
    for offset, note in enumerate(notes, start=len(kind.columns) + 2):
        guide.write_string(offset, 0, note)
    guide.set_column(0, 0, max(_width(column.label) for column in kind.columns) + 4)
    guide.set_column(1, 1, max(len(column.name) for column in kind.columns) + 4)
    guide.set_column(2, 2, 10)
    guide.set_column(3, 3, 70, wrap)
    guide.freeze_panes(1, 0)
    workbook.close()
    return output.getvalue()


def template_for(kind_name: str, file_format: str) -> tuple[bytes, str, str]:
    """(content, content type, file name) of a kind's template; KeyError for an unknown kind or format."""
    kind = KINDS[kind_name]
    if file_format == "xlsx":
        return template_xlsx(kind), XLSX_CONTENT_TYPE, f"{kind.name}-template.xlsx"
    if file_format == "csv":
        return template_csv(kind), CSV_CONTENT_TYPE, f"{kind.name}-template.csv"
    raise KeyError(file_format)
