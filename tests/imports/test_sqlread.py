"""A CSV read in the database (imports/sqlread.py, PostgreSQL) and the same file read row by row in Python give the
same run: the same rows counted, the same errors on the same lines with the same words, the same staged values —
whether `COPY` reads the file straight, or Python's csv reader feeds it (quoted fields, blank lines, ragged rows)."""

from __future__ import annotations

import datetime

import psycopg2
import pytest
from django.db import connection

from imports import files, sqlread
from imports.models import ImportRun
from imports.staging import Stage, q

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
    # Rows the parsers stage reach the staging table one by one, before the twins make it anew: they stay. (Rows
    # Python reads go to the database in batches of one too, between those.)
    monkeypatch.setattr("imports.staging.BATCH", 1)
    monkeypatch.setattr("imports.sqlread.BATCH", 1)
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


@pytest.mark.parametrize("bad", [False, True], ids=["good", "bad"])
def test_the_database_reads_a_workbook_as_python_does(cast, run_file, monkeypatch, tmp_path, bad):
    rows = [XLSX_HEADER, *XLSX_GOOD, [], *(XLSX_BAD if bad else [])]
    content = xlsx_bytes(rows, tmp_path / "typed.xlsx")
    # Batches of one: every plain row is sent by the copying thread, between rows the parsers read (and stage).
    monkeypatch.setattr("imports.sqlread.BATCH", 1)
    monkeypatch.setattr("imports.staging.BATCH", 1)
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


# A location's latitude and longitude: the twins read degrees (negative, whole, up to 12 decimals) in the database,
# the parsers the rest; a number out of range, with too many decimals or no number at all is the same error both
# ways, and a row that fills one of the pair and not the other is named by the whole-file check, both ways alike.
LOCATION_HEADER = ["客户编码", "客户名称", "区域", "纬度", "经度"]
LOCATION_GOOD = [
    ["L001", "成都", "510104", "30.657", "104.066"],
    ["L002", "南半球", "510104", "-33.8688", "151.2093"],
    ["L003", "无位置", "510104", "", ""],
    ["L004", "十二位小数", "510104", "30.123456789012", "-104.123456789012"],
    ["L005", "边界", "510104", "90", "-180"],
    ["L006", "错误文件改好的", "510104", "'-33.5", "0030.5"],
    ["L007", "末尾零", "510104", "30.65700000000000", "104.0660"],
]
LOCATION_BAD = [
    ["L101", "纬度超出", "510104", "90.5", "104"],
    ["L102", "经度超出", "510104", "30", "-180.000000000001"],
    ["L103", "缺经度", "510104", "30.657", ""],
    ["L104", "缺纬度", "510104", "", "104.066"],
    ["L105", "小数太多", "510104", "30.1234567890123", "104"],
    ["L106", "不是数字", "510104", "北纬30度", "104"],
    ["L107", "指数", "510104", "3e1", "+104"],
    ["L108", "两处错", "510104", "-91", ""],
]


@pytest.mark.parametrize("quoted", [False, True], ids=["straight", "quoted"])
@pytest.mark.parametrize("bad", [False, True], ids=["good", "bad"])
def test_the_database_reads_a_location_as_python_does(cast, run_file, monkeypatch, quoted, bad):
    rows = [LOCATION_HEADER, *LOCATION_GOOD, *(LOCATION_BAD if bad else [])]
    if quoted:
        rows[1] = [*rows[1][:1], "成都,\n锦江", *rows[1][2:]]
    content = csv_bytes(rows, "utf-8")
    in_sql = _outcome(run_file(cast["paul"], "customers", content, then=""))
    monkeypatch.setattr(sqlread, "applies", lambda *args: False)
    in_python = _outcome(run_file(cast["paul"], "customers", content, then=""))
    assert in_sql[:4] == in_python[:4]
    assert [row[1:] for row in in_sql[4]] == [row[1:] for row in in_python[4]]
    if not bad:
        assert in_sql[0] == "previewed"
        assert [row[-2:] for row in in_sql[4]] == [
            (30.657, 104.066),
            (-33.8688, 151.2093),
            (None, None),
            (30.123456789012, -104.123456789012),
            (90.0, -180.0),
            (-33.5, 30.5),
            (30.657, 104.066),
        ]
        return
    assert in_sql[0] == "invalid"
    # A row with a bad cell is not staged, so the pair is looked at only in rows whose cells are good (line 11).
    shift = 1 if quoted else 0  # the line break in a quoted field
    assert [(line - shift, column) for line, column, *_ in in_sql[3]] == [
        (9, "纬度"),
        (10, "经度"),
        (11, "经度"),
        (12, "纬度"),
        (13, "纬度"),
        (14, "纬度"),
        (15, "纬度"),
        (15, "经度"),
        (16, "纬度"),
    ]


