"""A first load (PostgreSQL): a file at least twice the size of the table it goes into has that table's foreign keys
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


def test_a_load_smaller_than_twice_the_table_keeps_the_foreign_keys(cast, customers, run_file, few_rows_are_many):
    table = GroupMember._meta.db_table
    run_file(cast["paul"], "members", _members(8), then="write")
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}")
    before = _foreign_keys(table)
    run = run_file(cast["paul"], "members", _members(12), then="write")
    assert (run.status, run.created, run.unchanged) == ("done", 4, 8)
    assert _foreign_keys(table) == before
