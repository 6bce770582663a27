"""A workbook's cells that hold no value to take — a formula never computed, an Excel error, a number cell without a
number — are each their cell's error (its line, its column as the file heads it, what it holds, why), never an empty
cell, a text, nor the whole file refused with a library's words; a row is as wide as the header whatever the sheet's
`<dimension>` says; a damaged workbook is refused in the importer's words. The sheets' XML is written here, since
openpyxl and xlsxwriter write none of these (SPEC §8.4: nothing is silently dropped, truncated or guessed)."""

from __future__ import annotations

import datetime
import logging
import zipfile
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
import xlsxwriter
from django.utils import translation

from accounts.models import Customer
from imports.files import FileRefused
from imports.xlsx import Unreadable, sheet_rows

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
DATE_STYLE = "1"  # the cell format of the base workbook's one date cell: yyyy-mm-dd


def with_sheet(path: Path, sheet: str) -> Path:
    """A workbook (written by xlsxwriter: its styles, its shared parts) whose first sheet's XML is `sheet`."""
    base = xlsxwriter.Workbook(str(path))
    base.add_worksheet().write_datetime(0, 0, datetime.date(2026, 1, 1), base.add_format({"num_format": "yyyy-mm-dd"}))
    base.close()
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, content in parts.items():
            target.writestr(name, content)
    return path


def sheet_xml(rows: list[list[str | None]], *, dimension: str | None = None, tail: str = "") -> str:
    """A sheet of `rows` (numbered from 1), its cells written as sparsely as OOXML allows: a text is an inline
    string, markup (`<c …>`) goes in as it is, given its reference, None is no cell at all. `tail`: more rows' XML."""
    xml = [f'<worksheet xmlns="{MAIN}">']
    if dimension:
        xml.append(f'<dimension ref="{dimension}"/>')
    xml.append("<sheetData>")
    for number, cells in enumerate(rows, start=1):
        xml.append(f'<row r="{number}">')
        for position, cell in enumerate(cells):
            reference = f"{chr(65 + position)}{number}"
            if cell is None:
                continue
            if cell.startswith("<c"):
                xml.append(cell.replace("<c", f'<c r="{reference}"', 1))
            else:
                xml.append(f'<c r="{reference}" t="inlineStr"><is><t>{escape(cell)}</t></is></c>')
        xml.append("</row>")
    xml.append(f"{tail}</sheetData></worksheet>")
    return "".join(xml)


def workbook(path: Path, rows: list[list[str | None]], **options: Any) -> Path:
    return with_sheet(path, sheet_xml(rows, **options))


def read(path: Path) -> list[tuple[int, list[Any]]]:
    with translation.override("en"):
        return list(sheet_rows(str(path)))


def issues(run) -> list[tuple[int, str, str, str]]:
    return list(run.issues.order_by("line", "id").values_list("line", "column", "value", "message"))


# -- the reader ----------------------------------------------------------------------------------------------------


def test_a_formula_never_computed_is_unreadable_and_a_computed_one_is_its_value(tmp_path):
    cells = [
        "<c><f>1+1</f></c>",  # no value at all
        "<c><f>A1</f><v></v></c>",  # as openpyxl saves a formula
        '<c><f t="shared" ref="C2:C9" si="0"/></c>',  # a shared formula's other cells
        "<c><f>1+1</f><v>2</v></c>",  # computed: its value, as typed
        '<c t="str"><f>IF(1,"","")</f><v></v></c>',  # computed, an empty text
        '<c t="str"><f>A1</f><v>code</v></c>',
        '<c t="b"><f>TRUE()</f><v>1</v></c>',
        '<c t="str"><f>A1&amp;"x"</f></c>',  # a text formula never computed
    ]
    [(_line, found)] = read(workbook(tmp_path / "f.xlsx", [cells]))
    never = found[0].message
    assert found[:3] == [Unreadable("=1+1", never), Unreadable("=A1", never), Unreadable("=", never)]
    assert "formula whose value was never computed" in never
    assert "save it" in never
    assert found[3:7] == [2, "", "code", True]
    assert found[7].text == '=A1&"x"'


