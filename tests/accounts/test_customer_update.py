"""`customer_update` checks the territory of a new region whoever calls it: a ModelForm (the page's, the admin's)
has already set the new region on the instance it hands over, so the check compares with the stored one."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Customer
from accounts.services import customer_update

pytestmark = pytest.mark.django_db


def test_a_region_already_set_on_the_instance_is_still_checked(cast, customers, territory):
    customer = Customer.objects.get(code="CD0001")
    customer.region = territory["fucheng"]  # what a ModelForm's validation leaves on the instance
    with pytest.raises(ValidationError) as refused:
        customer_update(user=cast["dora"], customer=customer, data={"region": territory["fucheng"]})
    assert "region" in refused.value.message_dict
    assert Customer.objects.get(code="CD0001").region == customers["alice"].region


def test_a_region_within_the_territory_is_saved(cast, customers, territory):
    customer = Customer.objects.get(code="CD0001")
    customer.region = territory["wuhou"]
    customer_update(user=cast["dora"], customer=customer, data={"region": territory["wuhou"]})
    assert Customer.objects.get(code="CD0001").region == territory["wuhou"]
