"""The first sheet of an XLSX, streamed: fast and in bounded memory.

No maintained reader does both (docs/PERFORMANCE.md): python-calamine reads a sheet whole into memory (1.35 GB
for 1 000 000 rows of 14 cells) and openpyxl's read-only mode streams at about 6 000 rows a second, its time
going into one Python object per XML element. This reader inflates the sheet's XML as it goes and reads each
row's text with regular expressions (the C engine walks the markup; Python sees one match a cell), and gives
every cell the value openpyxl gives it with `data_only=True`, with openpyxl's own pieces: its list of built-in
number formats, its test of a date format and its conversion of a date serial (and its reading of a shared string
for a table spelt otherwise than writers spell one) — but for the characters XML cannot hold, which it decodes as
Excel does (`_x001B_`). tests/imports/test_xlsx.py reads workbooks of every shape both ways and finds the same rows.

Where openpyxl would give a value the cell does not hold — nothing for a formula never computed (as openpyxl itself
saves formulas), the text "#N/A" for an Excel error — or would stop on the whole file (a number cell holding "NaN"),
the cell is `Unreadable`: the importer reports it as that cell's error (tests/imports/test_xlsx_cells.py). A row is
as wide as the header, whatever the sheet's stated range (`<dimension>`, which may be missing or wrong). A workbook
that cannot be read at all (not a zip archive, a part missing, a sheet cut short) is refused whole, in the
importer's words.
"""

from __future__ import annotations

import io
import logging
import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterator
from math import isfinite
from typing import IO, Any
from xml.etree import ElementTree

from django.utils.translation import gettext as _

from .files import FileRefused

logger = logging.getLogger(__name__)

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
RELATIONSHIPS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PACKAGE_RELATIONSHIPS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
CHUNK = 1 << 20

# Elements may carry a namespace prefix (`<x:row>`, as some writers put it).
ROW = re.compile(r"<(?:\w+:)?row\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?row>)", re.S)
CELL = re.compile(r"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
ATTRIBUTE = re.compile(r"""\b([rts])\s*=\s*(?:"([^"]*)"|'([^']*)')""")
VALUE = re.compile(r"<(?:\w+:)?v\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?v>)", re.S)
# A shared string as writers write one: its text, or its runs' (and their phonetic guide's, left out).
SHARED_STRING = re.compile(r"<si>(.*?)</si>|<si/>", re.S)
PLAIN_TEXT = re.compile(r'<t(?: xml:space="preserve")?>([^<]*)</t>')
FORMULA = re.compile(r"<(?:\w+:)?f\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?f>)", re.S)
# An inline string's text: its <t> and those of its runs (<r><t>), not the phonetic ones (<rPh><t>).
PHONETIC = re.compile(r"<(?:\w+:)?rPh\b.*?</(?:\w+:)?rPh>", re.S)
TEXT = re.compile(r"<(?:\w+:)?t\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?t>)", re.S)
# The cell as most writers put it (Excel, xlsxwriter, openpyxl): a reference, a style, a type, then a value or an
# inline string; a row whose cells are not all so (a formula, an empty <v>, an entity…) is read by the general
# expressions above.
PLAIN_CELL = re.compile(
    r'<c r="([A-Z]+)[0-9]+"(?: s="([0-9]+)")?(?: t="([a-zA-Z]+)")?'
    r"(?:/>|>(?:<v>([^<&]+)</v>|<is><t>([^<&]*)</t></is>)?</c>)"
)
ROW_START = re.compile(r"<row[\s>/]")  # not <rowBreaks>
ROW_NUMBER = re.compile(r"""\br\s*=\s*["'](\d+)["']""")
ROW_END = re.compile(r"</(?:\w+:)?row>|<(?:\w+:)?row\b[^>]*/>")
# The end of the sheet's rows: a sheet cut short before it is damaged, not a shorter sheet.
SHEET_DATA_END = re.compile(r"</(?:\w+:)?sheetData>|<(?:\w+:)?sheetData\b[^>]*/>")
# The type `_cells_in_general` gives a cell it found unreadable (its value is then the `Unreadable`).
UNREADABLE = "!"

# What reading a damaged archive or part raises (zipfile, zlib, the XML parser, the text decoder, a missing part…).
DAMAGED = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    ElementTree.ParseError,
    KeyError,
    IndexError,
    ValueError,
    OverflowError,
    EOFError,
    OSError,
    NotImplementedError,  # a compression method zipfile does not have
    RuntimeError,  # an encrypted archive
)


