"""Reading an uploaded file as rows of cells (SPEC §8.4): CSV in UTF-8, UTF-8 with BOM or GB18030, detected and
never guessed silently, and XLSX (its first sheet, cells as typed).

A file that cannot be read as any of these is refused whole (`FileRefused`) with a message that says why.
"""

from __future__ import annotations

import codecs
import csv
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

UTF8_BOM = codecs.BOM_UTF8
XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls (and other OLE documents)
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
READ_BLOCK = 1 << 20
# A cell longer than this is no BOSS field: the csv module's own limit (128 KiB) would raise a bare error.
CSV_FIELD_LIMIT = 1 << 20


class FileRefused(Exception):
    """The file as a whole cannot be read; the message says why, in the importer's language."""


@dataclass
class Source:
    """An open file: its format (`csv` or `xlsx`), its encoding (CSV), and its rows as (line number, cells)."""

    format: str
    encoding: str
    rows: Iterator[tuple[int, list[Any]]]


def open_source(path: Path) -> Source:
    with path.open("rb") as head_file:
        head = head_file.read(8)
    if not head:
        raise FileRefused(_("The file is empty."))
    if head.startswith(XLSX_MAGIC):
        return Source("xlsx", "", _xlsx_rows(path))
    if head.startswith(OLE_MAGIC):
        raise FileRefused(_("This is an old Excel (.xls) file: save it as .xlsx or as CSV, then upload it again."))
    if path.suffix.lower() == ".xlsx":
        raise FileRefused(_("The file is named .xlsx but is not a readable Excel workbook (damaged or truncated)."))
    if head.startswith(UTF16_BOMS):
        raise FileRefused(
            _("This CSV is in UTF-16 (Excel's “Unicode text”). Save it as “CSV UTF-8” or as “CSV” (GB18030).")
        )
    encoding = detect_encoding(path)
    return Source("csv", encoding, csv_rows(path, encoding))


def detect_encoding(path: Path) -> str:
    """`utf-8-sig` with a BOM; else `utf-8` when the whole file decodes as UTF-8 (plain ASCII included); else
    `gb18030` when it decodes as that; else the file is refused. The whole file is decoded, in blocks. A NUL byte
    (binary data, or UTF-16 without its BOM) refuses the file, naming its line."""
    _refuse_nul(path)
    with path.open("rb") as file:
        if file.read(3) == UTF8_BOM:
            return "utf-8-sig" if _decodes(path, "utf-8-sig") else _refuse_encoding()
    for encoding in ("utf-8", "gb18030"):
        if _decodes(path, encoding):
            return encoding
    return _refuse_encoding()


def _refuse_encoding() -> str:
    raise FileRefused(
        _(
            "The file's text is in none of the accepted encodings (UTF-8, UTF-8 with BOM, GB18030). "
            "In Excel, save it as “CSV UTF-8” or “CSV”."
        )
    )


def _refuse_nul(path: Path) -> None:
    with path.open("rb") as file:
        offset = 0
        while block := file.read(READ_BLOCK):
            position = block.find(b"\x00")
            if position >= 0:
                file.seek(0)
                line = file.read(offset + position).count(b"\n") + 1  # counted only for a file refused
                raise FileRefused(
                    _("Line %(line)d contains a NUL character: this is not a text file.") % {"line": line}
                )
            offset += len(block)


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        with path.open("rb") as file:
            while block := file.read(READ_BLOCK):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def csv_rows(path: Path, encoding: str) -> Iterator[tuple[int, list[Any]]]:
    csv.field_size_limit(CSV_FIELD_LIMIT)
    with path.open(encoding=encoding, newline="") as file:
        reader = csv.reader(file, strict=True)
        line = 1
        try:
            for cells in reader:
                yield line, cells
                line = reader.line_num + 1
        except csv.Error as exc:
            raise FileRefused(
                _("Line %(line)d cannot be read as CSV: %(error)s") % {"line": reader.line_num or line, "error": exc}
            ) from None


# python-calamine reads a sheet whole into memory (about 100 bytes a cell): it reads a sheet up to this many cells; a
# larger one is streamed by `imports.xlsx`, about as fast and in constant memory, so that an import's memory stays
# bounded whatever the workbook's size (docs/PERFORMANCE.md).
CALAMINE_MAX_CELLS = 1_500_000


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[Any]]]:
    cells = _sheet_cells(path)
    if cells is not None and cells <= CALAMINE_MAX_CELLS:
        return _calamine_rows(path)
    return _streamed_rows(path)


def _sheet_cells(path: Path) -> int | None:
    """The first sheet's cell count as its `<dimension>` states it (openpyxl reads only that), or None."""
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True)
        try:
            sheet = workbook.worksheets[0]
            rows, columns = sheet.max_row, sheet.max_column
        finally:
            workbook.close()
    except Exception:  # a damaged workbook: calamine's reader says what is wrong with it
        return 0
    return rows * columns if rows and columns else None


def _streamed_rows(path: Path) -> Iterator[tuple[int, list[Any]]]:
    from xml.etree.ElementTree import ParseError

    from .xlsx import sheet_rows

    try:
        yield from sheet_rows(str(path))
    except (zipfile.BadZipFile, KeyError, IndexError, ValueError, ParseError, OSError, EOFError) as exc:
        raise FileRefused(_("The workbook cannot be read (damaged or truncated): %(error)s") % {"error": exc}) from None


def _calamine_rows(path: Path) -> Iterator[tuple[int, list[Any]]]:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        if not workbook.sheet_names:
            raise FileRefused(_("The workbook has no sheet."))
        sheet = workbook.get_sheet_by_index(0)
        start = sheet.start  # (row, column) of the first used cell, 0-based; None for an empty sheet
        if start is None:
            return
        # iter_rows gives every row from the sheet's first (blank ones above the data included), and the cells
        # from the first used column on.
        padding = [""] * start[1]
        for index, cells in enumerate(sheet.iter_rows()):
            yield index + 1, padding + list(cells) if padding else list(cells)
    except (CalamineError, zipfile.BadZipFile, ValueError, OSError) as exc:
        raise FileRefused(_("The workbook cannot be read (damaged or truncated): %(error)s") % {"error": exc}) from None
