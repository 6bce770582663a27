"""Reading an uploaded file as rows of cells (SPEC §8.4): CSV in UTF-8, UTF-8 with BOM or GB18030, detected and
never guessed silently, and XLSX (its first sheet, cells as typed).

A file that cannot be read as any of these is refused whole (`FileRefused`) with a message that says why, and the
errors that make it so: the line where it went wrong, and for a CSV whose cells hold control characters, every
such cell.

GB18030 gives a character to almost any sequence of bytes, so a file in Big5, in another legacy encoding, or mixing
UTF-8 rows with GB18030 ones, often reads as GB18030 without a decoding error. What it reads as then gives it away:
characters of the private use areas (GB18030's user-defined areas, and the few codes its 2005 edition mapped there)
and code points Unicode has not assigned, which no text out of a BOSS system holds. A file whose GB18030 reading
has one is refused as being in none of the accepted encodings, naming the line. A file in EUC-KR (Hangul) or in
Shift-JIS (kana, kanji) uses the very byte pairs of ordinary Chinese characters: it reads as GB18030 text of real
characters, and no rule on the bytes tells it from one without guessing at its language.
"""

from __future__ import annotations

import codecs
import csv
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from django.utils.translation import gettext as _

UTF8_BOM = codecs.BOM_UTF8
XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls (and other OLE documents)
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
READ_BLOCK = 1 << 20
# A cell longer than this is no BOSS field: the csv module's own limit (128 KiB) would raise a bare error.
CSV_FIELD_LIMIT = 1 << 20
# Characters no cell of a BOSS extract holds: the C0 controls but tab, line feed and carriage return (line breaks
# inside a quoted cell are the CSV's own), DEL, the C1 controls (NEL among them), and the embeddings, overrides and
# isolates that reorder text as it is shown (a name that reads otherwise than it is stored).
CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
CONTROL_RE = re.compile(f"[{CONTROLS}]")
# Cells holding control characters named one by one; after these, one error says there are more.
CONTROLS_LISTED = 1_000
WHOLE_FILE = 0  # the line of an error of the file as a whole (no line of it in particular)


class FileError(NamedTuple):
    line: int
    column: str
    value: str
    message: str


class FileRefused(Exception):
    """The file as a whole cannot be read; the message says why, in the importer's language. `errors` are the
    errors that make it so, each with its line (WHOLE_FILE, 0, for the file as a whole), column, value and message:
    by default the message itself, at `line`."""

    def __init__(self, message: str, *, line: int = WHOLE_FILE, errors: list[FileError] | None = None):
        super().__init__(message)
        self.errors = errors or [FileError(line, "", "", message)]


@dataclass
class Source:
    """An open file: its format (`csv` or `xlsx`), its encoding (CSV), and its rows as (line number, cells).

    `guessed`: the CSV's encoding is what its first block reads as (`open_source(guess=True)`), the rest of the file
    not read yet. Streamed to the database through `CheckedBytes`, the file is checked whole on the way; anything
    else first makes the encoding certain (`confirm`)."""

    format: str
    encoding: str
    rows: Iterator[tuple[int, list[Any]]]
    path: Path | None = None
    guessed: bool = False

    def confirm(self) -> None:
        """Make a guessed encoding certain: the file is read whole as `detect_encoding` reads it. `FileRefused` when
        it is in none of the accepted encodings (or holds what no cell holds), `GuessFailed` when it is in another
        than its first block said."""
        if not self.guessed or self.path is None:
            return
        if detect_encoding(self.path) != self.encoding:
            raise GuessFailed
        self.guessed = False


class GuessFailed(Exception):
    """The file is in another encoding than its first block said: to be read again, its encoding detected first."""


def open_source(path: Path, *, guess: bool = False) -> Source:
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
    if guess and (encoding := _guess_encoding(path)) is not None:
        return Source("csv", encoding, csv_rows(path, encoding), path, guessed=True)
    encoding = detect_encoding(path)
    return Source("csv", encoding, csv_rows(path, encoding), path)


def _guess_encoding(path: Path) -> str | None:
    """What `detect_encoding` will most likely say, from the file's first block alone: UTF-8 with BOM when it starts
    with the mark, else the first of UTF-8 and GB18030 the block reads as (a character cut by its end aside); None
    when it reads as neither (the file is refused: `detect_encoding` says why)."""
    with path.open("rb") as file:
        block = file.read(READ_BLOCK)
    if block.startswith(UTF8_BOM):
        return "utf-8-sig"
    for encoding in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)(errors="strict").decode(block, final=len(block) < READ_BLOCK)
        except UnicodeDecodeError:
            continue
        return encoding
    return None


