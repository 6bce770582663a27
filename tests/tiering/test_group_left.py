"""A branch that leaves a group under a rule on the group's total handsets (issue 21, point 2): the group it left
loses its handsets at once, as the group it joins gains them — through the service (the API and the edit page
write through it), and through the customers import's parent column."""

from __future__ import annotations

import pytest

from accounts.models import Customer
from accounts.services import customer_update
from tests.imports.conftest import csv_bytes, run_file
from tests.tiering.test_group_refresh import group_rule, tiers
from tiering.models import TierChange
from tiering.services import tiers_apply

pytestmark = pytest.mark.django_db

__all__ = ["group_rule", "run_file"]


@pytest.fixture
def full_group(group_rule):
    """The group at 1 000 handsets (its 广州 branch has 400): all four A+."""
    Customer.objects.filter(code="BANK44").update(handset_count=400)
    tiers_apply(customers=Customer.objects.filter(code__startswith="BANK"), source="manual")
    assert set(tiers().values()) == {"A+"}
    return group_rule


def test_a_branch_taken_out_of_its_group_lowers_the_groups_tier_at_once(full_group, cast):
    customer_update(user=cast["hq"], customer=Customer.objects.get(code="BANK44"), data={"parent": None})
    assert tiers() == {"BANK00": "B", "BANK51": "B", "BANK5107": "B", "BANK44": "B"}  # 600 and 400 now
    left = TierChange.objects.filter(customer__code="BANK00").latest("changed_at")
    assert (left.from_tier, left.to_tier, left.source) == ("A+", "B", "manual")


def test_a_branch_moved_to_another_group_recomputes_both_groups(full_group, cast, customers):
    Customer.objects.filter(code="CD0001").update(handset_count=700)
    customer_update(
        user=cast["hq"],
        customer=Customer.objects.get(code="BANK44"),
        data={"parent": Customer.objects.get(code="CD0001")},
    )
    assert tiers() == {"BANK00": "B", "BANK51": "B", "BANK5107": "B", "BANK44": "A+"}  # 600; 1 100 with CD0001
    assert Customer.objects.get(code="CD0001").tier == "A+"


def test_a_branch_taken_out_through_the_api_lowers_the_groups_tier(full_group, cast, api):
    answer = api(cast["hq"]).patch("/api/v1/customers/BANK44/", {"parent": None}, format="json")
    assert answer.status_code == 200, answer.content
    assert tiers()["BANK00"] == "B"


def test_an_import_moving_branches_out_recomputes_the_groups_they_left(full_group, cast, run_file):
    rows = [
        ["code", "name", "region", "上级集团编码"],
        ["BANK44", "中国示范银行广州分行", "440106", ""],
        ["BANK5107", "中国示范银行绵阳分行", "510703", "BANK44"],
    ]
    run = run_file(cast["hq"], "customers", csv_bytes(rows), then="write")
    assert run.status == "done", run.message
    # BANK00 + BANK51: 400; BANK44 + BANK5107: 600
    assert tiers() == {"BANK00": "B", "BANK51": "B", "BANK5107": "B", "BANK44": "B"}


def test_an_import_that_leaves_the_parents_as_they_are_touches_no_group(full_group, cast, run_file):
    Customer.objects.filter(code="BANK00").update(tier="C", computed_tier="C")
    rows = [["code", "name", "region", "上级集团编码"], ["BANK44", "中国示范银行广州分行", "440106", "BANK00"]]
    run = run_file(cast["hq"], "customers", csv_bytes(rows), then="write")
    assert run.status == "done", run.message
    assert tiers()["BANK00"] == "C"


def test_a_previewed_import_then_written_recomputes_the_groups_it_left(full_group, cast, run_file):
    from imports.services import import_run_confirm, import_run_write

    rows = [["code", "name", "region", "上级集团编码"], ["BANK44", "中国示范银行广州分行", "440106", ""]]
    run = run_file(cast["hq"], "customers", csv_bytes(rows))
    assert run.status == "previewed", run.message
    assert tiers()["BANK00"] == "A+"  # the preview wrote nothing
    run = import_run_write(import_run_confirm(run=run, user=cast["hq"]))
    assert run.status == "done", run.message
    assert tiers() == {"BANK00": "B", "BANK51": "B", "BANK5107": "B", "BANK44": "B"}
