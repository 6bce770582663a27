"""Bad files and bad rows (SPEC §8.4, "Bad input"): each gets a clear message naming the line, the column and the
rule, and nothing is written — not even the good rows of a file with one bad row."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Customer, GroupMember
from imports.files import CSV_FIELD_LIMIT
from imports.models import ImportRun
from imports.services import import_run_confirm, import_run_write
from tests.factories import CustomerFactory

from .conftest import csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db

HEADER = ["code", "name", "region"]


@pytest.fixture
def paul(cast):
    return cast["paul"]


def issues(run: ImportRun) -> list[tuple[int, str, str]]:
    return list(run.issues.order_by("line", "id").values_list("line", "column", "message"))


def test_a_file_with_one_bad_row_at_the_end_writes_nothing(paul, run_file):
    rows = [HEADER] + [[f"G{n:05d}", f"客户{n}", "510104"] for n in range(1, 500)] + [["G99999", "坏客户", "510104X"]]
    run = run_file(paul, "customers", csv_bytes(rows))
    assert (run.status, run.rows, run.errors_count) == ("invalid", 500, 1)
    assert issues(run) == [(501, "region", "No region has the code 510104X (GB/T 2260, e.g. 510104).")]
    assert run.issues.get().value == "510104X"
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    ("cells", "column", "message_part"),
    [
        (["bad code!", "名", "510104"], "code", "customer code"),
        (["G1", "", "510104"], "name", "cannot be empty"),
        (["G1", "名", "440106"], "region", "outside your territory"),
        (["G1", "名", "510000"], "region", "not to a province"),
    ],
)
def test_cell_rules_name_the_column_and_the_rule(paul, run_file, cells, column, message_part):
    run = run_file(paul, "customers", csv_bytes([HEADER, cells]))
    assert run.status == "invalid"
    [(line, found_column, message)] = issues(run)
    assert (line, found_column) == (2, column)
    assert message_part in message


@pytest.mark.parametrize(
    ("header", "value", "message_part"),
    [
        ("uscc", "91350100M000100Y44", "check character"),
        ("uscc", "9135010OM000100Y43", "not allowed here: O"),
        ("handset_count", "-3", "whole number"),
        ("handset_count", "12.5", "whole number"),
        ("monthly_spend", "1,234", "digits"),
        ("monthly_spend", "12.345", "2 decimal places"),
        ("monthly_spend", "1" * 20, "too large"),
        ("is_tax_top500", "maybe", "Yes or no"),
        ("status", "dormant", "One of"),
        ("industry", "Z99", "No industry"),
    ],
)
def test_customer_field_rules(paul, run_file, header, value, message_part):
    run = run_file(paul, "customers", csv_bytes([[*HEADER, header], ["G1", "名", "510104", value]]))
    assert run.status == "invalid"
    [(line, column, message)] = issues(run)
    assert (line, column) == (2, header)
    assert message_part in message


@pytest.mark.parametrize(
    ("kind", "header", "row", "message_part"),
    [
        ("members", ["customer", "mobile", "name"], ["CD0001", "1380000000", "甲"], "11 digits"),
        ("members", ["customer", "mobile", "name"], ["NOPE", "13800000000", "甲"], "No customer in your territory"),
        ("members", ["customer", "mobile", "name"], ["GZ0001", "13800000000", "甲"], "No customer in your territory"),
        ("holdings", ["customer", "product", "subscribed_on"], ["CD0001", "NOPE", "2024-01-01"], "No product"),
        ("holdings", ["customer", "product", "subscribed_on"], ["CD0001", "VPMN", "2024-02-30"], "does not exist"),
        ("holdings", ["customer", "product", "subscribed_on"], ["CD0001", "VPMN", "0593-01-01"], "between"),
        ("holdings", ["customer", "product", "subscribed_on"], ["CD0001", "VPMN", "2099-01-01"], "between"),
        (
            "holdings",
            ["customer", "product", "subscribed_on", "last_used_on"],
            ["CD0001", "VPMN", "2024-05-01", "2024-04-01"],
            "before it was subscribed",
        ),
        ("holdings", ["customer", "product"], ["CD0001", "VPMN"], "new row needs the columns subscribed_on"),
        ("billing", ["customer", "period", "monthly_spend"], ["CD0001", "2026-13", "1"], "YYYY-MM"),
        ("billing", ["customer", "period", "monthly_spend"], ["CD0001", "0000-01", "1"], "between"),
        ("do_not_call", ["mobile"], ["13800000000"], "new row needs the columns reason"),
    ],
)
def test_rules_of_the_other_kinds(paul, run_file, customers, kind, header, row, message_part):
    run = run_file(paul, kind, csv_bytes([header, row]))
    assert run.status == "invalid", run.message
    assert [line for line, _column, _message in issues(run)] == [2]
    assert message_part in issues(run)[0][2]


def test_duplicates_inside_the_file_name_both_lines(paul, run_file, customers):
    rows = [
        ["customer", "mobile", "name"],
        ["CD0001", "13800000001", "甲"],
        ["CD0002", "13800000001", "乙"],
        ["CD0001", "13800000001", "丙"],
    ]
    run = run_file(paul, "members", csv_bytes(rows))
    assert issues(run) == [(4, "customer + mobile", "The same customer + mobile as line 2.")]
    assert not GroupMember.objects.exists()


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
@pytest.mark.parametrize("bad_line", [2, 4])
def test_a_duplicate_whose_other_copy_has_a_bad_cell_is_named_at_once(
    paul, run_file, customers, tmp_path, file_format, bad_line
):
    """The copy with the bad cell is not staged; its key still counts, so the file's next upload (the cell fixed)
    does not find a duplicate the first one missed."""
    rows: list[list[object]] = [
        ["customer", "mobile", "name", "arpu"],
        ["CD0001", "13800000001", "甲", 10],
        ["CD0002", "13800000001", "乙", 10],
        ["CD0001", "13800000001", "丙", 10],
    ]
    rows[bad_line - 1][3] = -5
    content = csv_bytes(rows) if file_format == "csv" else xlsx_bytes(rows, tmp_path / "members.xlsx")
    run = run_file(paul, "members", content)
    found = sorted(issues(run))
    assert [(line, column) for line, column, _message in found] == sorted(
        [(bad_line, "arpu"), (4, "customer + mobile")]
    )
    assert (4, "customer + mobile", "The same customer + mobile as line 2.") in found
    assert run.errors_count == 2
    assert not GroupMember.objects.exists()


def test_a_bad_rows_good_key_and_uscc_count_against_the_others(paul, run_file, territory):
    rows = [
        ["code", "name", "region", "uscc"],
        ["G1", "甲", "510104X", "91350100M000100Y43"],
        ["G1", "乙", "510104", "91350100M000100Y43"],
        ["G2", "丙", "510104", "91350100M000100Y43"],
    ]
    run = run_file(paul, "customers", csv_bytes(rows))
    found = [(line, column) for line, column, _message in issues(run)]
    assert found == [(2, "region"), (3, "code"), (3, "uscc"), (4, "uscc")]
    assert issues(run)[1][2] == "The same code as line 2."
    assert issues(run)[3][2] == "The same unified social credit code as line 2."


def test_a_uscc_must_be_unique_in_the_file_and_against_the_database(paul, run_file, territory):
    CustomerFactory(code="OLD", uscc="91350100M000100Y43", region=territory["jinjiang"])
    rows = [["code", "name", "region", "uscc"], ["G1", "甲", "510104", "91350100M000100Y43"]]
    run = run_file(paul, "customers", csv_bytes(rows))
    assert issues(run) == [(2, "uscc", "This unified social credit code is already another customer's.")]


def test_a_customer_code_outside_the_territory_is_an_error_not_an_update(paul, run_file, customers):
    run = run_file(paul, "customers", csv_bytes([["code", "name"], ["GZ0001", "改名"]]))
    assert issues(run) == [(2, "code", "A customer with this code exists outside your territory.")]
    customers["guangzhou"].refresh_from_db()
    assert customers["guangzhou"].name == "广州天河商贸有限公司"


@pytest.mark.parametrize(
    ("header", "message_part"),
    [
        (["code", "name", "region", "colour"], "Unknown column “colour”"),
        (["code", "name", "客户名称", "region"], "appears twice (columns 2 and 3)"),
        (["name", "region"], "required column code (客户编码) is missing"),
    ],
)
def test_header_errors(paul, run_file, header, message_part):
    run = run_file(paul, "customers", csv_bytes([header, ["a"] * len(header)]))
    assert run.status == "invalid"
    assert any(line == 1 and message_part in message for line, _column, message in issues(run)), issues(run)


def test_rows_with_too_many_or_too_few_cells(paul, run_file):
    rows = [HEADER, ["G1", "甲", "510104", "extra"], ["G2", "乙"], ["G3", "丙", "510104"]]
    run = run_file(paul, "customers", csv_bytes(rows))
    assert [(line, message) for line, _column, message in issues(run)] == [
        (2, "This row has 4 cells; the header has 3."),
        (3, "This row has 2 cells; the header has 3."),
    ]
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    ("content", "name", "message_part"),
    [
        (b"", "empty.csv", "empty"),
        (b"\r\n\r\n", "blank.csv", "empty"),
        (b"code,name,region\r\n", "header.csv", "no rows"),
        (b"code,name\r\n\x80\xff,\xfe\r\n", "mixed.csv", "none of the accepted encodings"),
        ("code,name".encode("utf-16"), "utf16.csv", "UTF-16"),
        (b"PK\x03\x04 truncated", "cut.xlsx", "not a readable Excel workbook"),
        (b"not a workbook at all", "fake.xlsx", "not a readable Excel workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old.xls", ".xls"),
        (
            b'code,name,region\r\nG1,"unterminated,510104\r\n',
            "quote.csv",
            "opened in the row on line 2 is never closed",
        ),
        (b"code,name,region\r\nG1,a\x00b,510104\r\n", "nul.csv", "Line 2 contains a NUL"),
    ],
)
def test_unreadable_files_are_refused_whole(paul, run_file, content, name, message_part):
    run = run_file(paul, "customers", content, name=name)
    assert run.status == "invalid"
    assert message_part in run.message, run.message
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    ("name", "encoding"),
    [("臺灣銀行股份有限公司", "big5"), ("株式會社", "euc_kr"), ("ﾁｪｯｸ", "shift_jis")],
)
def test_a_file_in_another_encoding_is_refused_not_read_as_gb18030(paul, run_file, name, encoding):
    run = run_file(paul, "customers", csv_bytes([HEADER, ["G1", name, "510104"]], encoding))
    assert run.status == "invalid"
    assert "none of the accepted encodings" in run.message and "line 2 holds U+E" in run.message, run.message
    assert not Customer.objects.exists()


def test_a_file_mixing_utf8_and_gb18030_rows_is_refused(paul, run_file):
    content = csv_bytes([HEADER, ["G1", "中文", "510104"]]) + csv_bytes([["G2", "中文", "510104"]], "gb18030")
    run = run_file(paul, "customers", content)
    assert run.status == "invalid"
    assert "as UTF-8, line 3 cannot be read; read as GB18030, line 2 holds" in run.message, run.message
    assert not Customer.objects.exists()


def test_gb18030_with_rare_but_valid_characters_goes_in_as_written(paul, run_file):
    names = [
        "𠀀鿰科技有限公司",
        "阿依古丽·买买提",
        "＃３号楼（东区）【新】、“甲”；乙：丙！",
        "喆堃镕珺",
        "ئۇيغۇر شىركىتى",
    ]
    rows = [HEADER, *[[f"G{n}", name, "510104"] for n, name in enumerate(names)]]
    run = run_file(paul, "customers", csv_bytes(rows, "gb18030"), then="write")
    assert (run.status, run.encoding, run.created) == ("done", "gb18030", len(names)), run.message
    assert sorted(Customer.objects.values_list("name", flat=True)) == sorted(names)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b'code,name,region\r\nG1,"' + b"x" * (CSV_FIELD_LIMIT + 1) + b'",510104\r\n',
            f"The row on line 2 has a cell longer than {CSV_FIELD_LIMIT} characters, which no column holds (a quote "
            '(") left open runs a cell on to the next quote).',
        ),
        (
            b'code,name,region\r\nG1,"n,510104\r\nG2,n,510104\r\n',
            'A quote (") opened in the row on line 2 is never closed: the rest of the file would be one cell. Close '
            'it; a quote inside a cell is written twice ("").',
        ),
    ],
    ids=["cell too long", "quote never closed"],
)
def test_csv_errors_are_said_in_the_importers_words_not_the_csv_modules(paul, run_file, content, message):
    run = run_file(paul, "customers", content)
    assert (run.status, run.message) == ("invalid", message)


@pytest.mark.parametrize(
    ("cell", "char"), [("a\x1b[31mred\x07", "U+001B"), ("\u202egnp.exe", "U+202E"), ("x\x85y", "U+0085")]
)
def test_a_name_holding_a_control_character_is_refused_naming_its_line_and_column(paul, run_file, cell, char):
    rows = [["客户编码", "客户名称", "区域"], ["G1", "甲", "510104"], ["G2", cell, "510104"]]
    run = run_file(paul, "customers", csv_bytes(rows))
    assert run.status == "invalid"
    assert "(the first on line 3, column 客户名称)" in run.message, run.message
    assert not Customer.objects.exists()


# Whole-file problems and rows of the wrong width as errors with a line and a column (a FileRefused's `errors`
# stored as the run's errors; the column of a row of the wrong width named).


@pytest.mark.parametrize(
    ("content", "name", "line"),
    [
        (b"code,name,region\r\n", "header.csv", 1),
        (b"code,name\r\n\x80\xff,\xfe\r\n", "mixed.csv", 2),
        (b"code,name,region\r\nG1,a\x00b,510104\r\n", "nul.csv", 2),
        (bytes(range(256)) * 4, "random.bin", 1),
        (b"PK\x03\x04 truncated", "cut.xlsx", 0),
        (b'code,name,region\r\nG1,"unterminated,510104\r\n', "quote.csv", 2),
        (csv_bytes([HEADER, ["G1", "臺灣銀行股份有限公司", "510104"]], "big5"), "big5.csv", 2),
    ],
)
def test_a_file_refused_whole_has_its_reason_as_an_error(paul, run_file, content, name, line):
    run = run_file(paul, "customers", content, name=name)
    assert (run.status, run.errors_count) == ("invalid", 1)
    assert list(run.issues.values_list("line", "column", "value", "message")) == [(line, "", "", run.message)]


def test_an_empty_first_sheet_is_an_error(paul, run_file, tmp_path):
    run = run_file(paul, "customers", xlsx_bytes([], tmp_path / "empty.xlsx"), name="empty.xlsx")
    assert (run.status, run.errors_count) == ("invalid", 1)
    assert list(run.issues.values_list("line", "message")) == [(0, run.message)]


def test_rows_of_the_wrong_width_name_the_first_missing_column_or_the_first_extra_cell(paul, run_file):
    rows = [HEADER, ["G1", "甲", "510104", "extra"], ["G2", "乙"], ["G3", "丙", "510104", "", "more"]]
    run = run_file(paul, "customers", csv_bytes(rows))
    assert list(run.issues.values_list("line", "column", "value")) == [
        (2, "#4", "extra"),
        (3, "region", ""),
        (4, "#5", "more"),
    ]


def test_unknown_kind_mode_and_oversized_files_are_refused_before_a_run_exists(paul, run_file, settings):
    with pytest.raises(ValidationError) as refused:
        run_file(paul, "contracts", b"a")
    assert "kind" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        run_file(paul, "members", b"a", mode="merge")
    assert "mode" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        run_file(paul, "customers", b"a", mode="replace")
    assert "mode" in refused.value.message_dict
    settings.IMPORTS_MAX_BYTES = 10
    with pytest.raises(ValidationError) as refused:
        run_file(paul, "customers", b"code,name,region\r\n")
    assert "limit" in refused.value.message_dict["file"][0]
    assert not ImportRun.objects.exists()


def test_only_provincial_staff_and_headquarters_import(cast, run_file):
    from django.core.exceptions import PermissionDenied

    for name in ("alice", "dora"):
        with pytest.raises(PermissionDenied):
            run_file(cast[name], "customers", b"code\r\n")


def test_confirming_an_invalid_or_written_run_is_refused(paul, run_file):
    invalid = run_file(paul, "customers", csv_bytes([HEADER, ["G1", "甲", "nowhere"]]))
    with pytest.raises(ValidationError):
        import_run_confirm(run=invalid, user=paul)
    with pytest.raises(ValidationError):
        import_run_write(invalid)
    good = run_file(paul, "customers", csv_bytes([HEADER, ["G1", "甲", "510104"]]))
    import_run_write(import_run_confirm(run=good, user=paul))
    assert good.status == "done"
    with pytest.raises(ValidationError):
        import_run_confirm(run=good, user=paul)
    with pytest.raises(ValidationError):
        import_run_write(good)
    assert Customer.objects.count() == 1


def test_blank_rows_are_neither_rows_nor_errors(paul, run_file):
    run = run_file(
        paul,
        "customers",
        csv_bytes([HEADER, ["G1", "甲", "510104"], ["", "", ""], ["G2", "乙", "510104"]]),
        then="write",
    )
    assert (run.status, run.rows, run.created) == ("done", 2, 2)


def test_errors_are_in_the_importers_language(paul, run_file):
    run = run_file(paul, "customers", csv_bytes([HEADER, ["bad code!", "甲", "510104"]]), language="zh-hans")
    assert run.language == "zh-hans"
    assert issues(run)[0][2] == "客户编码为1至32位字母、数字、“-”或“_”，须以字母或数字开头。"


# -- a location: latitude and longitude (纬度, 经度) -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("latitude", "longitude", "column", "message"),
    [
        ("90.5", "104", "latitude", "A latitude lies between -90 and 90 degrees."),
        ("30", "-180.01", "longitude", "A longitude lies between -180 and 180 degrees."),
        (
            "30.1234567890123",
            "104",
            "latitude",
            "A latitude or longitude has at most 12 decimal places (what the customer's location keeps exactly); "
            "this has 13.",
        ),
        (
            "北纬30度",
            "104",
            "latitude",
            "A latitude is written in decimal degrees: digits, one decimal point, a minus sign for the south "
            "(e.g. 30.657).",
        ),
        (
            "30",
            "1.04e2",
            "longitude",
            "A longitude is written in decimal degrees: digits, one decimal point, a minus sign for the west "
            "(e.g. 104.066).",
        ),
        (
            "30.657",
            "",
            "longitude",
            "“longitude” is empty while “latitude” is filled in: the two are filled in "
            "together or left empty together.",
        ),
        (
            "",
            "104.066",
            "latitude",
            "“latitude” is empty while “longitude” is filled in: the two are filled in "
            "together or left empty together.",
        ),
    ],
    ids=[
        "latitude out of range",
        "longitude out of range",
        "too many decimals",
        "no number",
        "exponent",
        "no longitude",
        "no latitude",
    ],
)
def test_location_rules_name_the_column_and_the_rule(paul, run_file, latitude, longitude, column, message):
    rows = [[*HEADER, "latitude", "longitude"], ["G1", "名", "510104", latitude, longitude]]
    run = run_file(paul, "customers", csv_bytes(rows))
    assert (run.status, issues(run)) == ("invalid", [(2, column, message)])
    assert not Customer.objects.exists()


def test_a_row_with_half_a_location_is_named_in_chinese(paul, run_file):
    rows = [["客户编码", "客户名称", "区域", "纬度", "经度"], ["G1", "名", "510104", "30.657", ""]]
    run = run_file(paul, "customers", csv_bytes(rows), language="zh-hans")
    assert issues(run) == [(2, "经度", "“经度”为空而“纬度”已填写：这两列须同时填写或同时留空。")]


@pytest.mark.parametrize(
    "present, missing", [("纬度", "longitude (经度)"), ("longitude", "latitude (纬度)")], ids=["纬度", "longitude"]
)
def test_a_file_with_half_a_location_is_refused_at_its_header(paul, run_file, present, missing):
    run = run_file(paul, "customers", csv_bytes([[*HEADER, present], ["G1", "名", "510104", "30"]]))
    [(line, column, message)] = issues(run)
    assert (run.status, line, column) == ("invalid", 1, missing[-3:-1])
    assert message.startswith(f"The column {missing} is missing: it goes together with "), message


# A workbook's cells are read by the columns' parsers, not by imports.files: a control character there is the
# cell's error by the text rule (`parse_text` and its SQL twin).
@pytest.mark.parametrize("cell", ["a\x1b[31mred", "\u202egnp.exe", "ring\x07"])
def test_a_workbook_cell_holding_a_control_character_is_its_cells_error(paul, run_file, tmp_path, cell):
    rows = [["客户编码", "客户名称", "区域"], ["G1", cell, "510104"]]
    run = run_file(paul, "customers", xlsx_bytes(rows, tmp_path / "c.xlsx"), name="c.xlsx")
    assert run.status == "invalid"
    assert [(line, column) for line, column, _message in issues(run)] == [(2, "客户名称")]
    assert run.issues.get().value == cell
    assert not Customer.objects.exists()
