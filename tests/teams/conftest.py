from __future__ import annotations

import pytest

from accounts.models import Customer


@pytest.fixture
def tiered(customers):
    """The cast's customers with tiers: alice's is B (needs a service manager, a visit a month), bob's is C."""
    Customer.objects.filter(pk=customers["alice"].pk).update(tier="B")
    Customer.objects.filter(pk=customers["wuhou"].pk).update(tier="C")
    Customer.objects.filter(pk=customers["mianyang"].pk).update(tier="A")
    for customer in customers.values():
        customer.refresh_from_db()
    return customers