def test_an_excel_error_is_unreadable_whatever_the_cell(tmp_path):
    cells = [
        '<c t="e"><v>#N/A</v></c>',
        '<c t="e"><f>1/0</f><v>#DIV/0!</v></c>',
        f'<c s="{DATE_STYLE}" t="e"><v>#VALUE!</v></c>',
        '<c t="e"><v>#REF!</v></c>',
    ]
    [(_line, found)] = read(workbook(tmp_path / "e.xlsx", [cells]))
    assert [cell.text for cell in found] == ["#N/A", "#DIV/0!", "#VALUE!", "#REF!"]
    assert all(isinstance(cell, Unreadable) for cell in found)
    assert "the Excel error #N/A" in found[0].message


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        ("<v>NaN</v>", "NaN"),
        ("<v>nan</v>", "nan"),
        ("<v>inf</v>", "inf"),
        ("<v>-inf</v>", "-inf"),
        ("<v>Infinity</v>", "Infinity"),
        ("<v>1e309</v>", "1e309"),
        ("<v>-1E400</v>", "-1E400"),
        ("<v>12abc</v>", "12abc"),
        ("<v>1.2.3</v>", "1.2.3"),
        ("<v>&amp;</v>", "&"),
        ("<v></v>", ""),
        ("<v/>", ""),
    ],
)
@pytest.mark.parametrize("style", ["", f' s="{DATE_STYLE}"'], ids=["number", "date"])
def test_a_number_cell_without_a_number_is_unreadable(tmp_path, markup, text, style):
    [(_line, [code, found])] = read(workbook(tmp_path / "n.xlsx", [["X1", f"<c{style}>{markup}</c>"]]))
    assert isinstance(found, Unreadable)
    assert found.text == text
    assert "not a number" in found.message or "no value" in found.message


def test_a_date_cell_whose_number_is_no_date_is_unreadable(tmp_path):
    [(_line, [found])] = read(workbook(tmp_path / "d.xlsx", [[f'<c s="{DATE_STYLE}"><v>1e12</v></c>']]))
    assert found.text == "1e12"
    assert "formatted as a date" in found.message


@pytest.mark.parametrize(
    "markup",
    ['<c t="s"><v>99</v></c>', '<c t="s"><v>x</v></c>', '<c t="b"><v>yes</v></c>', '<c t="d"><v>someday</v></c>'],
    ids=["shared-string-missing", "shared-string-not-a-number", "boolean", "iso-date"],
)
def test_a_cell_that_does_not_fit_its_type_is_unreadable(tmp_path, markup):
    [(_line, [found])] = read(workbook(tmp_path / "t.xlsx", [[markup]]))
    assert isinstance(found, Unreadable)
    assert "does not fit its type" in found.message


@pytest.mark.parametrize("dimension", [None, "A1:B3", "A1:Z3"], ids=["none", "smaller", "wider"])
def test_rows_are_as_wide_as_the_header_whatever_the_dimension(tmp_path, dimension):
    rows = [
        [None],  # a row without cells above the header
        ["code", "name", "region", "handset_count", "monthly_spend"],
        ["G1", "甲", "510104"],  # its last cells left out, as OOXML allows
        ["G2", None, "510104", None, "<c><v>3</v></c>"],
        ["G3", "丙", "510104", "<c><v>1</v></c>", "<c><v>2</v></c>", "额外"],  # a value past the header stays
        ["G4", "丁", "510104", None, None, f'<c s="{DATE_STYLE}"/>'],  # an empty cell past it does not
        [f'<c s="{DATE_STYLE}"/>', f'<c s="{DATE_STYLE}"/>'],  # styled, empty: a blank row
    ]
    assert read(workbook(tmp_path / "w.xlsx", rows, dimension=dimension)) == [
        (2, ["code", "name", "region", "handset_count", "monthly_spend"]),
        (3, ["G1", "甲", "510104", "", ""]),
        (4, ["G2", "", "510104", "", 3]),
        (5, ["G3", "丙", "510104", 1, 2, "额外"]),
        (6, ["G4", "丁", "510104", "", ""]),
    ]


def test_a_stray_cell_far_off_does_not_widen_the_header(tmp_path):
    rows = [["code", "name", "region", None, None, None]]
    far = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    sheet = sheet_xml(rows, dimension="A1:XFD1048576", tail=far)
    # and a styled empty cell at the header's far end (as a format applied to a whole row may leave)
    path = with_sheet(tmp_path / "far.xlsx", sheet.replace("</row>", f'<c r="XFD1" s="{DATE_STYLE}"/></row>', 1))
    [(first, header), (last, stray)] = read(path)
    assert (first, header, last) == (1, ["code", "name", "region"], 1048576)
    assert (len(stray), stray[-1]) == (16384, "x")


