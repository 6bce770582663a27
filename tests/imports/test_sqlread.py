"""A CSV read in the database (imports/sqlread.py, PostgreSQL) and the same file read row by row in Python give the
same run: the same rows counted, the same errors on the same lines with the same words, the same staged values —
whether `COPY` reads the file straight, or Python's csv reader feeds it (quoted fields, blank lines, ragged rows)."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection

from imports import sqlread
from imports.staging import q

from .conftest import csv_bytes, xlsx_bytes

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a CSV is read in the database on PostgreSQL"),
]

HEADER = ["客户编码", "客户名称", "统一社会信用代码", "区域", "手机数量", "月均消费", "重大社会影响力", "状态", "地址"]
GOOD = [
    ["S001", "锦江示例公司", "91350100M000100Y43", "510104", "12", "2500.50", "否", "active", "红星路1号"],
    ["S002", "武侯示例公司", "", "510107", "", "", "是", "在网", ""],
    ["S003", " 前后有空格 ", "", "510104-G01", "007", "3", "true", "prospect", "'=SUM(A1)"],
]
BAD = [
    ["S004", "坏数字", "", "510104", "1_000", "1.505", "也许", "active", ""],
    ["S005", "", "91350100M000100Y44", "440106", "-1", "abc", "否", "gone", ""],
    ["-S006", "坏编码", "", "510000", "", "", "", "active", ""],
    ["S001", "重复", "", "510104", "", "", "", "active", ""],
]


def _straight(bad: list[list[str]]) -> bytes:
    return csv_bytes([HEADER, *GOOD, *bad], "gb18030")


def _quoted(bad: list[list[str]]) -> bytes:
    # A quoted address with a comma and a line break: the rows after it start a line later than their position.
    rows = [HEADER, GOOD[0], [*GOOD[1][:-1], "红星路,\n二段"], *GOOD[2:], *bad]
    return csv_bytes(rows, "utf-8")


def _ragged(bad: list[list[str]]) -> bytes:
    text = csv_bytes([HEADER, *GOOD], "utf-8").decode()
    text += "\r\n"  # a blank line
    text += ",,,,,,,,\r\n"  # a row of empty cells
    if bad:
        text += ",".join(bad[0]) + ",,\r\n"  # empty cells past the header's width: read past
        text += ",".join(bad[1][:5]) + "\r\n"  # too few cells
        text += "\r\n".join(",".join(row) for row in bad[2:]) + "\r\n"
    return text.encode("utf-8-sig")


def _outcome(run) -> tuple:
    issues = list(run.issues.order_by("line", "column").values_list("line", "column", "value", "message"))
    staged = []
    table = f"import_stage_{run.pk}"
    if table in connection.introspection.table_names():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {q(table)} ORDER BY line")
            staged = cursor.fetchall()
    return run.status, run.rows, run.encoding, issues, staged


@pytest.mark.parametrize(
    "write, straight", [(_straight, True), (_quoted, False), (_ragged, False)], ids=["straight", "quoted", "ragged"]
)
@pytest.mark.parametrize("bad", [False, True], ids=["good", "bad"])
def test_the_database_reads_a_csv_as_python_does(cast, run_file, monkeypatch, write, straight, bad):
    # Rows the parsers stage reach the staging table one by one, before the twins make it anew: they stay.
    monkeypatch.setattr("imports.staging.BATCH", 1)
    content = write(BAD if bad else [])
    piped = []
    pipe = sqlread._pipe
    monkeypatch.setattr(sqlread, "_pipe", lambda *args: piped.append(1) or pipe(*args))
    in_sql = _outcome(run_file(cast["paul"], "customers", content, then=""))
    assert bool(piped) is not straight, "the file went the other way than expected"
    monkeypatch.setattr(sqlread, "applies", lambda *args: False)
    in_python = _outcome(run_file(cast["paul"], "customers", content, then=""))
    assert in_sql[:4] == in_python[:4]
    assert [row[1:] for row in in_sql[4]] == [row[1:] for row in in_python[4]]
    assert in_sql[0] == ("invalid" if bad else "previewed")
    if bad:
        assert len(in_sql[3]) >= 7
    else:
        assert len(in_sql[4]) == 3


# A workbook's cells as typed: numbers (whole floats, fractions, negatives, exponents), yes/no, a date where text is
# expected, codes typed as numbers, a blank row. Rows with only plain cells go through the database, the others
# through the parsers with their cells as typed; the run is the one the parsers alone make.
XLSX_HEADER = ["客户编码", "客户名称", "区域", "手机数量", "月均消费", "重大社会影响力", "状态", "地址"]
XLSX_GOOD = [
    ["X001", "整数与小数", 510104, 12, 2500.5, "否", "active", "红星路1号"],
    [5102, "编码是数字", "510107", 12.0, 3, 0, "在网", ""],
    ["X003", "是否为布尔", "510104-G01", "007", 1234.56, True, "prospect", 7],
]
XLSX_BAD = [
    ["X004", "手机数是小数", "510104", 12.5, 1.505, "也许", "active", ""],
    ["X005", "负数", "510104", -1, -3, 2, "active", ""],
    ["X006", "指数形式", "510104", 1, 1e-05, 0, "active", ""],
    ["X007", datetime.datetime(2026, 3, 1), "510104", 1, 1, 0, "active", ""],
    ["X001", "重复", "510104", 1, 1, 0, "active", ""],
]


@pytest.mark.parametrize("streamed", [False, True], ids=["calamine", "streamed"])
@pytest.mark.parametrize("bad", [False, True], ids=["good", "bad"])
def test_the_database_reads_a_workbook_as_python_does(cast, run_file, monkeypatch, tmp_path, streamed, bad):
    if streamed:
        monkeypatch.setattr("imports.files.CALAMINE_MAX_CELLS", 0)
    rows = [XLSX_HEADER, *XLSX_GOOD, [], *(XLSX_BAD if bad else [])]
    content = xlsx_bytes(rows, tmp_path / "typed.xlsx")
    piped = []
    pipe = sqlread._pipe_cells
    monkeypatch.setattr(sqlread, "_pipe_cells", lambda *args: piped.append(1) or pipe(*args))
    in_sql = _outcome(run_file(cast["paul"], "customers", content, name="typed.xlsx", then=""))
    assert piped, "the workbook did not go through the database"
    monkeypatch.setattr(sqlread, "applies", lambda *args: False)
    in_python = _outcome(run_file(cast["paul"], "customers", content, name="typed.xlsx", then=""))
    assert in_sql[:4] == in_python[:4]
    assert [row[1:] for row in in_sql[4]] == [row[1:] for row in in_python[4]]
    assert in_sql[0] == ("invalid" if bad else "previewed")
    if bad:
        # line 9 is good: a date where text is expected reads as its text, both ways
        assert {line for line, *_ in in_sql[3]} == {6, 7, 8, 10}
    else:
        assert [row[1] for row in in_sql[4]] == ["X001", "5102", "X003"]
