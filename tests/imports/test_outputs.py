"""The files the imports hand out (`imports.outputs`): the error file, read back against the original file and its
errors, and the templates."""

from __future__ import annotations

import csv
import datetime
import io
from pathlib import Path

import openpyxl
import pytest

from accounts.models import Customer
from imports import outputs
from imports.kinds import KINDS
from imports.models import ImportIssue

from .conftest import csv_bytes, xlsx_bytes

HEADER = ["客户编码", "客户名称", "统一社会信用代码", "区域", "手机数量", "月均消费"]


def issue_reason(issue: ImportIssue) -> str:
    return outputs.issue_reason(issue.column, issue.message)


def read(error_file: outputs.ErrorFileCSV) -> tuple[bytes, list[list[str]]]:
    content = b"".join(error_file)
    return content, list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


# -- pure helpers ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("=1+2", "'=1+2"),
        ("+8613800000000", "'+8613800000000"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=b", "a=b"),
        ("", ""),
        ("成都", "成都"),
    ],
)
def test_would_be_formulas_are_neutralised_and_nothing_else(text, written):
    assert outputs.neutralised(text) == written


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (" as typed ", " as typed "),
        (510104.0, "510104"),
        (1700.5, "1700.5"),
        (7, "7"),
        (True, "true"),
        (datetime.datetime(2024, 3, 1), "2024-03-01"),
        (datetime.datetime(2024, 3, 1, 8, 30), "2024-03-01T08:30:00"),
        (datetime.date(2024, 3, 1), "2024-03-01"),
    ],
)
def test_cells_are_written_as_the_importer_reads_them_back(value, text):
    assert outputs.cell_text(value) == text


# -- the error file ----------------------------------------------------------------------------------------------------


@pytest.fixture
def paul(cast):
    return cast["paul"]


def test_an_xlsx_error_file_pairs_each_bad_row_with_its_line_and_fixed_it_imports(paul, run_file, tmp_path):
    """Blank rows above the header shift every line; numbers and dates come back as the importer reads them."""
    rows = [
        [],
        [],
        [*HEADER, "订购日期"],
        ["N0001", "客户一", "", 510104, 600, 1000.5, datetime.datetime(2024, 3, 1)],
        ["N0002", "客户二", "BAD", 510107, 10, 0, datetime.datetime(2024, 3, 1)],
        ["N0003", "客户三", "", 999999, 5, 12.25, datetime.datetime(2024, 3, 1)],
    ]
    header = [*HEADER, "订购日期"]
    run = run_file(paul, "customers", xlsx_bytes(rows, tmp_path / "x.xlsx"), name="extract.xlsx")
    assert run.status == "invalid"
    # 订购日期 is no customers' column: an error of the header, so the rows were not read at all.
    _content, written = read(outputs.ErrorFileCSV(run))
    assert written[0] == [*header, "错误原因"]
    assert len(written) == 2 and written[1][:-1] == [""] * len(header)
    assert written[1][-1].startswith("订购日期: ")

    rows = [row[:-1] for row in rows]
    run = run_file(paul, "customers", xlsx_bytes(rows, tmp_path / "y.xlsx"), name="extract.xlsx")
    assert run.status == "invalid"
    assert list(run.issues.values_list("line", flat=True)) == [5, 6]
    error_file = outputs.ErrorFileCSV(run)
    _content, written = read(error_file)
    assert error_file.rows == 2
    assert written == [
        [*HEADER, "错误原因"],
        ["N0002", "客户二", "BAD", "510107", "10", "0", f"统一社会信用代码: {run.issues.get(line=5).message}"],
        ["N0003", "客户三", "", "999999", "5", "12.25", f"区域: {run.issues.get(line=6).message}"],
    ]
    written[1][2] = ""
    written[2][3] = "510703"
    fixed = run_file(paul, "customers", csv_bytes(written), name="extract-errors.csv", then="write")
    assert (fixed.status, fixed.created) == ("done", 2), list(fixed.issues.values_list("line", "column", "message"))
    assert Customer.objects.get(code="N0003").monthly_spend == 12.25


def test_an_earlier_error_files_reasons_give_way_to_this_runs(paul, run_file):
    rows = [
        ["错误原因", *HEADER],
        ["old reason", "N0001", "客户一", "", "510104", "ten", "0"],
        ["", "N0002", "客户二", "", "510104", "10", "0"],
    ]
    run = run_file(paul, "customers", csv_bytes(rows))
    assert run.status == "invalid"
    _content, written = read(outputs.ErrorFileCSV(run))
    assert written == [
        [*HEADER, "错误原因"],
        ["N0001", "客户一", "", "510104", "ten", "0", f"手机数量: {run.issues.get().message}"],
    ]


