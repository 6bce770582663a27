"""The arrears tests' cast: alice's customer (锦江区, 成都) has a billing manager (bill) and a second manager (sam)
beside its customer manager (alice)."""

from __future__ import annotations

import pytest

from tests.factories import TeamRoleFactory, UserFactory
from tests.imports.conftest import _eager_celery, run_file  # noqa: F401  (the import tests' fixtures)


@pytest.fixture
def collectors(cast, customers, territory):
    department = cast["alice"].department
    bill = UserFactory(username="bill", region=territory["jinjiang"], department=department)
    sam = UserFactory(username="sam", region=territory["chengdu"], department=department)
    TeamRoleFactory(customer=customers["alice"], user=bill, role="billing_manager")
    TeamRoleFactory(customer=customers["alice"], user=sam, role="second_manager")
    return {"bill": bill, "sam": sam}