def detect_encoding(path: Path) -> str:
    """`utf-8-sig` with a BOM; else `utf-8` when the whole file decodes as UTF-8 (plain ASCII included); else
    `gb18030` when it decodes as that into characters text holds; else the file is refused, naming the line where
    each reading went wrong. The whole file is decoded, in blocks. A NUL byte (binary data, or UTF-16 without its
    BOM) refuses the file, naming its line; so do control characters in its cells, naming each cell."""
    _refuse_nul(path)
    with path.open("rb") as file:
        marked = file.read(3) == UTF8_BOM
    if marked:
        encoding, reading = "utf-8-sig", _read_as(path, "utf-8-sig")
        if reading.broken_at is not None:
            [line] = _lines_at(path, encoding, [reading.broken_at])
            raise FileRefused(
                _(
                    "The file's text is in none of the accepted encodings (UTF-8, UTF-8 with BOM, GB18030): it "
                    "starts with the mark of UTF-8 (BOM), but line %(line)d is not UTF-8. In Excel, save it as "
                    "“CSV UTF-8” or “CSV”."
                )
                % {"line": line},
                line=line,
            )
    else:
        encoding, reading = "utf-8", _read_as(path, "utf-8")
        if reading.broken_at is not None:
            utf8 = reading
            encoding, reading = "gb18030", _read_as(path, "gb18030")
            if reading.broken_at is not None:
                _refuse_encoding(path, utf8, reading)
    if reading.controls:
        _refuse_controls(path, encoding, reading.controls)
    return encoding


@dataclass
class _Reading:
    """What decoding a file whole found: the offset (in characters) where it went wrong — a byte sequence not of
    the encoding, or, read as GB18030, a character no text holds (`unfit`) — and the count of control characters."""

    broken_at: int | None = None
    unfit: str = ""
    controls: int = 0


def _read_as(path: Path, encoding: str) -> _Reading:
    """Decode the file as `encoding`, in blocks, and look in each block for control characters and, read as GB18030,
    for characters no text holds. A block is searched character by character only when a cheaper look says it may
    hold one: for UTF-8, its bytes (a C0 control or DEL is one byte, a C1 control or a direction mark two or three
    bytes known in advance); for GB18030, whether its text is printable, line breaks, tabs and ideographic spaces
    aside. A well-formed file so costs little more than its decoding."""
    blocks = _Blocks(encoding)
    with path.open("rb") as file:
        while True:
            block = file.read(READ_BLOCK)
            if not blocks.read(block) or not block:
                return blocks.reading


class _Blocks:
    """A file decoded block by block as `encoding` (`_read_as`), what it found kept in `reading`."""

    def __init__(self, encoding: str):
        self.encoding, self.reading = encoding, _Reading()
        self.decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        self.gb18030 = encoding == "gb18030"
        self.search = _unfit_or_control_re() if self.gb18030 else CONTROL_RE
        self.offset, self.tail = 0, b""

    def read(self, block: bytes) -> bool:
        """Decode the next block (the empty block: the end of the file); False once the reading is broken there."""
        reading = self.reading
        try:
            text = self.decoder.decode(block, final=not block)
        except UnicodeDecodeError as exc:
            reading.broken_at = self.offset + len(exc.object[: exc.start].decode(self.encoding, errors="replace"))
            return False
        suspect = not _plain(text) if self.gb18030 else _utf8_suspect(self.tail + block)
        if suspect:
            for match in self.search.finditer(text):
                char = match.group()
                if CONTROL_RE.match(char):
                    reading.controls += 1
                elif char < "\U00010000" or unicodedata.category(char) in ("Co", "Cn"):
                    reading.broken_at, reading.unfit = self.offset + match.start(), char
                    return False
        self.offset += len(text)
        self.tail = block[-2:]  # the start of a character the next block ends
        return True


