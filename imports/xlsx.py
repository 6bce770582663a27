"""The first sheet of a large XLSX, streamed: fast and in bounded memory.

No maintained reader does both (docs/PERFORMANCE.md): python-calamine reads a sheet whole into memory (1.35 GB
for 1 000 000 rows of 14 cells) and openpyxl's read-only mode streams at about 6 000 rows a second, its time
going into one Python object per XML element. This reader inflates the sheet's XML as it goes and reads each
row's text with regular expressions (the C engine walks the markup; Python sees one match a cell), and gives
every cell the value openpyxl gives it with `data_only=True`, with openpyxl's own pieces: its shared-string table
reader, its list of built-in number formats, its test of a date format and its conversion of a date serial.
tests/imports/test_xlsx.py reads workbooks of every shape both ways and finds the same rows.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Iterator
from typing import Any
from xml.etree import ElementTree

from openpyxl.reader.strings import read_string_table
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel, from_ISO8601

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
RELATIONSHIPS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PACKAGE_RELATIONSHIPS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
CHUNK = 1 << 20

# Elements may carry a namespace prefix (`<x:row>`, as some writers put it).
ROW = re.compile(r"<(?:\w+:)?row\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?row>)", re.S)
CELL = re.compile(r"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
ATTRIBUTE = re.compile(r"""\b([rts])\s*=\s*(?:"([^"]*)"|'([^']*)')""")
VALUE = re.compile(r"<(?:\w+:)?v\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?v>)", re.S)
# An inline string's text: its <t> and those of its runs (<r><t>), not the phonetic ones (<rPh><t>).
PHONETIC = re.compile(r"<(?:\w+:)?rPh\b.*?</(?:\w+:)?rPh>", re.S)
TEXT = re.compile(r"<(?:\w+:)?t\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?t>)", re.S)
# The cell as most writers put it (Excel, xlsxwriter, openpyxl): a reference, a style, a type, then a value or an
# inline string; a row whose cells are not all so is read by the general expressions above.
PLAIN_CELL = re.compile(
    r'<c r="([A-Z]+)[0-9]+"(?: s="([0-9]+)")?(?: t="([a-zA-Z]+)")?'
    r"(?:/>|>(?:<v>([^<&]*)</v>|<is><t>([^<&]*)</t></is>)?</c>)"
)
ROW_START = re.compile(r"<row[\s>/]")  # not <rowBreaks>
ROW_NUMBER = re.compile(r"""\br\s*=\s*["'](\d+)["']""")
DIMENSION = re.compile(r'<(?:\w+:)?dimension\b[^>]*\bref="[A-Z]+\d+:([A-Z]+)\d+"')
ROW_END = re.compile(r"</(?:\w+:)?row>|<(?:\w+:)?row\b[^>]*/>")