def _cut_short(path: Path) -> Path:
    path.write_bytes(workbook(path, [["code"], ["X1"]]).read_bytes()[:-200])
    return path


def _without_workbook_part(path: Path) -> Path:
    workbook(path, [["code"], ["X1"]])
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist() if name != "xl/workbook.xml"}
    with zipfile.ZipFile(path, "w") as target:
        for name, content in parts.items():
            target.writestr(name, content)
    return path


@pytest.mark.parametrize(
    "damage",
    [
        lambda path: path.write_bytes(b"PK\x03\x04 truncated") and path,
        _cut_short,
        _without_workbook_part,
        # the sheet's XML cut short: in a row, and after a whole row
        lambda path: with_sheet(path, sheet_xml([["code"], ["X1"]])[:-60]),
        lambda path: with_sheet(path, sheet_xml([["code"], ["X1"]]).split("</sheetData>")[0]),
        lambda path: with_sheet(path, sheet_xml([["code", '<c t="inlineStr"><is><t>&#99999999999;</t></is></c>']])),
    ],
    ids=["not-a-zip", "archive-cut-short", "no-workbook-part", "sheet-cut-in-a-row", "sheet-cut-after-a-row", "entity"],
)
def test_a_damaged_workbook_is_refused_in_the_importers_words(tmp_path, caplog, damage):
    path = damage(tmp_path / "damaged.xlsx")
    with caplog.at_level(logging.INFO, logger="imports.xlsx"), pytest.raises(FileRefused) as refused:
        read(path)
    assert str(refused.value) == (
        "The file is not a readable Excel workbook (damaged or incomplete): open it in Excel and save it again, or "
        "export it again."
    )
    assert caplog.records, "what the library said is logged"


# -- an import -----------------------------------------------------------------------------------------------------


@pytest.fixture
def paul(cast):
    return cast["paul"]


@pytest.mark.django_db
def test_a_formula_never_computed_leaves_an_existing_customer_as_it_is(paul, run_file, customers, tmp_path):
    Customer.objects.filter(code="CD0001").update(handset_count=650)
    content = workbook(tmp_path / "f.xlsx", [["code", "handset_count"], ["CD0001", "<c><f>1+1</f><v></v></c>"]])
    run = run_file(paul, "customers", content.read_bytes(), name="f.xlsx", then="write")
    assert run.status == "invalid"
    assert [issue[:3] for issue in issues(run)] == [(2, "handset_count", "=1+1")]
    assert Customer.objects.get(code="CD0001").handset_count == 650


@pytest.mark.django_db
@pytest.mark.parametrize(
    "value", ["<v>NaN</v>", "<v>inf</v>", "<v>-inf</v>", "<v>1e309</v>", "<v></v>", "<v>12abc</v>"]
)
def test_a_number_cell_without_a_number_is_a_row_error(paul, run_file, tmp_path, value):
    rows = [["code", "name", "region", "handset_count", "monthly_spend"], ["X1", "甲", "510104", "<c><v>5</v></c>"]]
    rows[1].append(f"<c>{value}</c>")
    run = run_file(paul, "customers", workbook(tmp_path / "n.xlsx", rows).read_bytes(), name="n.xlsx")
    assert (run.status, run.rows) == ("invalid", 1), run.message
    [(line, column, shown, _message)] = issues(run)
    assert (line, column) == (2, "monthly_spend")
    assert shown == value.removeprefix("<v>").removesuffix("</v>")
    assert not Customer.objects.exists()


@pytest.mark.django_db
def test_rows_without_their_last_cells_and_without_a_dimension_are_read(paul, run_file, tmp_path):
    rows = [
        ["code", "name", "region", "handset_count", "monthly_spend"],
        ["X1", "甲", "510104"],
        ["X2", "乙", "510104", "<c><v>7</v></c>"],
    ]
    run = run_file(paul, "customers", workbook(tmp_path / "s.xlsx", rows).read_bytes(), name="s.xlsx", then="write")
    assert (run.status, run.created) == ("done", 2), issues(run)
    assert Customer.objects.get(code="X2").handset_count == 7


