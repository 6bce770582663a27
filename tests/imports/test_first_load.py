"""A first load (PostgreSQL): new rows at least twice as many as the table holds have that table's foreign keys
checked once, after the insert, instead of row by row; they are back as they were when the write ends, and a
preview (a write rolled back) leaves them untouched."""

from __future__ import annotations

import pytest
from django.db import connection

from accounts.models import GroupMember

from .conftest import csv_bytes

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="foreign keys are dropped on PostgreSQL only"),
]


def _foreign_keys(table: str) -> dict[str, tuple[int, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, oid, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
            "AND contype = 'f'",
            [table],
        )
        return {name: (oid, definition) for name, oid, definition in cursor.fetchall()}


def _members(count: int) -> bytes:
    return csv_bytes(
        [
            ["customer", "mobile", "name", "arpu"],
            *[["CD0001", f"1380000{n:04d}", f"成员{n}", "88"] for n in range(count)],
        ]
    )


@pytest.fixture
def few_rows_are_many(monkeypatch):
    monkeypatch.setattr("crm.bulk.CHECK_ONCE_ROWS", 5)


def test_a_first_load_checks_the_foreign_keys_once_and_puts_them_back(cast, customers, run_file, few_rows_are_many):
    table = GroupMember._meta.db_table
    before = _foreign_keys(table)
    assert before, "the members table has its foreign key to customers"
    preview = run_file(cast["paul"], "members", _members(8), then="preview")
    assert preview.created == 8
    assert _foreign_keys(table) == before, "a preview is rolled back whole, the constraints with it"
    run = run_file(cast["paul"], "members", _members(8), then="write")
    assert (run.status, run.created) == ("done", 8)
    after = _foreign_keys(table)
    assert {name: definition for name, (_oid, definition) in after.items()} == {
        name: definition for name, (_oid, definition) in before.items()
    }
    assert all(after[name][0] != before[name][0] for name in before), "dropped and added back"
    assert GroupMember.objects.filter(customer__code="CD0001").count() == 8


def test_new_rows_fewer_than_twice_the_table_keep_the_foreign_keys(cast, customers, run_file, few_rows_are_many):
    table = GroupMember._meta.db_table
    run_file(cast["paul"], "members", _members(8), then="write")
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}")
    before = _foreign_keys(table)
    # Twelve new rows, more than CHECK_ONCE_ROWS here, but fewer than twice the eight already there.
    run = run_file(cast["paul"], "members", _members(20), then="write")
    assert (run.status, run.created, run.unchanged) == ("done", 12, 8)
    assert _foreign_keys(table) == before


def test_a_first_load_that_also_moves_a_customer(cast, customers, run_file, few_rows_are_many):
    """The update of an existing customer leaves checks pending in the transaction; they run before the keys go."""
    from accounts.models import Customer

    rows = [["code", "name", "region"], ["CD0001", "搬到武侯", "510107"]]
    rows += [[f"N{n:04d}", f"新客户{n}", "510104"] for n in range(40)]
    run = run_file(cast["paul"], "customers", csv_bytes(rows), then="write")
    assert (run.status, run.created, run.updated) == ("done", 40, 1), run.message
    assert Customer.objects.get(code="CD0001").region_id == "510107"
    assert _foreign_keys(Customer._meta.db_table), "the keys are back"
