"""The customer page's product matrix (SPEC §6.1)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from campaigns.models import CustomerProduct, Product

pytestmark = pytest.mark.django_db


def test_the_customer_page_shows_each_products_coverage(cast, customers, login):
    customer = customers["alice"]  # 120 handsets
    today = timezone.localdate()
    CustomerProduct.objects.create(
        customer=customer,
        product_id="VPMN",
        active_users=12,
        subscribed_on=datetime.date(2025, 1, 1),
        last_used_on=today,
    )
    CustomerProduct.objects.create(
        customer=customer,
        product_id="DEDICATED_LINE",
        active_users=1,
        subscribed_on=datetime.date(2024, 1, 1),
        last_used_on=today - datetime.timedelta(days=200),
    )
    page = login(cast["alice"]).get(f"/customers/{customer.code}/").content.decode()
    matrix = page[page.index('data-testid="products"') :]

    def status_of(code: str) -> str:
        row = matrix[matrix.index(f'data-product="{code}"') :]
        return row[row.index('data-testid="coverage-status">') + len('data-testid="coverage-status">') :].split("<")[0]

    assert status_of("VPMN") == "薄覆盖"  # 12 of 120 handsets: 10 %
    assert status_of("DEDICATED_LINE") == "伪覆盖"  # not used for 200 days
    assert status_of("ENTERPRISE_BB") == "未覆盖"
    assert matrix.count("data-product=") == Product.objects.filter(is_active=True).count()