LOCATION_XLSX_GOOD = [
    ["LX01", "小数", "510104", 30.657, 104.066],
    ["LX02", "负数", "510104", -33.8688, -70.5],
    ["LX03", "整数", "510104", 30, 104],
    ["LX04", "文本", "510104", "30.5", "'-104.5"],
    ["LX05", "无位置", "510104", None, None],
]
LOCATION_XLSX_BAD = [
    ["LX11", "超出", "510104", 90.5, 104],
    ["LX12", "小数太多", "510104", 30.12345678901234, 104],
    ["LX13", "缺经度", "510104", 30.5, None],
    ["LX14", "是否", "510104", True, 104],
    ["LX15", "负数超出", "510104", -30.5, -180.5],
]


@pytest.mark.parametrize("bad", [False, True], ids=["good", "bad"])
def test_the_database_reads_a_workbooks_location_as_python_does(cast, run_file, monkeypatch, tmp_path, bad):
    rows = [LOCATION_HEADER, *LOCATION_XLSX_GOOD, *(LOCATION_XLSX_BAD if bad else [])]
    content = xlsx_bytes(rows, tmp_path / "located.xlsx")
    in_sql = _outcome(run_file(cast["paul"], "customers", content, name="located.xlsx", then=""))
    monkeypatch.setattr(sqlread, "applies", lambda *args: False)
    in_python = _outcome(run_file(cast["paul"], "customers", content, name="located.xlsx", then=""))
    assert in_sql[:4] == in_python[:4]
    assert [row[1:] for row in in_sql[4]] == [row[1:] for row in in_python[4]]
    if bad:
        assert [(line, column) for line, column, *_ in in_sql[3]] == [
            (7, "纬度"),
            (8, "纬度"),
            (9, "经度"),
            (10, "纬度"),
            (11, "经度"),
        ]
    else:
        assert [row[-2:] for row in in_sql[4]] == [
            (30.657, 104.066),
            (-33.8688, -70.5),
            (30.0, 104.0),
            (30.5, -104.5),
            (None, None),
        ]


@pytest.mark.parametrize("ragged", [False, True], ids=["straight", "ragged"])
def test_every_staged_row_carries_its_customers_id_the_parsers_rows_too(cast, run_file, customers, monkeypatch, ragged):
    """The workers find each row's customer id as they stage it (`Stage.customer_ids_join`); the rows the twins do
    not take (a name with spaces around it, a ragged row read before them) are staged by the parsers and given
    theirs after: none is left without, so none is left out of the write."""
    from accounts.models import GroupMember

    monkeypatch.setattr("imports.staging.BATCH", 1)
    header = ["customer", "mobile", "name", "arpu"]
    rows = [
        ["CD0001", "13800000001", "甲", "10"],
        ["CD0002", "13800000002", " 乙 ", "20"],  # the parsers': spaces to strip
        ["CD0001", "13800000003", "丙", "30"],
    ]
    text = csv_bytes([header, *rows], "utf-8").decode()
    if ragged:
        text += "CD0002,13800000004,丁,40,,\r\n"  # empty cells past the header: Python's csv reader feeds the file
    run = run_file(cast["paul"], "members", text.encode())  # checked and previewed: the staged rows are kept
    assert run.status == "previewed", run.message
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT s.line, s.customer, s.customer_id FROM {q(f'import_stage_{run.pk}')} s ORDER BY line")
        staged = cursor.fetchall()
    ids = {"CD0001": customers["alice"].pk, "CD0002": customers["wuhou"].pk}
    assert [(customer, customer_id) for _line, customer, customer_id in staged] == [
        (customer, ids[customer]) for customer in ["CD0001", "CD0002", "CD0001", *(["CD0002"] if ragged else [])]
    ]
    assert run.created == len(staged)
    written = run_file(cast["paul"], "members", text.encode(), then="write")
    assert written.created == len(staged)
    members = dict(GroupMember.objects.values_list("mobile", "customer__code"))
    assert members["13800000002"] == "CD0002" and members["13800000003"] == "CD0001"
    assert GroupMember.objects.get(mobile="13800000002").name == "乙"