class CheckedBytes:
    """A CSV's bytes as they are, for `COPY` to read (`read`), checked on the way as `detect_encoding` checks the
    whole file as the guessed encoding. A NUL byte, a sequence not of the encoding, a control character or, read as
    GB18030, a character no text holds stop the reading (`stopped` "text"; `Source.confirm` then says what the file
    is), and so does a block `seen` refuses (`stopped` "seen"): `read` raises, and `COPY` fails. The database
    converts one block while the next is decoded here: a file is read once, not twice."""

    def __init__(self, file: BinaryIO, encoding: str, seen: Callable[[bytes], bool]):
        self.file, self.blocks, self.seen = file, _Blocks(encoding), seen
        self.stopped = ""

    def read(self, _size: int = -1) -> bytes:
        block = self.file.read(READ_BLOCK)
        if b"\x00" in block or not self.blocks.read(block) or self.blocks.reading.controls:
            self.stopped = "text"
        elif block and not self.seen(block):
            self.stopped = "seen"
        if self.stopped:
            raise ValueError(f"stopped by its {self.stopped}")
        return block


# A C0 control or DEL as the byte 0 (a NUL is refused before), every other byte as itself.
_C0_TO_NUL = bytes(0 if byte < 0x80 and CONTROL_RE.match(chr(byte)) else byte for byte in range(256))
# A C1 control (U+0080–U+009F) and a direction mark of CONTROLS, in UTF-8.
_C1_UTF8 = re.compile(rb"\xc2[\x80-\x9f]")
_MARKS_UTF8 = re.compile(rb"\xe2(?:\x80[\xaa-\xae]|\x81[\xa6-\xa9])")


def _utf8_suspect(data: bytes) -> bool:
    """Whether UTF-8 `data` may hold a character of CONTROLS (a C0 control or DEL byte, or the bytes of a C1
    control or a direction mark); each test runs at the speed of a byte search."""
    return (
        b"\x00" in data.translate(_C0_TO_NUL)
        or (b"\xc2" in data and _C1_UTF8.search(data) is not None)
        or (b"\xe2" in data and _MARKS_UTF8.search(data) is not None)
    )


def _plain(text: str) -> bool:
    """Whether the text holds no character but printable ones, line breaks, tabs and ideographic spaces: then none
    of the control characters (Cc, Cf) nor of those no text holds (Co, Cn)."""
    return text.replace("\n", " ").replace("\r", " ").replace("\t", " ").replace("\u3000", " ").isprintable()


@cache
def _unfit_or_control_re() -> re.Pattern[str]:
    """A control character, or a character of the Basic Multilingual Plane that no text holds (private use, or
    not assigned in the Unicode of this Python), or any character beyond that plane (which `_read_as` asks about
    one by one: few files have any, and a class of every unassigned range of the other planes would make the
    search slow)."""
    ranges, start = [], None
    for code in range(0x10000):
        unfit = unicodedata.category(chr(code)) in ("Co", "Cn")
        if unfit and start is None:
            start = code
        elif not unfit and start is not None:
            ranges.append((start, code - 1))
            start = None
    if start is not None:
        ranges.append((start, 0xFFFF))
    unfit_class = "".join(f"\\u{first:04x}-\\u{last:04x}" for first, last in ranges)
    return re.compile(f"[{CONTROLS}{unfit_class}\\U00010000-\\U0010ffff]")


def _lines_at(path: Path, encoding: str, offsets: list[int]) -> list[int]:
    """The line of each character offset (in order) of the file's text, as the csv reader counts lines (a line
    ends at a line feed, a carriage return or both). Read again only for a file refused."""
    lines: list[int] = []
    pending = iter(offsets)
    wanted = next(pending, None)
    seen, number = 0, 0
    with path.open(encoding=encoding, errors="replace", newline="") as file:
        for number, text in enumerate(file, start=1):
            seen += len(text)
            while wanted is not None and wanted < seen:
                lines.append(number)
                wanted = next(pending, None)
            if wanted is None:
                return lines
    return lines + [max(number, 1)] * (len(offsets) - len(lines))


def _refuse_encoding(path: Path, utf8: _Reading, gb18030: _Reading) -> None:
    [utf8_line] = _lines_at(path, "utf-8", [utf8.broken_at or 0])
    [gb18030_line] = _lines_at(path, "gb18030", [gb18030.broken_at or 0])
    if gb18030.unfit:
        message = _(
            "The file's text is in none of the accepted encodings (UTF-8, UTF-8 with BOM, GB18030): as UTF-8, line "
            "%(utf8)d cannot be read; read as GB18030, line %(gb18030)d holds %(char)s, a character no text holds "
            "(the file is in another encoding, such as Big5, or mixes encodings). In Excel, save it as “CSV UTF-8” "
            "or “CSV”."
        )
    else:
        message = _(
            "The file's text is in none of the accepted encodings (UTF-8, UTF-8 with BOM, GB18030): as UTF-8, line "
            "%(utf8)d cannot be read; as GB18030, line %(gb18030)d. In Excel, save it as “CSV UTF-8” or “CSV”."
        )
    values = {"utf8": utf8_line, "gb18030": gb18030_line, "char": f"U+{ord(gb18030.unfit or ' '):04X}"}
    message = message % values
    raise FileRefused(message, line=min(utf8_line, gb18030_line))


