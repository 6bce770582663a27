"""Shared fixtures of the campaign tests."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from accounts.models import Customer
from campaigns.models import CustomerProduct
from tests.factories import CustomerFactory, TeamRoleFactory


@pytest.fixture
def b_tier(customers, cast, territory):
    """In 成都: alice's customer B with thin V网 (12 of 120 handsets), bob's customer B without V网, a C customer
    with covered V网; in 绵阳 carol's customer B (outside 成都)."""
    today = timezone.localdate()
    Customer.objects.filter(pk__in=[customers[k].pk for k in ("alice", "wuhou", "mianyang")]).update(tier="B")
    CustomerProduct.objects.create(
        customer=customers["alice"],
        product_id="VPMN",
        active_users=12,
        subscribed_on=datetime.date(2025, 1, 1),
        last_used_on=today,
    )
    c_customer = CustomerFactory(code="CD0009", region=territory["jinjiang"])
    Customer.objects.filter(pk=c_customer.pk).update(tier="C")
    TeamRoleFactory(customer=c_customer, user=cast["alice"])
    CustomerProduct.objects.create(
        customer=c_customer,
        product_id="VPMN",
        active_users=100,
        subscribed_on=datetime.date(2025, 1, 1),
        last_used_on=today,
    )
    return customers
