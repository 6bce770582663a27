"""Tier lists (分级清单, SPEC §4.4): CSV (UTF-8 with BOM) and XLSX, streamed in constant memory.

Spreadsheet formulas are neutralised: a text cell that starts with = + - @, a tab or a carriage return is written
as text (CSV: prefixed with an apostrophe; XLSX: typed as a string), while numbers stay numbers.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import IO

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from accounts.models import Customer, CustomerStatus, Segment
from teams.models import TeamRole, TeamRoleKind

from .rules import reason_text

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAX_ROWS = 1_048_576  # Excel's limit per sheet, header row included
ITERATOR_CHUNK = 5_000

COLUMNS = [
    # (header, value path)
    (gettext_lazy("Customer code"), "code"),
    (gettext_lazy("Customer name"), "name"),
    (gettext_lazy("Tier"), "tier"),
    (gettext_lazy("Region code"), "region_id"),
    (gettext_lazy("Region"), "region__name"),
    (gettext_lazy("Industry code"), "industry_id"),
    (gettext_lazy("Industry"), "industry__name"),
    (gettext_lazy("Segment"), "industry__segment"),
    (gettext_lazy("Status"), "status"),
    (gettext_lazy("Handsets"), "handset_count"),
    (gettext_lazy("Monthly spend (CNY)"), "monthly_spend"),
    (gettext_lazy("Informatization revenue (CNY/month)"), "informatization_revenue"),
    (gettext_lazy("Unified social credit code"), "uscc"),
    (gettext_lazy("Customer manager"), "customer_manager"),
    (gettext_lazy("Tier reasons"), "tier_reasons"),
]


def headers() -> list[str]:
    return [str(header) for header, _path in COLUMNS]


def rows(customers: QuerySet[Customer]) -> Iterator[list]:
    """One list per customer, in COLUMNS order, read with a server-side cursor."""
    manager = TeamRole.objects.active().filter(customer=OuterRef("pk"), role=TeamRoleKind.CUSTOMER_MANAGER)
    queryset = customers.annotate(customer_manager=Subquery(manager.values("user__username")[:1])).order_by("code")
    segments = dict(Segment.choices)
    statuses = dict(CustomerStatus.choices)
    for values in queryset.values_list(*(path for _header, path in COLUMNS)).iterator(chunk_size=ITERATOR_CHUNK):
        row = list(values)
        row[7] = str(segments.get(row[7], "")) if row[7] else ""
        row[8] = str(statuses.get(row[8], row[8]))
        row[14] = "; ".join(reason_text(reason) for reason in row[14] or [])
        yield row


def neutralise(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_chunks(customers: QuerySet[Customer]) -> Iterator[str]:
    """The CSV as text pieces: a BOM so that Excel reads UTF-8, then a header and one line per customer."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(headers())
    for row in rows(customers):
        yield writer.writerow(["" if value is None else neutralise(value) for value in row])


def write_xlsx(customers: QuerySet[Customer], target: IO[bytes], max_rows: int = XLSX_MAX_ROWS) -> int:
    """Write the list as XLSX in write-only mode, continuing on a new sheet past `max_rows`; returns rows written."""
    workbook = Workbook(write_only=True)
    title = _("Tier list")
    sheet, sheet_rows, sheets, written = None, max_rows, 0, 0
    for row in rows(customers):
        if sheet_rows >= max_rows:
            sheets += 1
            sheet = workbook.create_sheet(title if sheets == 1 else f"{title} {sheets}")
            sheet.append(headers())
            sheet_rows = 1
        sheet.append([_xlsx_cell(sheet, value) for value in row])
        sheet_rows += 1
        written += 1
    if sheet is None:
        workbook.create_sheet(title).append(headers())
    workbook.save(target)
    return written


def _xlsx_cell(sheet, value):
    if isinstance(value, Decimal):
        return value
    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"  # never a formula, whatever the text starts with
        return cell
    return value


def xlsx_file(customers: QuerySet[Customer]) -> IO[bytes]:
    """The XLSX in a temporary file (spilled to disk), rewound for streaming."""
    handle = tempfile.TemporaryFile()
    write_xlsx(customers, handle)
    handle.seek(0)
    return handle


def write_csv(customers: QuerySet[Customer], target: IO[str]) -> int:
    """Write the CSV to a file; returns the number of customers written (the header not counted)."""
    lines = 0
    for chunk in csv_chunks(customers):
        target.write(chunk)
        lines += 1
    return lines - 1


def as_lines(chunks: Iterable[str]) -> Iterator[bytes]:
    for chunk in chunks:
        yield chunk.encode("utf-8")
