"""The streaming reader of workbooks (imports/xlsx.py) reads every cell as openpyxl does with `data_only=True`
(and as python-calamine does, where the two agree): workbooks written by xlsxwriter (shared strings, inline
strings, rich text, formulas, dates, gaps) and by openpyxl, the 1904 date system, rows that close themselves. Where
openpyxl reads a cell for what it does not hold (a formula never computed as empty), the cell is `Unreadable`
(tests/imports/test_xlsx_cells.py)."""

from __future__ import annotations

import datetime
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter

from imports.files import FileRefused
from imports.xlsx import Unreadable, sheet_rows

CELLS: list[list[Any]] = [
    ["客户编码", "客户名称", "手机数量", "月均消费", "全省纳税500强", "订购日期", "备注"],
    ["X0001", "表格客户 & <伙伴> \"引号\" '单引号'", 650, 123456.78, True, datetime.date(2024, 3, 1), "  前后空格  "],
    [12345, "数字编码客户", 3.0, 0, False, datetime.datetime(2026, 11, 20, 0, 0), None],
    ["X0003", None, None, 1e-7, None, None, "=SUM(1,2)"],
    [None, None, None, None, None, None, None],
    ["X0005", "第五行", 2**40, -3.5, True, datetime.date(1949, 10, 1), "行\n内换行"],
]


def _xlsxwriter(path: Path, *, constant_memory: bool, date1904: bool = False) -> Path:
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": constant_memory, "date_1904": date1904})
    sheet = workbook.add_worksheet("客户")
    dates = workbook.add_format({"num_format": "yyyy-mm-dd"})
    bold = workbook.add_format({"bold": True})
    for row_number, row in enumerate(CELLS):
        for column, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, datetime.date):
                sheet.write_datetime(row_number, column, value, dates)
            elif isinstance(value, str) and value.startswith("="):
                sheet.write_formula(row_number, column, value, None, 3)
            else:
                sheet.write(row_number, column, value)
    if not constant_memory:
        sheet.write_rich_string(6, 0, "富", bold, "文本", "行")
        sheet.write(6, 9, "远处的格")  # a gap, then a cell past the header
    workbook.add_worksheet("第二页").write(0, 0, "不读")
    workbook.close()
    return path


def _openpyxl(path: Path) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in CELLS:
        sheet.append([value for value in row])
    sheet.cell(row=9, column=3, value="空行之后")
    workbook.save(path)
    return path


def _streamed_rows(path: Path) -> list[tuple[int, list[Any]]]:
    return list(sheet_rows(str(path)))


def _calamine_rows(path: Path) -> list[tuple[int, list[Any]]]:
    calamine = pytest.importorskip("python_calamine")
    sheet = calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    # iter_rows gives every row from the sheet's first, and the cells from the first used column on.
    padding = [""] * sheet.start[1]
    return [(index + 1, padding + list(cells)) for index, cells in enumerate(sheet.iter_rows())]


def _openpyxl_rows(path: Path) -> list[tuple[int, list[Any]]]:
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    rows = []
    for cells in workbook.worksheets[0].iter_rows():
        row = next((cell.row for cell in cells if getattr(cell, "row", None)), None)
        if row is not None:
            rows.append((row, ["" if cell.value is None else cell.value for cell in cells]))
    workbook.close()
    return rows


def _trimmed(rows) -> list[tuple[int, list[Any]]]:
    """Rows with a value, without their trailing empty cells (the readers pad rows to different widths)."""
    out = []
    for line, cells in rows:
        cells = list(cells)
        while cells and cells[-1] in ("", None):
            cells.pop()
        if cells:
            out.append((line, cells))
    return out


@pytest.mark.parametrize(
    "write",
    [
        lambda path: _xlsxwriter(path, constant_memory=False),
        lambda path: _xlsxwriter(path, constant_memory=True),
        lambda path: _xlsxwriter(path, constant_memory=False, date1904=True),
        _openpyxl,
    ],
    ids=["shared-strings", "inline-strings", "1904", "openpyxl"],
)
def test_the_streamed_sheet_is_the_sheet_openpyxl_reads(tmp_path, write):
    path = write(tmp_path / "book.xlsx")
    streamed = _streamed_rows(path)
    # openpyxl saves a formula without its value, and reads it back as an empty cell: here it is unreadable.
    unreadable = [(line, cell.text) for line, cells in streamed for cell in cells if isinstance(cell, Unreadable)]
    assert unreadable == ([(4, "=SUM(1,2)")] if write is _openpyxl else [])
    emptied = [(line, ["" if isinstance(cell, Unreadable) else cell for cell in cells]) for line, cells in streamed]
    assert _trimmed(emptied) == _trimmed(_openpyxl_rows(path))
    assert _trimmed(streamed)[1][1][1] == "表格客户 & <伙伴> \"引号\" '单引号'"
    header = len(streamed[0][1])
    assert all(len(cells) >= header for _line, cells in streamed), "every row at least as wide as the header"


def test_the_streamed_sheet_is_the_sheet_calamine_reads_where_they_agree(tmp_path):
    path = _xlsxwriter(tmp_path / "book.xlsx", constant_memory=False)
    streamed = _trimmed(_streamed_rows(path))
    calamine = _trimmed(_calamine_rows(path))
    # python-calamine gives dates as dates and whole floats as floats where openpyxl gives datetimes and ints.
    assert [line for line, _cells in streamed] == [line for line, _cells in calamine]
    for (_line, ours), (_same, theirs) in zip(streamed, calamine, strict=True):
        assert [str(cell)[:10] for cell in ours] == [str(cell)[:10].removesuffix(".0") for cell in theirs]


