"""Customers generated around the rule thresholds."""

import random
from decimal import Decimal

import pytest

from tests.factories import CustomerFactory

INDUSTRIES = ["C39", "J66", "J67", "J68", "S92", "R86", "I63", "F51", "P83", None]


@pytest.fixture
def generated(territory):
    rng = random.Random(4754)
    customers = []
    for _ in range(300):
        handsets = rng.choice([0, 99, 100, 101, 499, 500, 501, rng.randint(0, 3000)])
        customers.append(
            CustomerFactory(
                region=territory["jinjiang"],
                uscc=None,
                industry_id=rng.choice(INDUSTRIES),
                handset_count=handsets,
                employee_count=rng.randint(0, 5000),
                monthly_spend=Decimal(
                    rng.choice(
                        ["19999.99", "20000.00", "99999.99", "100000.00", "0.00", f"{rng.uniform(0, 200000):.2f}"]
                    )
                ),
                informatization_revenue=Decimal(f"{rng.uniform(0, 50000):.2f}"),
                is_tax_top500=rng.random() < 0.05,
                is_major_influence=rng.random() < 0.05,
                status=rng.choice(["active", "active", "active", "prospect", "churned"]),
            )
        )
    return customers
