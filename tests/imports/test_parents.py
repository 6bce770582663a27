"""A customer's parent group in the customers import (issue 21): a customer in the importer's territory or one of
the same file, set set-based after the merge, counted and audited like any field; unknown codes, parents outside
the territory, a customer its own parent and cycles (in the file or through the groups recorded) refuse the file
whole. The same tests run on SQLite and on PostgreSQL, the two write paths."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Customer
from crm.models import AuditEntry
from imports.models import ImportIssue
from imports.services import import_run_write

from .conftest import csv_bytes

pytestmark = pytest.mark.django_db

HEADER = ["code", "name", "region", "上级集团编码"]


@pytest.fixture
def paul(cast):
    return cast["paul"]


def _parents() -> dict[str, str | None]:
    return {
        code: parent
        for code, parent in Customer.objects.filter(code__startswith="G0").values_list("code", "parent__code")
    }


def _issues(run) -> list[tuple[int, str, str]]:
    return list(ImportIssue.objects.filter(run=run).order_by("line").values_list("line", "column", "value"))


def test_a_group_and_its_branches_from_one_file_and_an_existing_parent(paul, run_file, customers):
    rows = [
        HEADER,
        ["G0002", "分公司一", "510107", "G0001"],  # its group comes later in the same file
        ["G0001", "集团总部", "510104", ""],
        ["G0003", "分公司二", "510703", "CD0001"],  # an existing customer heads it
    ]
    run = run_file(paul, "customers", csv_bytes(rows), then="write")
    assert (run.status, run.created, run.updated, run.unchanged) == ("done", 3, 0, 0), run.message
    assert _parents() == {"G0001": None, "G0002": "G0001", "G0003": "CD0001"}

    again = run_file(paul, "customers", csv_bytes(rows), then="write")
    assert (again.status, again.created, again.updated, again.unchanged) == ("done", 0, 0, 3)
    assert not AuditEntry.objects.filter(action="update", detail__import=again.pk).exists()


def test_a_parent_changed_alone_is_an_update_audited_with_the_codes(paul, run_file, customers):
    run_file(
        paul,
        "customers",
        csv_bytes([HEADER, ["G0001", "集团", "510104", ""], ["G0002", "分", "510107", ""]]),
        then="write",
    )
    rows = [["客户编码", "上级集团编码"], ["G0002", "G0001"], ["G0001", ""]]
    preview = run_file(paul, "customers", csv_bytes(rows))
    assert (preview.status, preview.updated, preview.unchanged) == ("previewed", 1, 1)
    assert _parents()["G0002"] is None  # a preview writes nothing
    run = import_run_write(preview)
    assert (run.status, run.updated, run.unchanged) == ("done", 1, 1)
    assert _parents() == {"G0001": None, "G0002": "G0001"}
    (entry,) = AuditEntry.objects.filter(action="update", detail__import=run.pk)
    assert (entry.customer_code, entry.changes) == ("G0002", {"parent": [None, "G0001"]})

    # Another field and the parent in one row: one entry with both; an empty cell takes the branch out.
    run = run_file(paul, "customers", csv_bytes([["code", "name", "parent"], ["G0002", "新名", ""]]), then="write")
    assert (run.status, run.updated, run.unchanged) == ("done", 1, 0)
    (entry,) = AuditEntry.objects.filter(action="update", detail__import=run.pk)
    assert entry.changes == {"name": ["分", "新名"], "parent": ["G0001", None]}
    assert _parents()["G0002"] is None


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([["G0001", "集团", "510104", "NOPE01"]], [(2, "NOPE01", "no customer has the code NOPE01")]),
        ([["G0001", "集团", "510104", "GZ0001"]], [(2, "GZ0001", "outside your territory")]),
        ([["G0001", "集团", "510104", "G0001"]], [(2, "G0001", "cannot be its own parent")]),
        (
            [
                ["G0001", "集团", "510104", "G0002"],
                ["G0002", "分", "510107", "G0003"],
                ["G0003", "分", "510107", "G0001"],
            ],
            [(2, "G0002", "cycle"), (3, "G0003", "cycle"), (4, "G0001", "cycle")],
        ),
    ],
    ids=["unknown", "outside", "itself", "cycle-in-file"],
)
def test_a_bad_parent_refuses_the_file_whole(paul, run_file, customers, rows, expected):
    good = ["G0009", "好行", "510104", "CD0001"]
    run = run_file(paul, "customers", csv_bytes([HEADER, good, *rows]), then="write")
    assert run.status == "invalid"
    issues = list(
        ImportIssue.objects.filter(run=run).order_by("line").values_list("line", "column", "value", "message")
    )
    assert [(line - 1, value) for line, _column, value, _message in issues] == [
        (line, value) for line, value, _text in expected
    ]
    assert all(column == "上级集团编码" for _line, column, _value, _message in issues)
    assert all(text in message for (*_rest, message), (*_, text) in zip(issues, expected, strict=True))
    assert not Customer.objects.filter(code__startswith="G0").exists()


def test_a_cycle_through_the_groups_already_recorded(paul, run_file, customers):
    chain = [
        HEADER,
        ["G0001", "集团", "510104", ""],
        ["G0002", "分", "510107", "G0001"],
        ["G0003", "分", "510107", "G0002"],
    ]
    assert run_file(paul, "customers", csv_bytes(chain), then="write").status == "done"
    run = run_file(paul, "customers", csv_bytes([["code", "parent"], ["G0001", "G0003"]]), then="write")
    assert run.status == "invalid"
    (issue,) = ImportIssue.objects.filter(run=run)
    assert (issue.line, issue.column, issue.value) == (2, "parent", "G0003") and "cycle" in issue.message
    assert _parents() == {"G0001": None, "G0002": "G0001", "G0003": "G0002"}


def test_the_chinese_message_names_the_rule(paul, run_file, customers):
    run = run_file(paul, "customers", csv_bytes([HEADER, ["G0001", "集团", "510104", "G0001"]]), language="zh-hans")
    (issue,) = ImportIssue.objects.filter(run=run)
    assert "上级" in issue.message or "集团" in issue.message


def _statements(run_file, user, rows) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        run = run_file(user, "customers", csv_bytes(rows), then="write")
    assert run.status == "done", run.message
    return [query["sql"] for query in captured.captured_queries]


def test_a_file_without_the_parent_column_runs_the_statements_it_ran_before(paul, run_file, customers):
    """The parent's checks, its statement and the merge's comparison of it are there only when the file has the
    column: a million customers without it cost what they did."""
    plain = _statements(
        run_file, paul, [["code", "name", "region"], ["G0001", "集团", "510104"], ["G0002", "分", "510107"]]
    )
    with_parent = _statements(
        run_file,
        paul,
        [["code", "name", "region", "parent"], ["G0003", "集团", "510104", ""], ["G0004", "分", "510107", "G0003"]],
    )

    def parent_work(sql: str) -> bool:
        return "WITH RECURSIVE up(" in sql or '."parent"' in sql or ".parent " in sql or 'SET "parent_id"' in sql

    assert not [sql for sql in plain if parent_work(sql)]
    assert len([sql for sql in with_parent if parent_work(sql)]) >= 5