class Workbook:
    """What the cells of the first sheet need: its path in the archive, the shared strings, which styles are dates
    (and durations), and the workbook's date system."""

    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        sheets = workbook.find(f"{MAIN}sheets")
        if sheets is None or not len(sheets):
            raise ValueError("the workbook has no sheet")
        first = sheets[0].get(f"{RELATIONSHIPS}id")
        relations = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        parts = {}  # relationship id, and type (its last word) → the part's path in the archive
        for relation in relations.iter(f"{PACKAGE_RELATIONSHIPS}Relationship"):
            target = relation.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
            parts[relation.get("Id")] = path
            parts.setdefault(relation.get("Type", "").rsplit("/", 1)[-1], path)
        self.sheet = parts[first]
        properties = workbook.find(f"{MAIN}workbookPr")
        date1904 = properties is not None and properties.get("date1904") in ("1", "true")
        self.epoch = CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900
        names = set(archive.namelist())
        self.strings: list[str] = []
        if parts.get("sharedStrings") in names:
            with archive.open(parts["sharedStrings"]) as source:
                self.strings = list(read_string_table(source))
        self.positions: dict[str, int] = {}  # column letters → index
        # Whether the sheet's elements have no namespace prefix (the plain cells are looked for only then).
        with archive.open(self.sheet) as head:
            self.plain = "<sheetData" in head.read(CHUNK).decode("utf-8", "ignore")
        # The styles (their index as the cells write it, "s") whose number format is a date, a duration.
        self.dates: set[str] = set()
        self.durations: set[str] = set()
        if parts.get("styles") in names:
            self._styles(ElementTree.fromstring(archive.read(parts["styles"])))

    def _styles(self, styles: ElementTree.Element) -> None:
        formats = dict(BUILTIN_FORMATS)
        custom = styles.find(f"{MAIN}numFmts")
        for number_format in custom if custom is not None else ():
            formats[int(number_format.get("numFmtId", "0"))] = number_format.get("formatCode", "")
        cell_formats = styles.find(f"{MAIN}cellXfs")
        for index, cell_format in enumerate(cell_formats if cell_formats is not None else ()):
            code = formats.get(int(cell_format.get("numFmtId", "0")), "")
            if code and is_date_format(code):
                self.dates.add(str(index))
                if is_timedelta_format(code):
                    self.durations.add(str(index))
        for styles_of in (self.dates, self.durations):
            if "0" in styles_of:
                styles_of.add("")  # a cell without a style has the first

    def rows(self) -> Iterator[tuple[int, list[Any]]]:
        """(row number, cells) of every row with a cell, each as wide as the sheet's stated range at least."""
        with self.archive.open(self.sheet) as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8")
            pending, width, previous = "", 0, 0
            while True:
                chunk = text.read(CHUNK)
                pending += chunk
                if not width and (dimension := DIMENSION.search(pending)):
                    width = _column(dimension.group(1))
                complete = len(pending) if not chunk else self._complete(pending)
                for attributes, body in self._rows(pending[:complete]):
                    number = ROW_NUMBER.search(attributes)
                    previous = int(number.group(1)) if number else previous + 1
                    cells = self._cells(body)
                    if len(cells) < width:
                        cells += [""] * (width - len(cells))
                    yield previous, cells
                pending = pending[complete:]
                if not chunk:
                    return

    def _complete(self, text: str) -> int:
        """Where the last whole row of `text` ends (0: none yet)."""
        if self.plain:
            return max(text.rfind("</row>") + 6, 0) if "</row>" in text else 0
        ends = [match.end() for match in ROW_END.finditer(text)]
        return ends[-1] if ends else 0

    def _rows(self, text: str) -> Iterator[tuple[str, str]]:
        """(attributes, cells' markup) of every row in `text`, which ends where a row does."""
        if not self.plain:
            for match in ROW.finditer(text):
                yield match.group(1), match.group(2) or ""
            return
        for piece in text.split("</row>"):
            found = ROW_START.search(piece)
            if found is None:
                continue
            start = found.start()
            if len(ROW_START.findall(piece)) > 1 or piece.find("/>", start, piece.find(">", start) + 1) >= 0:
                # Rows that close themselves (<row r="5"/>) before this one: the general expression.
                for match in ROW.finditer(piece + "</row>"):
                    yield match.group(1), match.group(2) or ""
                continue
            end = piece.find(">", start)
            yield piece[start + 4 : end], piece[end + 1 :]

    def _cells(self, row: str) -> list[Any]:
        """The row's cells as values, each at its column (the ones between empty)."""
        found = PLAIN_CELL.findall(row) if self.plain else None
        if found is None or len(found) != row.count("<c"):
            found = self._cells_in_general(row)
        cells: list[Any] = []
        positions = self.positions
        for letters, style, kind, value, inline in found:
            at = positions.get(letters)
            if at is None:
                at = positions[letters] = _column(letters) - 1 if letters else -1
            if at < 0:  # a cell without a reference: the next column
                at = len(cells)
            if at > len(cells):
                cells += [""] * (at - len(cells))
            cell = self._value(kind or "n", style, value, inline)
            if at < len(cells):
                cells[at] = cell
            else:
                cells.append(cell)
        return cells

    def _cells_in_general(self, row: str) -> list[tuple[str, str, str, str, str]]:
        """(column letters, style, type, value, inline text) of each cell, as PLAIN_CELL finds them in its own
        spelling, whatever the markup's."""
        cells = []
        for attributes, inner in CELL.findall(row):
            found = {name: double or single for name, double, single in ATTRIBUTE.findall(attributes)}
            letters, style, kind = found.get("r", "").rstrip("0123456789"), found.get("s", ""), found.get("t", "n")
            if kind == "inlineStr":
                cells.append((letters, style, kind, "", _text(inner or "")))
            else:
                match = VALUE.search(inner or "")
                cells.append((letters, style, kind, (match.group(1) or "") if match else "", ""))
        return cells

    def _value(self, kind: str, style: str, value: str, inline: str) -> Any:
        """A cell's value as openpyxl gives it (data_only): `value` is the text of its <v>."""
        if kind == "inlineStr":
            return inline
        if not value:
            return ""
        if kind == "n":
            number = float(value) if "." in value or "E" in value or "e" in value else int(value)
            if style in self.dates:
                try:
                    return from_excel(number, self.epoch, timedelta=style in self.durations)
                except (OverflowError, ValueError):
                    return "#VALUE!"
            return number
        if kind == "s":
            return self.strings[int(value)]
        if kind == "b":
            return bool(int(value))
        if kind == "d":
            return from_ISO8601(value)
        return _unescape(value)  # "str" (a formula's text), "e" (an error)


def _text(inner: str) -> str:
    return _unescape("".join(TEXT.findall(PHONETIC.sub("", inner))))


ENTITY = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);")
NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


def _entity(match: re.Match[str]) -> str:
    name = match.group(1)
    if name[0] == "#":
        return chr(int(name[2:], 16) if name[1] in "xX" else int(name[1:]))
    return NAMED[name]


def _unescape(text: str) -> str:
    """XML's five entities and character references (not HTML's, which read &#133; as "…")."""
    return ENTITY.sub(_entity, text) if "&" in text else text


def _column(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def sheet_rows(path: str) -> Iterator[tuple[int, list[Any]]]:
    with zipfile.ZipFile(path) as archive:
        yield from Workbook(archive).rows()
