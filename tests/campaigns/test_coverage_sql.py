"""The set-based coverage (filters, the gap matrix) agrees with the pure `coverage_status` (SPEC §6.1)."""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.utils import timezone

from accounts.models import Customer
from campaigns.models import CoverageThresholds, CustomerProduct, Product
from campaigns.rules import COVERED, FAKE, THIN, UNCOVERED, coverage_status
from campaigns.selectors import coverage_condition, gap_matrix
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def holdings(territory):
    """Customers of 0–400 handsets holding a per-member and a per-customer product with boundary values."""
    handsets = [0, 1, 20, 100, 400]
    users = [0, 1, 4, 5, 6, 29, 30, 31, 120]
    used = [None, TODAY, TODAY - datetime.timedelta(days=90), TODAY - datetime.timedelta(days=91)]
    combos = list(itertools.product(handsets, users, used))
    for index, (count, active_users, last_used) in enumerate(combos):
        customer = CustomerFactory(code=f"COV{index:04d}", region=territory["jinjiang"], handset_count=count)
        for product in ("VPMN", "DEDICATED_LINE"):
            if (index + len(product)) % 5:  # some hold neither, one or both
                CustomerProduct.objects.create(
                    customer=customer,
                    product_id=product,
                    active_users=active_users,
                    subscribed_on=datetime.date(2020, 1, 1),
                    last_used_on=last_used,
                )
    CustomerFactory(code="COVCHURNED", region=territory["jinjiang"], status="churned")
    return len(combos)


def _expected(product: Product) -> dict[str, set[str]]:
    thresholds = CoverageThresholds.current()
    expected = {status: set() for status in (UNCOVERED, FAKE, THIN, COVERED)}
    held = {h.customer_id: h for h in CustomerProduct.objects.filter(product=product)}
    for customer in Customer.objects.filter(status="active"):
        holding = held.get(customer.pk)
        status = coverage_status(
            per_member=product.per_member,
            holding=holding.facts() if holding else None,
            handset_count=customer.handset_count,
            today=TODAY,
            thresholds=thresholds,
        )
        expected[status].add(customer.code)
    return expected


@pytest.mark.parametrize("code", ["VPMN", "DEDICATED_LINE"])
def test_the_filter_finds_the_customers_the_pure_rule_names(holdings, code):
    product = Product.objects.get(code=code)
    expected = _expected(product)
    assert all(expected[status] for status in (UNCOVERED, FAKE, COVERED))  # the data exercises them
    for status, codes in expected.items():
        found = Customer.objects.filter(coverage_condition(product, status, TODAY), status="active")
        assert set(found.values_list("code", flat=True)) == codes, status


def test_the_gap_matrix_counts_what_the_pure_rule_gives(holdings):
    matrix = {row.product.code: row.counts for row in gap_matrix(Customer.objects.all(), TODAY)}
    for code in ("VPMN", "DEDICATED_LINE"):
        expected = _expected(Product.objects.get(code=code))
        assert matrix[code] == {status: len(codes) for status, codes in expected.items()}
    assert matrix["ENTERPRISE_BB"] == {UNCOVERED: holdings, FAKE: 0, THIN: 0, COVERED: 0}  # the churned one: out
    assert matrix["VPMN"][THIN] > 0
