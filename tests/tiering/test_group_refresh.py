"""A rule on the group's total handsets recomputed where a group changes (issue 21, point 2): an edit of one
customer, or an import, recomputes the whole groups it touches — the headquarters and every branch — at once, not
only the customers it wrote."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.models import Customer
from tiering.models import RuleSet
from tiering.services import tier_refresh, tiers_apply

pytestmark = pytest.mark.django_db


@pytest.fixture
def group_rule(group):
    """The national set tiers A+ a customer whose group has 1 000 handsets or more; the group's four customers have
    200 each (800)."""
    national = RuleSet.objects.get(scope_id="000000", status="published")
    national.rules.create(tier="A+", field="group_handset_count", operator="gte", threshold=Decimal("1000"))
    Customer.objects.filter(code__startswith="BANK").update(handset_count=200)
    tiers_apply(customers=Customer.objects.filter(code__startswith="BANK"), source="manual")
    assert "A+" not in tiers()
    return national


def tiers() -> dict[str, str]:
    return dict(Customer.objects.filter(code__startswith="BANK").values_list("code", "tier"))


def test_an_edit_of_one_branch_recomputes_its_whole_group(group_rule):
    Customer.objects.filter(code="BANK44").update(handset_count=400)  # the 广州 branch: 1 000 for the group
    tier_refresh(customer=Customer.objects.get(code="BANK44"))
    assert set(tiers().values()) == {"A+"}  # the headquarters and the sibling branches with it


def test_an_edit_through_the_service_recomputes_the_whole_group(group_rule, cast):
    from accounts.services import customer_update

    customer_update(user=cast["hq"], customer=Customer.objects.get(code="BANK5107"), data={"handset_count": 400})
    assert set(tiers().values()) == {"A+"}


def test_a_branch_joining_a_group_moves_the_groups_tier(group_rule, customers):
    Customer.objects.filter(code="CD0001").update(parent=Customer.objects.get(code="BANK51"), handset_count=200)
    tier_refresh(customer=Customer.objects.get(code="CD0001"))
    assert set(tiers().values()) == {"A+"}
    assert Customer.objects.get(code="CD0001").tier == "A+"


def test_a_customer_in_no_group_is_recomputed_alone(group_rule, customers):
    Customer.objects.filter(code="BANK00").update(tier="C", computed_tier="C")
    tier_refresh(customer=Customer.objects.get(code="CD0001"))
    assert tiers()["BANK00"] == "C"  # nothing of the group was touched