@pytest.mark.django_db
def test_a_stray_cell_far_off_is_one_error_on_its_row(paul, run_file, tmp_path):
    far = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    rows = [["code", "name", "region"], ["X1", "甲", "510104"]]
    path = with_sheet(tmp_path / "far.xlsx", sheet_xml(rows, dimension="A1:XFD1048576", tail=far))
    run = run_file(paul, "customers", path.read_bytes(), name="far.xlsx")
    assert run.status == "invalid"
    assert [line for line, *_rest in issues(run)] == [1048576]  # a row wider than the header, as in a CSV


# -- through the importer's other parts (imports/services.py, imports/files.py) ------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("column", "cell", "shown", "message_part"),
    [
        ("name", "<c><f>1+1</f><v></v></c>", "=1+1", "formula whose value was never computed"),
        ("code", "<c><f>1+1</f></c>", "=1+1", "formula whose value was never computed"),
        ("handset_count", "<c><f>1+1</f></c>", "=1+1", "formula whose value was never computed"),
        ("name", '<c t="e"><v>#N/A</v></c>', "#N/A", "the Excel error #N/A"),
        ("region", '<c t="e"><v>#N/A</v></c>', "#N/A", "the Excel error #N/A"),
        ("handset_count", '<c t="e"><f>1/0</f><v>#DIV/0!</v></c>', "#DIV/0!", "the Excel error #DIV/0!"),
        ("monthly_spend", '<c t="e"><v>#N/A</v></c>', "#N/A", "the Excel error #N/A"),
        ("is_tax_top500", '<c t="e"><v>#N/A</v></c>', "#N/A", "the Excel error #N/A"),
        ("status", '<c t="e"><v>#N/A</v></c>', "#N/A", "the Excel error #N/A"),
        ("uscc", "<c><v></v></c>", "", "no value"),
        ("monthly_spend", "<c><v>NaN</v></c>", "NaN", "not a number"),
    ],
)
def test_an_unreadable_cell_is_its_cells_error_in_every_column(
    paul, run_file, tmp_path, column, cell, shown, message_part
):
    header = ["code", "name", "region", "handset_count", "monthly_spend", "is_tax_top500", "status", "uscc"]
    row: list[str | None] = ["X1", "甲", "510104", "<c><v>1</v></c>", "<c><v>2</v></c>", "否", "active", None]
    row[header.index(column)] = cell
    run = run_file(paul, "customers", workbook(tmp_path / "u.xlsx", [header, row]).read_bytes(), name="u.xlsx")
    assert run.status == "invalid"
    [(line, found_column, found_value, message)] = issues(run)
    assert (line, found_column, found_value) == (2, column, shown)
    assert message_part in message
    assert not Customer.objects.exists()


@pytest.mark.django_db
def test_a_formula_openpyxl_saved_is_an_error_in_any_workbook(paul, run_file, customers, tmp_path):
    import openpyxl

    Customer.objects.filter(code="CD0001").update(handset_count=650)
    book = openpyxl.Workbook()
    book.active.append(["code", "handset_count", "name"])
    book.active.append(["CD0001", "=1+1", "=A1"])  # saved with a <dimension>, and without values
    book.save(tmp_path / "openpyxl.xlsx")
    run = run_file(paul, "customers", (tmp_path / "openpyxl.xlsx").read_bytes(), name="o.xlsx", then="write")
    assert [issue[:3] for issue in issues(run)] == [(2, "handset_count", "=1+1"), (2, "name", "=A1")]
    assert Customer.objects.get(code="CD0001").handset_count == 650


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content", [b"PK\x03\x04 truncated", b"PK\x03\x04" + b"\x00" * 200], ids=["cut-short", "no-archive"]
)
def test_a_damaged_workbook_is_refused_without_the_librarys_words(paul, run_file, content):
    run = run_file(paul, "customers", content, name="damaged.xlsx")
    assert run.status == "invalid"
    assert run.message.startswith("The file is not a readable Excel workbook (damaged or incomplete)"), run.message


@pytest.mark.django_db
def test_a_sheet_cut_short_is_refused_whole(paul, run_file, tmp_path):
    path = with_sheet(tmp_path / "cut.xlsx", sheet_xml([["code", "name", "region"], ["X1", "甲", "510104"]])[:-40])
    run = run_file(paul, "customers", path.read_bytes(), name="cut.xlsx")
    assert run.status == "invalid"
    assert run.message.startswith("The file is not a readable Excel workbook (damaged or incomplete)")
    assert not Customer.objects.exists()
