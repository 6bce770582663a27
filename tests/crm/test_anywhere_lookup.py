"""The `anywhere` lookup (crm.lookups): a word anywhere in a text, case ignored, as `icontains`; on PostgreSQL a
word of two characters through the names' pairs of characters (`crm_bigrams`, the index `customer_name_bigrams`)."""

from __future__ import annotations

import pytest
from django.db import connection

from accounts.models import Customer
from accounts.validators import may_be_a_uscc, may_begin_a_code
from tests.factories import CustomerFactory

ON_POSTGRES = connection.vendor == "postgresql"

NAMES = ["崇州市政府", "成都AB霹雳有限公司", "AB CD", "x", "政府", "天府 科技", "Ab州", "人民医院"]
WORDS = [
    "崇州",
    "州市",
    "政府",
    "霹雳",
    "ab",
    "Ab",
    "B ",
    " C",
    "CD",
    "州",
    "x",
    "府 科",
    "天府 科技",
    "b州",
    "人民医院",
    "民医",
]


@pytest.mark.django_db
def test_finds_what_icontains_finds_for_every_length_of_word(territory):
    for index, name in enumerate(NAMES):
        CustomerFactory(name=name, code=f"AW{index:04d}", region=territory["wuhou"])
    for word in WORDS:
        found = set(Customer.objects.filter(name__anywhere=word).values_list("name", flat=True))
        assert found == {name for name in NAMES if word.upper() in name.upper()}, word


@pytest.mark.django_db
@pytest.mark.skipif(not ON_POSTGRES, reason="the pairs of characters are PostgreSQL's index")
def test_a_word_of_two_characters_is_found_by_the_index_of_pairs_and_the_pairs_are_each_adjacent_two(territory):
    with connection.cursor() as cursor:
        cursor.execute("SELECT crm_bigrams('崇州市政府'), crm_bigrams('a' || chr(31) || 'b'), crm_bigrams('x')")
        assert cursor.fetchone() == (["崇州", "市政", "州市", "政府"], ["ab"], [])
    CustomerFactory(name="成都AB霹雳有限公司", region=territory["wuhou"])
    for index in range(200):
        CustomerFactory(name=f"天府{'科技' if index % 5 == 0 else '物流'}{index}", region=territory["wuhou"])
    sql, params = Customer.objects.filter(name__anywhere="霹雳").order_by().values("pk").query.sql_with_params()
    assert "crm_bigrams" in sql
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE accounts_customer")
        cursor.execute("SET LOCAL enable_seqscan = off")  # a few hundred rows: else read whole
        cursor.execute("SET LOCAL enable_indexscan = off")
        # … or read whole from the region index, which holds the names (a bitmap of every entry, cheaper on so few
        # rows than a fresh index of pairs by the planner's reckoning); dropped within the test's transaction
        cursor.execute("DROP INDEX customer_region_code_tier_idx")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "customer_name_bigrams" in plan
    # Three characters and more: the LIKE the trigram index serves, not the pairs.
    # The planner counts the word's share once, from the pairs (the LIKE beside them is spelt not to count).
    cursor_sql = Customer.objects.filter(name__anywhere="科技").order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {cursor_sql[0]}", cursor_sql[1])
        assert cursor.fetchone()[0][0]["Plan"]["Plan Rows"] >= 20
    sql, _ = Customer.objects.filter(name__anywhere="霹雳有").values("pk").query.sql_with_params()
    assert "crm_bigrams" not in sql and "LIKE" in sql


def test_a_word_is_looked_for_among_codes_and_usccs_only_when_it_may_be_one():
    assert may_begin_a_code("GC51") and may_begin_a_code("gc-5_1") and may_begin_a_code("é")
    assert not may_begin_a_code("崇州") and not may_begin_a_code("GC 51") and not may_begin_a_code("A" * 33)
    assert may_be_a_uscc("91510100MA61234567") and not may_be_a_uscc("9151010")


@pytest.mark.django_db
@pytest.mark.skipif(not ON_POSTGRES, reason="index-only scans are PostgreSQL's")
def test_a_territorys_customers_searched_for_a_common_word_are_read_from_the_region_index_alone(territory):
    """The list of a small territory searched for a common word of two is read region by region (`crm.paginator`):
    the region index holds the names, so their rows are found without reading the table (凉山 at a million: 65 →
    33 ms)."""
    for index in range(50):
        CustomerFactory(name=f"天府{'科技' if index % 5 == 0 else '物流'}{index}", region=territory["wuhou"])
    rows = Customer.objects.filter(region=territory["wuhou"], name__anywhere="科技").values_list("pk", "code")
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a few rows: else read whole
        cursor.execute("SET LOCAL enable_bitmapscan = off")  # read as the region's rows are, in code order
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Only Scan using customer_region_code_tier_idx" in plan, plan
    assert sorted(code for _pk, code in rows) == sorted(c.code for c in Customer.objects.filter(name__contains="科技"))
