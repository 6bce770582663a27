"""The streaming reader of large workbooks (imports/xlsx.py) reads every cell as openpyxl does with `data_only=True`
(and as python-calamine does, where the two agree): workbooks written by xlsxwriter (shared strings, inline
strings, rich text, formulas, dates, gaps) and by openpyxl, the 1904 date system, rows that close themselves."""

from __future__ import annotations

import datetime
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter

from imports.files import FileRefused, _calamine_rows, _streamed_rows

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
    streamed = list(_streamed_rows(path))
    assert _trimmed(streamed) == _trimmed(_openpyxl_rows(path))
    assert _trimmed(streamed)[1][1][1] == "表格客户 & <伙伴> \"引号\" '单引号'"
    widths = {len(cells) for _line, cells in streamed}
    assert len(widths) == 1, "every row as wide as the sheet's range"


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
