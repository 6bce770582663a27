"""The region tree's path statistics (crm 0017): PostgreSQL's planner sees the whole tree, so that a territory's
prefix is estimated at its real size."""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the planner's statistics are PostgreSQL's")
def test_the_region_paths_carry_a_full_histogram():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attstattarget FROM pg_attribute WHERE attrelid = 'crm_region'::regclass AND attname = 'path'"
        )
        assert cursor.fetchone()[0] == 10000