def _refuse_controls(path: Path, encoding: str, count: int) -> None:
    """Refuse a file whose cells hold `count` control characters, naming each cell (the first CONTROLS_LISTED):
    its line, its column as the header names it, its value."""
    errors: list[FileError] = []
    found, header = 0, None
    try:
        for line, cells in csv_rows(path, encoding):
            if header is None and any(cell.strip() for cell in cells):
                header = [cell.lstrip("\ufeff").strip() for cell in cells]
            if not CONTROL_RE.search(",".join(cells)):
                continue
            for position, cell in enumerate(cells):
                chars = CONTROL_RE.findall(cell)
                if not chars:
                    continue
                if len(errors) == CONTROLS_LISTED:
                    errors.append(
                        FileError(
                            line,
                            "",
                            "",
                            _("More cells hold control characters from this line on; the first %(count)d are listed.")
                            % {"count": CONTROLS_LISTED},
                        )
                    )
                    found = count
                    break
                label = header[position] if header and position < len(header) else ""
                errors.append(
                    FileError(
                        line,
                        label if label and not CONTROL_RE.search(label) else f"#{position + 1}",
                        cell,
                        _(
                            "The cell holds %(char)s, a control character or a text-direction mark, which no BOSS "
                            "field holds: remove it."
                        )
                        % {"char": f"U+{ord(chars[0]):04X}"},
                    )
                )
                found += len(chars)
            if found >= count:
                break
    except FileRefused as exc:  # the CSV cannot be read past here: that too is said
        errors.extend(exc.errors)
    first = errors[0] if errors else FileError(WHOLE_FILE, "", "", "")
    raise FileRefused(
        _(
            "Cells of the file hold control characters or text-direction marks, which no BOSS field holds (the first "
            "on line %(line)d, column %(column)s). Remove them and upload the file again."
        )
        % {"line": first.line, "column": first.column or "—"},
        errors=errors,
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
                    _("Line %(line)d contains a NUL character: this is not a text file.") % {"line": line}, line=line
                )
            offset += len(block)


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
            raise _csv_refused(exc, line, reader.line_num or line) from None


def _csv_refused(exc: csv.Error, line: int, reached: int) -> FileRefused:
    """The csv module's error said in the importer's words: `line` is where the record began, `reached` the line
    the reader had reached."""
    error = str(exc)
    if error.startswith("field larger than field limit"):
        return FileRefused(
            _(
                "The row on line %(line)d has a cell longer than %(limit)d characters, which no column holds (a "
                'quote (") left open runs a cell on to the next quote).'
            )
            % {"line": line, "limit": CSV_FIELD_LIMIT},
            line=line,
        )
    if error == "unexpected end of data":
        return FileRefused(
            _(
                'A quote (") opened in the row on line %(line)d is never closed: the rest of the file would be one '
                'cell. Close it; a quote inside a cell is written twice ("").'
            )
            % {"line": line},
            line=line,
        )
    if error.endswith("expected after '\"'"):
        return FileRefused(
            _(
                'Line %(line)d has a quoted cell that goes on after its closing quote ("); a quote inside a cell '
                'is written twice ("").'
            )
            % {"line": reached},
            line=reached,
        )
    return FileRefused(_("Line %(line)d cannot be read as CSV.") % {"line": reached}, line=reached)


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[Any]]]:
    """The first sheet's rows, streamed by `imports.xlsx` whatever the workbook's size: in bounded memory (python-
    calamine reads a sheet whole, over the range its cells span, so that one stray cell at XFD1048576 asks it for
    17 billion cells whatever the sheet's `<dimension>` states), and each cell for what it holds (a formula never
    computed, an Excel error are their cell's error, where python-calamine gives an empty cell). A workbook that
    cannot be read is refused in the importer's words."""
    from .xlsx import sheet_rows

    return sheet_rows(str(path))