def test_rows_of_the_wrong_width_keep_the_reasons_under_their_header(paul, run_file):
    """A short row is padded; a long one's cells beyond the header come after 错误原因, unheaded."""
    rows = [
        HEADER,
        ["N0001", "客户一"],
        ["N0002", "客户二", "", "510104", "10", "0", "extra", "more"],
        HEADER[:1] + ["x"] * 5,
    ]
    run = run_file(paul, "customers", csv_bytes(rows))
    assert run.status == "invalid"
    _content, written = read(outputs.ErrorFileCSV(run))
    short, long = run.issues.get(line=2), run.issues.get(line=3)
    assert written[0] == [*HEADER, "错误原因"]
    assert written[1] == ["N0001", "客户一", "", "", "", "", issue_reason(short)]
    assert written[2] == ["N0002", "客户二", "", "510104", "10", "0", issue_reason(long), "extra", "more"]
    assert written[3][0] == "客户编码" and len(written) == 4


def test_a_long_rows_stray_cells_left_in_the_error_file_are_refused_again_and_deleted_go_in(paul, run_file):
    rows = [HEADER, ["N0001", "客户一", "", "510104", "10", "0", "extra"]]
    run = run_file(paul, "customers", csv_bytes(rows))
    _content, written = read(outputs.ErrorFileCSV(run))
    again = run_file(paul, "customers", csv_bytes(written), name="again.csv")
    assert (again.status, [issue.message for issue in again.issues.all()]) == (
        "invalid",
        ["This row has 8 cells; the header has 7."],
    )
    fixed = run_file(paul, "customers", csv_bytes([written[0], written[1][:-1]]), name="fixed.csv", then="write")
    assert (fixed.status, fixed.created) == ("done", 1), fixed.message


def test_many_errors_on_a_row_are_joined_and_the_file_comes_in_pieces(paul, run_file, monkeypatch):
    monkeypatch.setattr(outputs, "ROWS_PER_PIECE", 2)
    rows = [HEADER, *[[f"N{n:04}", "客户", "BAD", "999999", "ten", "-1"] for n in range(50)]]
    run = run_file(paul, "customers", csv_bytes(rows))
    pieces = list(outputs.ErrorFileCSV(run))
    assert len(pieces) > 10
    _content, written = read(iter(pieces))
    assert len(written) == 51
    issues = run.issues.filter(line=2).order_by("id")
    assert [issue.column for issue in issues] == ["统一社会信用代码", "区域", "手机数量", "月均消费"]
    assert written[1][-1] == "; ".join(f"{issue.column}: {issue.message}" for issue in issues)
    assert written[1][5] == "'-1"


def test_a_file_that_cannot_be_read_gives_the_reason_instead(paul, run_file):
    run = run_file(paul, "customers", b"\xff\xfe" + "客户编码".encode("utf-16-le"))
    assert run.status == "invalid" and run.message
    content, written = read(outputs.ErrorFileCSV(run))
    assert content.startswith(b"\xef\xbb\xbf")
    assert written[0][-1] == "错误原因"
    assert written[1][-1] == run.message


def test_a_file_no_longer_kept_gives_its_errors_as_recorded(paul, run_file):
    rows = [HEADER, ["N0001", "客户一", "", "510104", "ten", "0"]]
    run = run_file(paul, "customers", csv_bytes(rows))
    Path(run.file_path).unlink()
    _content, written = read(outputs.ErrorFileCSV(run))
    issue = ImportIssue.objects.get(run=run)
    assert written[-1] == ["2", "手机数量", "ten", issue.message]


def test_a_reason_recorded_as_an_error_is_listed_once(paul, run_file):
    """A file refused whole has its reason among its errors (imports/services.py): the listing says it once."""
    run = run_file(paul, "customers", b"\xff\xfe" + "客户编码".encode("utf-16-le"))
    if not run.issues.exists():  # (until imports/services.py stores it)
        ImportIssue.objects.create(run=run, line=0, column="", value="", message=run.message)
    _content, written = read(outputs.ErrorFileCSV(run))
    assert written[1:] == [["0", "", "", run.message]]


def test_a_valid_run_has_an_error_file_of_its_header_alone(paul, run_file):
    run = run_file(paul, "customers", csv_bytes([HEADER, ["N0001", "客户一", "", "510104", "10", "0"]]))
    assert run.status == "previewed"
    _content, written = read(outputs.ErrorFileCSV(run))
    assert written == [[*HEADER, "错误原因"]]


# -- templates ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(KINDS))
def test_text_columns_of_the_template_are_text_so_that_codes_keep_their_digits(kind):
    workbook = openpyxl.load_workbook(io.BytesIO(outputs.template_xlsx(KINDS[kind])))
    sheet = workbook.worksheets[0]
    for position, column in enumerate(KINDS[kind].columns, start=1):
        cell = sheet.cell(row=2, column=position)
        if column.sql_type in ("integer", "numeric", "float"):
            assert isinstance(cell.value, int | float), column.name
        elif column.example:
            assert (cell.value, cell.number_format) == (column.example, "@"), column.name


def test_template_for_refuses_an_unknown_kind_or_format():
    with pytest.raises(KeyError):
        outputs.template_for("nothing", "csv")
    with pytest.raises(KeyError):
        outputs.template_for("customers", "pdf")
    content, content_type, name = outputs.template_for("customers", "csv")
    assert (
        content.startswith(b"\xef\xbb\xbf") and content_type.startswith("text/csv") and name == "customers-template.csv"
    )