def test_rows_that_close_themselves_and_prefixed_elements(tmp_path):
    path = _xlsxwriter(tmp_path / "book.xlsx", constant_memory=True)
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    # An empty row written as <row r="4"/> and every element of the sheet with a namespace prefix, as .NET writes.
    sheet = sheet.replace('<row r="5"', '<row r="4" spans="1:7"/><row r="5"', 1)
    prefixed = sheet.replace("<worksheet xmlns=", "<x:worksheet xmlns:x=").replace("</worksheet>", "</x:worksheet>")
    for tag in ("sheetData", "row", "c", "v", "is", "t", "f", "dimension"):
        prefixed = prefixed.replace(f"<{tag} ", f"<x:{tag} ").replace(f"<{tag}>", f"<x:{tag}>")
        prefixed = prefixed.replace(f"</{tag}>", f"</x:{tag}>")
    # Attributes in single quotes with spaces around "=", a value that keeps its spaces, a character reference
    # (XML's &#133; is U+0085, not HTML's "…"), a date typed as an ISO date.
    quoted = re.sub(r'<c r="([A-Z]+[0-9]+)"', r"<c r = '\1'", sheet)
    quoted = quoted.replace("<v>650</v>", '<v xml:space="preserve">650</v>').replace("X0001", "X&#133;0001")
    quoted = re.sub(r"<c r = 'B3'.*?</c>", "<c r = 'B3' t=\"d\"><v>2024-01-01</v></c>", quoted, count=1)
    for text in (sheet, prefixed, quoted):
        parts["xl/worksheets/sheet1.xml"] = text.encode()
        changed = tmp_path / "changed.xlsx"
        with zipfile.ZipFile(changed, "w") as target:
            for name, content in parts.items():
                target.writestr(name, content)
        assert _trimmed(_streamed_rows(changed)) == _trimmed(_openpyxl_rows(changed))
    assert _trimmed(_streamed_rows(changed))[1][1][0] == "X\x850001"


def test_a_damaged_workbook_is_refused(tmp_path):
    path = _xlsxwriter(tmp_path / "book.xlsx", constant_memory=True)
    damaged = tmp_path / "damaged.xlsx"
    damaged.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(FileRefused):
        list(_streamed_rows(damaged))


SHARED_STRINGS = [
    "<si><t>客户编码</t></si>",
    '<si><t xml:space="preserve">  前后空格  </t></si>',
    "<si><t>&amp; &lt;伙伴&gt; &quot;引号&quot; &apos; &#133; &#x4E2D;</t></si>",
    '<si><r><rPr><b/><sz val="11"/></rPr><t>富</t></r><r><t xml:space="preserve"> 文本</t></r></si>',
    '<si><t>東京</t><rPh sb="0" eb="2"><t>トウキョウ</t></rPh><phoneticPr fontId="1"/></si>',
    "<si><t/></si>",
    "<si/>",
    "<si><t>行\r\n内\r换行</t></si>",
    "<si><t>_x005F_x000D_ 与 _x000D_</t></si>",
    "<si><t>" + "长" * 3000 + "</t></si>",
]


@pytest.mark.parametrize("chunk", [1 << 20, 7], ids=["whole", "in-small-chunks"])
def test_the_shared_strings_are_those_openpyxl_reads(monkeypatch, chunk):
    from openpyxl.reader.strings import read_string_table

    from imports import xlsx

    monkeypatch.setattr(xlsx, "CHUNK", chunk)
    table = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="10" uniqueCount="10">'
        + "".join(SHARED_STRINGS)
        + "</sst>"
    ).encode()
    ours = xlsx.shared_strings(io.BytesIO(table))
    theirs = list(read_string_table(io.BytesIO(table)))
    # openpyxl leaves _xHHHH_ (a character XML cannot hold) as it is, but for taking "x005F_" out of every string
    escaped = SHARED_STRINGS.index("<si><t>_x005F_x000D_ 与 _x000D_</t></si>")
    assert ours[:escaped] + ours[escaped + 1 :] == theirs[:escaped] + theirs[escaped + 1 :]
    assert ours[escaped] == "_x000D_ 与 \r"
    assert ours[3:5] == ["富 文本", "東京"]
    assert xlsx._shared_strings_parsed(io.BytesIO(table)) == ours


def test_characters_xml_cannot_hold_are_decoded_as_excel_writes_them(tmp_path):
    """Excel (and xlsxwriter) write a control character as _xHHHH_, an underscore before such a spelling as _x005F_;
    Excel and python-calamine read them back (and the text rule then refuses the control character)."""
    workbook = xlsxwriter.Workbook(str(tmp_path / "escaped.xlsx"))
    workbook.add_worksheet().write_row(0, 0, ["a\x1b[31mred", "ring\x07", "_x000D_ 字面"])
    workbook.close()
    [(_line, cells)] = _streamed_rows(tmp_path / "escaped.xlsx")
    assert cells == ["a\x1b[31mred", "ring\x07", "_x000D_ 字面"]
    assert cells == _calamine_rows(tmp_path / "escaped.xlsx")[0][1]


@pytest.mark.parametrize(
    "item",
    ["<si><t><![CDATA[a<b]]></t></si>", "<!-- a comment --><si><t>a</t></si>", "<si ><t>a</t></si>"],
    ids=["cdata", "comment", "spelt-otherwise"],
)
def test_a_shared_string_table_spelt_otherwise_is_left_to_openpyxl(item):
    from imports.xlsx import shared_strings

    table = f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{item}</sst>'.encode()
    assert shared_strings(io.BytesIO(table)) is None
