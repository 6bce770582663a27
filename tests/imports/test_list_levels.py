"""The customers import keeps the list levels (issue 21) as the API does (`accounts.keep_listed_customer`):
provincial staff neither put a customer on the national list, nor hang branches under a national-list group, nor
change a branch of one, by file any more than by hand; headquarters do. Each refused row is named (line, column,
value) and the file is refused whole; the check is set-based, not a query per row."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Customer
from imports.models import ImportIssue
from tests.factories import CustomerFactory

from .conftest import csv_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def national(customers, territory):
    group = CustomerFactory(code="NAT001", name="全国集团", region=territory["jinjiang"], list_level="national")
    CustomerFactory(code="NAT002", name="全国集团分公司", region=territory["wuhou"], parent=group)
    return group


def _issues(run) -> list[tuple[int, str, str]]:
    return list(ImportIssue.objects.filter(run=run).order_by("line").values_list("line", "column", "value"))


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([["code", "name", "region", "parent"], ["G0001", "分", "510107", "NAT001"]], [(2, "parent", "NAT001")]),
        # Through a branch: the group line, not only the parent named, reaches the national list.
        ([["code", "name", "region", "parent"], ["G0001", "分", "510107", "NAT002"]], [(2, "parent", "NAT002")]),
        # Through the file: G0002 hangs under the national group, G0001 under G0002.
        (
            [
                ["code", "name", "region", "parent"],
                ["G0001", "分", "510107", "G0002"],
                ["G0002", "分", "510107", "NAT001"],
            ],
            [(2, "parent", "G0002"), (3, "parent", "NAT001")],
        ),
        ([["code", "list_level"], ["CD0001", "national"]], [(2, "list_level", "national")]),
        ([["code", "name"], ["NAT002", "新名"], ["NAT001", "新名"]], [(2, "code", "NAT002"), (3, "code", "NAT001")]),
        # Taking a branch out of its national group, or the group down to the city list, is changing it too.
        ([["code", "parent"], ["NAT002", ""]], [(2, "code", "NAT002")]),
        ([["code", "list_level"], ["NAT001", "city"]], [(2, "code", "NAT001")]),
    ],
    ids=["branch-of-national", "under-a-branch", "through-the-file", "set-national", "rewrite", "detach", "demote"],
)
def test_provincial_staff_are_refused_what_the_api_refuses(cast, run_file, national, rows, expected):
    before = dict(Customer.objects.values_list("code", "name"))
    run = run_file(cast["paul"], "customers", csv_bytes(rows), then="write")
    assert run.status == "invalid"
    assert _issues(run) == expected
    assert dict(Customer.objects.values_list("code", "name")) == before
    assert Customer.objects.get(code="NAT002").parent_id == national.pk


def test_the_provincial_list_and_the_city_list_stay_open_to_provincial_staff(cast, run_file, national):
    rows = [
        ["code", "name", "region", "list_level", "parent"],
        ["P0001", "省集团", "510104", "provincial", ""],
        ["P0002", "省集团分公司", "510703", "city", "P0001"],
        ["CD0001", "改名", "510104-G01", "city", ""],
    ]
    run = run_file(cast["paul"], "customers", csv_bytes(rows), then="write")
    assert run.status == "done", _issues(run)
    assert Customer.objects.get(code="P0002").parent.code == "P0001"


def test_headquarters_do_it_all(cast, run_file, national):
    rows = [
        ["code", "name", "region", "list_level", "parent"],
        ["G0001", "分", "510107", "city", "NAT001"],
        ["CD0001", "升级", "510104-G01", "national", ""],
        ["NAT002", "新名", "510107", "city", ""],
    ]
    run = run_file(cast["hq"], "customers", csv_bytes(rows), then="write")
    assert run.status == "done", _issues(run)
    assert Customer.objects.get(code="CD0001").list_level == "national"


def test_the_message_is_in_chinese(cast, run_file, national):
    rows = [["code", "name", "region", "parent"], ["G0001", "分", "510107", "NAT001"]]
    run = run_file(cast["paul"], "customers", csv_bytes(rows), language="zh-hans")
    (issue,) = ImportIssue.objects.filter(run=run)
    assert "全国" in issue.message and "NAT001" in issue.message


def test_the_check_is_set_based(cast, run_file, national):
    def statements(count: int) -> int:
        rows = [["code", "name", "region", "parent"]]
        rows += [[f"G{i:04d}", "分", "510107", "NAT001"] for i in range(count)]
        with CaptureQueriesContext(connection) as captured:
            run = run_file(cast["paul"], "customers", csv_bytes(rows))
        assert run.status == "invalid"
        return len(captured.captured_queries)

    assert statements(3) == statements(30)