def _autovacuum_off(table: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = %s", [table])
        [options] = cursor.fetchone()
    return "autovacuum_enabled=false" in (options or [])


def test_autovacuum_is_kept_off_a_runs_own_tables(cast, run_file, monkeypatch):
    # A worker vacuuming the file's cells or the staged rows would make the run's DROP TABLE wait for its cancelling.
    dropped = {}
    for owner in (sqlread.Raw, Stage):
        monkeypatch.setattr(owner, "drop", _noting(owner.drop, dropped))
    run = run_file(cast["paul"], "customers", _straight(BAD[:1]), then="")
    assert run.status == "invalid"
    stage = f"import_stage_{run.pk}"
    assert dropped == {f"import_raw_{run.pk}": True, stage: True, f"{stage}_bad_keys": True}


def _noting(drop, dropped: dict[str, bool]):
    def noted(table) -> None:
        name = table.table.strip('"')
        dropped[name] = _autovacuum_off(name)
        drop(table)

    return noted


# A CSV's encoding taken from its first block and checked as the file streams into the database
# (`files.CheckedBytes`): blocks of 256 bytes here, so that what decides comes after the first.
# The header as the API names its fields, and forty rows of plain ASCII: UTF-8 is what the first block says.
API_HEADER = [
    "code",
    "name",
    "uscc",
    "region",
    "handset_count",
    "monthly_spend",
    "is_major_influence",
    "status",
    "address",
]


def _many(
    rows: list[list[str]], encoding: str, *, later: list[list[str]] = (), header: list[str] = API_HEADER
) -> bytes:
    plain = [[f"P{number:04d}", f"Plain {number}", "", "510104", "", "", "", "active", ""] for number in range(40)]
    return csv_bytes([header, *plain, *rows, *later], encoding)


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr("imports.files.READ_BLOCK", 256)
    monkeypatch.setattr("imports.sqlread.READ_BLOCK", 256)
    detections = []
    detect = files.detect_encoding
    monkeypatch.setattr(files, "detect_encoding", lambda path: detections.append(path) or detect(path))
    return detections


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8", "utf-8-sig"])
def test_a_file_its_first_block_names_is_read_once(cast, run_file, small_blocks, encoding):
    # (the Chinese header: the first block is in the file's encoding)
    run = run_file(cast["paul"], "customers", _many(GOOD, encoding, header=HEADER), then="")
    assert (run.status, run.rows, run.encoding) == ("previewed", 43, encoding)
    assert small_blocks == [], "the file was read whole before it was streamed"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT name FROM {q(f'import_stage_{run.pk}')} WHERE code = 'S001'")
        assert cursor.fetchone() == ("锦江示例公司",)


def test_a_file_plain_at_first_and_gb18030_after_is_read_again_as_gb18030(cast, run_file, small_blocks):
    # The first block is ASCII, so UTF-8; the Chinese names after it are GB18030's bytes.
    content = _many(GOOD, "gb18030")
    assert content[:256].decode("utf-8")
    run = run_file(cast["paul"], "customers", content, then="")
    assert (run.status, run.rows, run.encoding) == ("previewed", 43, "gb18030")
    assert len(small_blocks) == 2  # the guess's check, then the reading again
    assert not run.issues.exists()


@pytest.mark.parametrize(
    "later, message, lines",
    [
        ([["S009", "控制\x07字符", "", "510104", "", "", "", "active", ""]], "control characters", [45]),
        # (the line where UTF-8 failed first: 42)
        ([["S009", "私用\ue000字符", "", "510104", "", "", "", "active", ""]], "none of the accepted encodings", [42]),
    ],
    ids=["control", "private-use"],
)
def test_what_stops_the_stream_refuses_the_file_as_a_whole_reading_does(
    cast, run_file, small_blocks, later, message, lines
):
    content = _many(GOOD, "gb18030", later=later)
    run = run_file(cast["paul"], "customers", content, then="")
    assert run.status == "invalid"
    assert message in run.message, run.message
    assert len(small_blocks) == 1
    # Nothing of the stopped reading is left: the errors are the refusal's alone.
    assert list(run.issues.values_list("line", flat=True)) == lines


def test_a_quote_after_the_first_block_has_python_read_the_file(cast, run_file, small_blocks, monkeypatch):
    piped = []
    pipe = sqlread._pipe
    monkeypatch.setattr(sqlread, "_pipe", lambda *args: piped.append(1) or pipe(*args))
    later = [["S009", '带"引号"的名称', "", "510104", "", "", "", "active", ""]]
    content = _many(GOOD, "gb18030", later=later, header=HEADER)
    run = run_file(cast["paul"], "customers", content, then="")
    assert (run.status, run.rows, run.encoding) == ("previewed", 44, "gb18030")
    assert piped == [1]
    assert len(small_blocks) == 1


def test_a_batch_the_copying_thread_could_not_send_fails_the_check(cast, run_file, monkeypatch, tmp_path):
    monkeypatch.setattr("imports.sqlread.BATCH", 1)
    monkeypatch.setattr(sqlread._Sender, "__init__", _sender_to_nowhere(sqlread._Sender.__init__))
    content = xlsx_bytes([XLSX_HEADER, *XLSX_GOOD], tmp_path / "typed.xlsx")
    with pytest.raises(psycopg2.errors.UndefinedTable):
        run_file(cast["paul"], "customers", content, name="typed.xlsx", then="")
    run = ImportRun.objects.get()
    assert run.status == "failed"
    assert "import_raw_nowhere" in run.message


def _sender_to_nowhere(init):
    def to_nowhere(sender, raw) -> None:
        init(sender, raw)
        sender.sql = sender.sql.replace(raw.table, "import_raw_nowhere")

    return to_nowhere
