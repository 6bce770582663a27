"""An import under a rule on the group's total handsets (issue 21, point 2): the groups of the customers it changed
or put in a group are recomputed whole — the headquarters and every branch — not only the rows it wrote."""

from __future__ import annotations

import pytest

from tests.tiering.test_group_refresh import group_rule, tiers

from .conftest import csv_bytes

pytestmark = pytest.mark.django_db

__all__ = ["group_rule"]


def test_an_import_recomputes_the_groups_of_the_customers_it_changed(group_rule, cast, run_file):
    rows = [["code", "name", "region", "handset_count"], ["BANK44", "中国示范银行广州分行", "440106", "400"]]
    run = run_file(cast["hq"], "customers", csv_bytes(rows), then="write")
    assert run.status == "done", run.message
    assert set(tiers().values()) == {"A+"}


def test_an_import_recomputes_the_group_a_new_branch_joins(group_rule, cast, run_file):
    rows = [
        ["code", "name", "region", "handset_count", "上级集团编码"],
        ["BANK4401", "天河支行", "440106", "200", "BANK44"],
    ]
    run = run_file(cast["hq"], "customers", csv_bytes(rows), then="write")
    assert run.status == "done", run.message
    assert set(tiers().values()) == {"A+"}
