"""A rule on the group's total handsets (issue 21, point 2) when an import creates customers: a new customer is in
no group yet, so its own handsets decide, as the recompute then reads them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.models import Customer
from tiering.bulk import apply_rules
from tiering.models import RuleSet, TierChange

from .conftest import csv_bytes
from .test_kinds import CUSTOMERS

pytestmark = pytest.mark.django_db


def test_new_customers_are_tiered_by_their_own_handsets_and_the_recompute_agrees(cast, run_file):
    national = RuleSet.objects.get(scope_id="000000", status="published")
    national.rules.create(tier="A+", field="group_handset_count", operator="gte", threshold=Decimal("550"))
    run = run_file(cast["paul"], "customers", csv_bytes(CUSTOMERS), then="write")
    assert run.status == "done", run.message
    first = Customer.objects.get(code="N0001")  # 600 handsets
    assert first.tier == "A+"
    assert [(r["field"], r["value"]) for r in first.tier_reasons] == [("group_handset_count", 600)]
    assert Customer.objects.get(code="N0002").tier == "B"  # 120
    logged = TierChange.objects.count()
    new = Customer.objects.filter(code__startswith="N")
    assert apply_rules(new, national.specs(), national.pk, source="import") == 0
    assert TierChange.objects.count() == logged
    assert Customer.objects.get(code="N0001").tier_reasons == first.tier_reasons
