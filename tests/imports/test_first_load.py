"""A first load (PostgreSQL): new rows at least as many as the table holds have that table's foreign keys
checked once and its indexes built once, after the insert, instead of row by row; both are back as they
were when the write ends, and a preview (a write rolled back) leaves them untouched."""

from __future__ import annotations

import pytest
from django.db import connection

from accounts.models import GroupMember

from .conftest import csv_bytes

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="first loads drop keys on PostgreSQL only"),
]


def _foreign_keys(table: str) -> dict[str, tuple[int, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, oid, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
            "AND contype = 'f'",
            [table],
        )
        return {name: (oid, definition) for name, oid, definition in cursor.fetchall()}


def _indexes(table: str, primary: bool = False) -> dict[str, tuple[int, str]]:
    """The table's indexes but its primary key (or that alone)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, i.indexrelid, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass AND i.indisprimary = %s",
            [table, primary],
        )
        return {name: (oid, definition) for name, oid, definition in cursor.fetchall()}


def _same_but_new(before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]) -> bool:
    """The same names and definitions, every one made again (another oid)."""
    return {name: definition for name, (_oid, definition) in after.items()} == {
        name: definition for name, (_oid, definition) in before.items()
    } and all(after[name][0] != before[name][0] for name in before)


def _members(count: int) -> bytes:
    return csv_bytes(
        [
            ["customer", "mobile", "name", "arpu"],
            *[["CD0001", f"1380000{n:04d}", f"成员{n}", "88"] for n in range(count)],
        ]
    )


@pytest.fixture
def few_rows_are_many(monkeypatch):
    monkeypatch.setattr("crm.bulk.FIRST_LOAD_ROWS", 5)


def test_a_first_load_checks_the_foreign_keys_once_and_puts_them_back(cast, customers, run_file, few_rows_are_many):
    table = GroupMember._meta.db_table
    before, indexes, primary = _foreign_keys(table), _indexes(table), _indexes(table, primary=True)
    assert before, "the members table has its foreign key to customers"
    assert indexes, "and a unique index on (customer, mobile)"
    preview = run_file(cast["paul"], "members", _members(8), then="preview")
    assert preview.created == 8
    assert _foreign_keys(table) == before, "a preview is rolled back whole, the constraints with it"
    assert _indexes(table) == indexes
    run = run_file(cast["paul"], "members", _members(8), then="write")
    assert (run.status, run.created) == ("done", 8)
    assert _same_but_new(before, _foreign_keys(table)), "dropped and added back"
    assert _same_but_new(indexes, _indexes(table)), "the unique index dropped and built again"
    assert _indexes(table, primary=True) == primary, "the primary key kept"
    assert GroupMember.objects.filter(customer__code="CD0001").count() == 8


def test_new_rows_fewer_than_the_table_holds_keep_the_foreign_keys(cast, customers, run_file, few_rows_are_many):
    table = GroupMember._meta.db_table
    run_file(cast["paul"], "members", _members(8), then="write")
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}")
    before = _foreign_keys(table)
    # Seven new rows, more than FIRST_LOAD_ROWS here, but fewer than the eight already there.
    run = run_file(cast["paul"], "members", _members(15), then="write")
    assert (run.status, run.created, run.unchanged) == ("done", 7, 8)
    assert _foreign_keys(table) == before


def test_a_first_load_that_also_moves_a_customer(cast, customers, run_file, few_rows_are_many):
    """The update of an existing customer leaves checks pending in the transaction; they run before the keys go."""
    from accounts.models import Customer

    rows = [["code", "name", "region", "latitude", "longitude"], ["CD0001", "搬到武侯", "510107", "30.642", "104.043"]]
    rows += [[f"N{n:04d}", f"新客户{n}", "510104", *(["30.657", "-104.066"] if n % 2 else ["", ""])] for n in range(40)]
    table = Customer._meta.db_table
    indexes = _indexes(table)
    assert len(indexes) > 5, "unique, search and sort indexes"
    preview = run_file(cast["paul"], "customers", csv_bytes(rows), then="preview")
    assert preview.created == 40
    assert _indexes(table) == indexes, "a preview is rolled back whole, the indexes with it"
    run = run_file(cast["paul"], "customers", csv_bytes(rows), then="write")
    assert (run.status, run.created, run.updated) == ("done", 40, 1), run.message
    assert Customer.objects.get(code="CD0001").region_id == "510107"
    # the location, and where it came from, through the same statements
    located = Customer.objects.filter(code__in=["CD0001", "N0000", "N0001"]).order_by("code")
    assert list(located.values_list("code", "latitude", "longitude", "location_source")) == [
        ("CD0001", 30.642, 104.043, "import"),
        ("N0000", None, None, ""),
        ("N0001", 30.657, -104.066, "import"),
    ]
    assert _foreign_keys(table), "the keys are back"
    assert _same_but_new(indexes, _indexes(table)), "the indexes dropped and built again"
    assert Customer.objects.filter(name__icontains="新客户3").count() == 11, "found through the rebuilt indexes"


def test_a_duplicate_key_that_slipped_in_fails_the_load_whole(customers, few_rows_are_many):
    """During the load the unique constraints are off: a duplicate key in what it wrote (the import's checks let
    none through, so here written straight) makes putting the constraint back fail, and the transaction with it."""
    from django.db import IntegrityError, transaction

    from accounts.models import Customer
    from crm.bulk import first_load

    table = Customer._meta.db_table
    indexes, before = _indexes(table), Customer.objects.count()
    with pytest.raises(IntegrityError, match="accounts_customer_code_key"), transaction.atomic():
        with first_load(table, 40) as dropped:
            assert dropped
            assert "accounts_customer_code_key" not in _indexes(table)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {table} (code, name, uscc, region_id, address, list_level, handset_count, "
                    "employee_count, monthly_spend, informatization_revenue, is_tax_top500, is_major_influence, "
                    "status, tier_reasons, created_at, updated_at) SELECT 'TWICE', 'n', NULL, '510104', '', 'city', "
                    "0, 0, 0, 0, false, false, 'active', '[]', now(), now() FROM generate_series(1, 40)"
                )
    assert Customer.objects.count() == before
    assert _indexes(table) == indexes, "rolled back: the very indexes of before"


def test_the_customers_table_carries_no_index_no_query_reads():
    """Every index is paid for by every customer written and rebuilt by every first load: the USCC, looked up
    whole only, has its unique index and not the pattern index Django adds beside it (migration accounts 0018)."""
    definitions = _indexes("accounts_customer").values()
    assert not [definition for _oid, definition in definitions if "(uscc varchar_pattern_ops)" in definition]
    assert [definition for _oid, definition in definitions if "UNIQUE" in definition and "(uscc)" in definition]
