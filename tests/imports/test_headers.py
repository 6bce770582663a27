"""A file's header row against its kind: a file of another kind is named as such, once, rather than each of its
columns listed as unknown with the whole list of the chosen kind's columns (SPEC §8.4)."""

from __future__ import annotations

import pytest

from .conftest import csv_bytes

pytestmark = pytest.mark.django_db

MEMBERS = [
    ["客户编码", "手机号码", "姓名", "是否本网", "是否核实", "ARPU"],
    ["CD0001", "13800000001", "甲", "是", "是", "10"],
]
CUSTOMERS = [["客户编码", "客户名称", "区域"], ["N0001", "新客户", "510104"]]


@pytest.mark.parametrize(
    ("rows", "chosen", "named"),
    [(MEMBERS, "customers", "集团成员"), (CUSTOMERS, "members", "集团客户")],
)
def test_a_file_of_another_kind_is_named_as_that_kind(cast, run_file, customers, rows, chosen, named):
    run = run_file(cast["paul"], chosen, csv_bytes(rows), language="zh-hans")
    assert run.status == "invalid"
    [issue] = run.issues.all()
    assert (issue.line, issue.column) == (1, "")
    assert f"「{named}」" in issue.message and "数据类型" in issue.message, issue.message


def test_an_unknown_column_of_no_kind_is_still_listed_as_unknown(cast, run_file):
    rows = [["客户编码", "客户名称", "区域", "备注"], ["N0001", "新客户", "510104", "x"]]
    run = run_file(cast["paul"], "customers", csv_bytes(rows), language="zh-hans")
    [issue] = run.issues.all()
    assert (issue.line, issue.column, issue.value) == (1, "备注", "备注")


def test_an_empty_header_before_the_last_headed_column_is_named_and_empty_ones_after_it_are_not(cast, run_file):
    rows = [["code", "", "name", "region", "", ""], ["N0001", "", "新客户", "510104", "", ""]]
    run = run_file(cast["paul"], "customers", csv_bytes(rows))
    assert list(run.issues.values_list("line", "column")) == [(1, "#2")]
    rows = [["code", "name", "region", "", ""], ["N0001", "新客户", "510104", "", ""]]
    run = run_file(cast["paul"], "customers", csv_bytes(rows))
    assert run.status == "previewed", list(run.issues.values_list("line", "column", "message"))
