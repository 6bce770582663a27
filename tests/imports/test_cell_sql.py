"""Each column's SQL twin (imports/sqlread.py reads a CSV with them on PostgreSQL) beside its parser, cell by
cell: a cell the twin takes is one the parser takes, and gives the very same value; the common spellings (the
template's examples, BOSS's own) are taken, so a good file never goes through Python row by row."""

from __future__ import annotations

import datetime
import sys
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from imports.kinds import KINDS
from imports.kinds.base import SQL_TWINS, WHITESPACE, CellError, Column, Lookups
from imports.services import lookups_for
from imports.staging import PG_TYPES

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()

# Cells that break a rule, or bend one, for every kind of column: the twin must refuse each the parser refuses and
# read each it takes as the parser does.
TRICKY = [
    "",
    " ",
    "x",
    " x",
    "x ",
    "\u3000x",
    "x\u3000",
    "x\u00a0",
    "a\tb",
    "a\nb",
    "a\x1bb",
    "a\x07",
    "\u202ex",
    "a\u2069",
    "a\x85b",
    "a\x7fb",
    "a\x9fb",
    "'=1+2",
    "'x",
    "=1+2",
    "0",
    "00",
    "7",
    "123456789",
    "1234567890",
    "2147483648",
    "-1",
    "+1",
    "1.5",
    "1.50",
    "1.505",
    ".5",
    "5.",
    "1,000",
    "1 000",
    "１２３",
    "1e3",
    "NaN",
    "999999999999",
    "9999999999999",
    "999999999999.99",
    "9999999999999.99",
    "99999999.99",
    "999999999.99",
    "true",
    "True",
    "TRUE",
    "false",
    "1",
    "是",
    "否",
    "yes",
    "Y",
    "y",
    "2024-02-29",
    "2023-02-29",
    "2023-02-28",
    "2023-04-30",
    "2023-04-31",
    "2023-05-31",
    "2023-13-01",
    "2023-00-10",
    "2023-01-00",
    "1949-09-30",
    "1949-10-01",
    "0999-01-01",
    TODAY.isoformat(),
    (TODAY + datetime.timedelta(days=1)).isoformat(),
    "2024/01/01",
    "2024-1-1",
    "2024-01",
    "2024-1",
    "1949-09",
    "1949-10",
    f"{TODAY:%Y-%m}",
    "2999-01",
    "13812345678",
    "12812345678",
    "1381234567",
    "138123456789",
    "１3812345678",
    "91350100M000100Y43",
    "91350100M000100Y44",
    "91350100m000100y43",
    "91350100M000100I43",
    "91350100M000100Y4",
    "G5101000001",
    "g-01_a",
    "-abc",
    "_abc",
    "a" * 32,
    "a" * 33,
    "a b",
    "Ａ1",
    "510104",
    "510104-G01",
    "510000",
    "000000",
    "440106",
    "999999",
    "I65",
    "i65",
    "X99",
    "VPMN",
    "vpmn",
    "active",
    "Active",
    "在网",
    "prospect",
    "city",
    "national",
    "national ",
    "省级",
    "名" * 50,
    "名" * 51,
    "名" * 200,
    "名" * 201,
    "x" * 300,
    "x" * 301,
    "𠀀" * 3,
    # degrees: a location's latitude and longitude
    "30.657",
    "104.066",
    "-33.8688",
    "'-33.8688",
    "-0",
    "-0.0",
    "0030.5",
    "90",
    "-90",
    "90.0",
    "90.000000000001",
    "-90.5",
    "180",
    "-180",
    "180.000000000001",
    "181",
    "-181",
    "1.123456789012",
    "-179.123456789012",
    "1.1234567890123",
    "1.12345678901230",
    "0.000000000000001",
    "-",
    "--1",
    "- 1",
    "1.5.5",
    "1.-5",
    "30,657",
    "３０.５",
    "9" * 25,
    "1" + "0" * 400,
    "0." + "0" * 30 + "1",
]


@pytest.fixture
def lookups(cast) -> Lookups:
    return lookups_for(cast["paul"], cast["paul"].region)


def _columns() -> list[tuple[str, Column]]:
    seen, columns = set(), []
    for kind in KINDS.values():
        for column in kind.columns:
            if (kind.name, column.name) not in seen:
                seen.add((kind.name, column.name))
                columns.append((f"{kind.name}.{column.name}", column))
    return columns


def _normal(column: Column, value: Any) -> Any:
    """A parser's value as the staging table holds it (the fast paths give numbers as their text)."""
    if value is None:
        return None
    return {
        "integer": int,
        "numeric": lambda v: Decimal(str(v)).quantize(Decimal("0.01")),
        "float": float,
        "boolean": bool,
        "date": lambda v: v if isinstance(v, datetime.date) else datetime.date.fromisoformat(v),
        "text": str,
    }[column.sql_type](value)


def _twin(column: Column, cell: str, lookups: Lookups) -> tuple[bool, Any]:
    twin = SQL_TWINS[column.parse]("r.c", lookups)
    source = "FROM (SELECT CAST(%s AS text) AS c) r"
    argument = cell or None  # COPY reads an empty field as NULL
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {twin.ok} {source}", [*twin.ok_params, argument])
        ok = cursor.fetchone()[0]
        assert ok is not None, f"{column.name}: the twin says neither yes nor no to {cell!r}"
        if not ok:
            return False, None
        cursor.execute(
            f"SELECT CAST({twin.value} AS {PG_TYPES[column.sql_type]}) {source}", [*twin.value_params, argument]
        )
        return True, cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the SQL twins are PostgreSQL's")
@pytest.mark.parametrize("label, column", _columns(), ids=[label for label, _ in _columns()])
def test_a_twin_takes_only_what_its_parser_takes_and_reads_it_alike(label, column, lookups):
    taken = 0
    for cell in [*TRICKY, column.example]:
        ok, value = _twin(column, cell, lookups)
        if not ok:
            continue
        taken += 1
        try:
            expected = column.parse(cell, lookups)
        except CellError as exc:
            pytest.fail(f"{label}: the twin takes {cell!r}, which the parser refuses ({exc})")
        assert value == _normal(column, expected), f"{label}: {cell!r} is {value!r} in SQL, {expected!r} in Python"
    assert taken, f"{label}: the twin takes nothing"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the SQL twins are PostgreSQL's")
@pytest.mark.parametrize("label, column", _columns(), ids=[label for label, _ in _columns()])
def test_a_twin_takes_the_common_spelling(label, column, lookups):
    """The template's example (or, for an optional column, an empty cell) is read in SQL, not left to Python."""
    cell = column.example
    if column.name in ("region",):
        cell = "510104"
    assert _twin(column, cell, lookups)[0], f"{label}: the twin leaves {cell!r} to the parser"


def test_the_whitespace_the_twins_strip_is_what_python_strips():
    assert set(WHITESPACE) == {chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace()}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the SQL twins are PostgreSQL's")
@pytest.mark.parametrize("name", ["latitude", "longitude"])
def test_the_twins_of_degrees_take_what_boss_and_phones_write(name, lookups):
    """Degrees south and west, whole degrees, twelve decimals, an empty cell: read in SQL, not left to Python."""
    column = KINDS["customers"].column(name)
    for cell in ["", "30.657", "-33.8688", "90", "-90", "0", "30.123456789012", "-89.999999999999"]:
        ok, value = _twin(column, cell, lookups)
        assert ok, f"{name}: the twin leaves {cell!r} to the parser"
        assert value == column.parse(cell, lookups)