class Unreadable:
    """A cell whose value cannot be taken: a formula never computed, an Excel error (#N/A), a number cell that holds
    no number. `text` is what the cell holds, as the error shows it (and as anything reading the cell as text reads
    it: `str()`); `message` says why, in the importer's language."""

    __slots__ = ("message", "text")

    def __init__(self, text: str, message: str):
        self.text, self.message = text, message

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Unreadable({self.text!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Unreadable):
            return NotImplemented
        return (self.text, self.message) == (other.text, other.message)

    def __hash__(self) -> int:
        return hash((self.text, self.message))


class NoSheet(Exception):
    pass


class Workbook:
    """What the cells of the first sheet need: its path in the archive, the shared strings, which styles are dates
    (and durations), and the workbook's date system."""

    def __init__(self, archive: zipfile.ZipFile):
        # openpyxl is imported as a workbook is opened, not with this module, which the importer imports for
        # `Unreadable` whatever the file.
        from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel, from_ISO8601

        self.from_excel, self.from_iso = from_excel, from_ISO8601
        self.archive = archive
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        sheets = workbook.find(f"{MAIN}sheets")
        if sheets is None or not len(sheets):
            raise NoSheet
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
                strings = shared_strings(source)
            if strings is None:
                with archive.open(parts["sharedStrings"]) as source:
                    strings = _shared_strings_parsed(source)
            self.strings = strings
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
        from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format

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
        """(row number, cells) of every row with a value. From the header on (the first row with a value) each is
        at least as wide as the header: the cells a row leaves out at its end are empty (a sheet's cells are sparse;
        its stated range, `<dimension>`, is neither needed nor trusted), and the empty ones it has past the header
        are dropped."""
        with self.archive.open(self.sheet) as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8")
            pending, width, previous = "", 0, 0
            while True:
                chunk = text.read(CHUNK)
                pending += chunk
                if chunk:
                    complete = self._complete(pending)
                elif SHEET_DATA_END.search(pending):
                    complete = len(pending)
                else:
                    raise ValueError("the sheet ends before its rows do")
                for attributes, body in self._rows(pending[:complete]):
                    number = ROW_NUMBER.search(attributes)
                    previous = int(number.group(1)) if number else previous + 1
                    cells = self._cells(body)
                    if cells.count("") == len(cells):
                        continue  # no cell, or empty (styled) ones only: a blank row
                    if len(cells) != width:
                        if not width:
                            if _filled(cells):
                                width = len(cells)  # the header
                        elif len(cells) < width:
                            cells += [""] * (width - len(cells))
                        elif cells[width:].count("") == len(cells) - width:
                            del cells[width:]
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
            cell = self._value(kind or "n", style, value, inline)
            if at < 0 or at == len(cells):  # (a cell without a reference: the next column)
                cells.append(cell)
            elif at > len(cells):
                if cell == "":
                    continue  # an empty cell past a gap: nothing to place (a stray styled cell far off is no column)
                cells += [""] * (at - len(cells))
                cells.append(cell)
            else:
                cells[at] = cell
        return cells

    def _cells_in_general(self, row: str) -> list[tuple[str, str, str, Any, str]]:
        """(column letters, style, type, value, inline text) of each cell, as PLAIN_CELL finds them in its own
        spelling, whatever the markup's. A cell whose value is not there is of the type UNREADABLE: a formula
        without its computed value (as openpyxl saves one), a type without a value (an empty <v>)."""
        cells: list[tuple[str, str, str, Any, str]] = []
        for attributes, inner in CELL.findall(row):
            found = {name: double or single for name, double, single in ATTRIBUTE.findall(attributes)}
            letters, style, kind = found.get("r", "").rstrip("0123456789"), found.get("s", ""), found.get("t", "n")
            if kind == "inlineStr":
                cells.append((letters, style, kind, "", _text(inner or "")))
                continue
            match = VALUE.search(inner or "")
            value = (match.group(1) or "") if match else ""
            if value or (kind == "str" and match):  # (a formula's text result may be empty)
                cells.append((letters, style, kind, value, ""))
            elif formula := FORMULA.search(inner or ""):
                text = "=" + _unescape(formula.group(1) or "")
                cells.append((letters, style, UNREADABLE, _unreadable_formula(text), ""))
            elif match:
                cells.append((letters, style, UNREADABLE, _unreadable_empty(), ""))
            else:
                cells.append((letters, style, kind, "", ""))
        return cells

    def _value(self, kind: str, style: str, value: Any, inline: str) -> Any:
        """A cell's value as openpyxl gives it (data_only): `value` is the text of its <v>. A value openpyxl would
        give wrong, or not at all, is `Unreadable`."""
        if kind == "inlineStr":
            return _decoded(inline) if "_x" in inline else inline
        if not value:
            return ""
        if kind == "n":
            try:
                if "." in value or "E" in value or "e" in value:
                    number = float(value)
                    if not isfinite(number):
                        return _unreadable_number(value)
                else:
                    number = int(value)
            except ValueError:
                return _unreadable_number(value)
            if style in self.dates:
                try:
                    return self.from_excel(number, self.epoch, timedelta=style in self.durations)
                except (OverflowError, ValueError):
                    return Unreadable(
                        value,
                        _("This cell is formatted as a date, but its number %(value)s is no date.") % {"value": value},
                    )
            return number
        if kind == "s":
            try:
                return self.strings[int(value)]
            except (ValueError, IndexError):
                return _unreadable_damaged(value)
        if kind == "b":
            if value in ("0", "1"):
                return value == "1"
            try:
                return bool(int(value))
            except ValueError:
                return _unreadable_damaged(value)
        if kind == "d":
            try:
                return self.from_iso(value)
            except ValueError:
                return _unreadable_damaged(value)
        if kind == "e":
            error = _unescape(value)
            return Unreadable(
                error,
                _("This cell holds the Excel error %(error)s, not a value: correct it in the workbook.")
                % {"error": error},
            )
        if kind == UNREADABLE:
            return value
        return _decoded(_unescape(value))  # "str" (a formula's text)


def _unreadable_formula(text: str) -> Unreadable:
    return Unreadable(
        text,
        _(
            "This cell holds a formula whose value was never computed: open the workbook in Excel and save it "
            "(Excel computes the values), or paste the values in place of the formulas."
        ),
    )


def _unreadable_number(value: str) -> Unreadable:
    text = _unescape(value)
    return Unreadable(text, _("This cell is a number cell, but “%(value)s” is not a number.") % {"value": text})


def _unreadable_empty() -> Unreadable:
    return Unreadable(
        "",
        _(
            "This cell is typed but holds no value (what a program writes for a number it cannot write, such as "
            "NaN): type the value, or clear the cell."
        ),
    )


def _unreadable_damaged(value: str) -> Unreadable:
    text = _unescape(value)
    return Unreadable(
        text,
        _("This cell cannot be read: what it holds (“%(value)s”) does not fit its type; retype it in Excel.")
        % {"value": text},
    )


def _filled(cells: list[Any]) -> bool:
    """Whether a row has a value (the importer's test of a header: a cell that is not empty as text)."""
    return any(str(cell).strip() for cell in cells)


def shared_strings(source: IO[bytes]) -> list[str] | None:
    """The shared-string table as openpyxl's reader reads it (each item's text: its runs' joined, not its phonetic
    guide), by regular expressions, ten times as fast (an Excel workbook of a million rows holds millions), and with
    the characters XML cannot hold decoded (`_decoded`). None for a table written otherwise than writers write one
    (CDATA, a comment, prefixed elements…), which `_shared_strings_parsed` then reads."""
    text = io.TextIOWrapper(source, encoding="utf-8")
    strings: list[str] = []
    pending = ""
    while True:
        chunk = text.read(CHUNK)
        pending += chunk
        if "<!" in pending or ":si" in pending:
            return None
        end = (pending.rfind("</si>") + 5 if "</si>" in pending else 0) if chunk else len(pending)
        complete, pending = pending[:end], pending[end:]
        if "\r" in complete:  # line ends as an XML parser reads them
            complete = complete.replace("\r\n", "\n").replace("\r", "\n")
        items = SHARED_STRING.findall(complete)
        if len(items) != complete.count("<si"):
            return None
        for item in items:
            plain = PLAIN_TEXT.fullmatch(item)
            value = _unescape(plain.group(1)) if plain else _text(item)
            strings.append(_decoded(value) if "_x" in value else value)
        if not chunk:
            return strings


def _shared_strings_parsed(source: IO[bytes]) -> list[str]:
    """The shared-string table read by an XML parser, as openpyxl's reader does (but for its taking "x005F_" out
    of every string: the characters XML cannot hold are decoded instead)."""
    from openpyxl.cell.text import Text
    from openpyxl.xml.functions import iterparse  # (defusedxml's, where it is installed)

    strings = []
    for _event, node in iterparse(source):
        if node.tag == f"{MAIN}si":
            content = Text.from_tree(node).content
            strings.append(_decoded(content) if "_x" in content else content)
            node.clear()
    return strings


# A character XML cannot hold (a control character) is written _xHHHH_, and an underscore that would read as the
# start of one _x005F_ (ECMA-376 Part 1, §22.9.2.19, ST_Xstring): Excel and python-calamine read them back,
# openpyxl leaves them as they are.
ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _decoded(text: str) -> str:
    return ESCAPED.sub(lambda match: chr(int(match.group(1), 16)), text)


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
    """The first sheet's rows (`Workbook.rows`). A workbook that cannot be read is refused whole (`FileRefused`),
    in the importer's words; the library's own go to the log."""
    try:
        with zipfile.ZipFile(path) as archive:
            workbook = Workbook(archive)
            yield from workbook.rows()
    except NoSheet:
        raise FileRefused(_("The workbook has no sheet.")) from None
    except DAMAGED as exc:
        logger.info("The workbook %s cannot be read: %r", path, exc, exc_info=True)
        raise FileRefused(
            _(
                "The file is not a readable Excel workbook (damaged or incomplete): open it in Excel and save it "
                "again, or export it again."
            )
        ) from None
