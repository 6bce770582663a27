"""The admin's product revenue targets and arrears thresholds are written through their services
(`product_revenue_target_set`, `arrears_thresholds_set`): the same rule is asked and the same audit entry written as
on their pages, never a row saved around them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.admin.sites import site
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory

from arrears.models import ArrearsThreshold
from campaigns.models import Product
from crm.models import AuditEntry
from kpis.models import ProductRevenueTarget

pytestmark = pytest.mark.django_db


def _request(user):
    request = RequestFactory().post("/admin/")
    request.user = user
    return request


def test_a_product_target_saved_in_the_admin_asks_the_rule_and_is_audited(cast, territory):
    admin = site._registry[ProductRevenueTarget]
    crbt = Product.objects.get(pk="GROUP_CRBT")
    national = ProductRevenueTarget(region=territory["root"], product=crbt, year=2026, amount=Decimal("5"))
    with pytest.raises(PermissionDenied):
        admin.save_model(_request(cast["paul"]), national, None, False)
    assert not ProductRevenueTarget.objects.exists()

    target = ProductRevenueTarget(region=territory["sichuan"], product=crbt, year=2026, amount=Decimal("30000"))
    admin.save_model(_request(cast["paul"]), target, None, False)
    assert target.pk == ProductRevenueTarget.objects.get().pk and target.updated_by == cast["paul"]
    (entry,) = AuditEntry.objects.filter(object_type="kpis.productrevenuetarget")
    assert (entry.action, entry.detail["product"]) == ("create", "GROUP_CRBT")

    admin.delete_model(_request(cast["paul"]), target)
    assert not ProductRevenueTarget.objects.exists()
    assert AuditEntry.objects.filter(object_type="kpis.productrevenuetarget", action="delete").count() == 1


def test_an_arrears_threshold_saved_in_the_admin_asks_the_rule_and_is_audited(cast, territory):
    admin = site._registry[ArrearsThreshold]
    with pytest.raises(PermissionDenied):
        admin.save_model(
            _request(cast["paul"]),
            ArrearsThreshold(region=territory["root"], tier="B", amount=Decimal("1")),
            None,
            False,
        )
    assert not ArrearsThreshold.objects.filter(region=territory["root"], tier="B", amount=Decimal("1")).exists()

    row = ArrearsThreshold(region=territory["sichuan"], tier="B", amount=Decimal("12000"))
    admin.save_model(_request(cast["paul"]), row, None, False)
    assert ArrearsThreshold.objects.get(pk=row.pk).updated_by == cast["paul"]
    (entry,) = AuditEntry.objects.filter(object_type="arrears.arrearsthreshold")
    assert (entry.action, entry.detail["tier"]) == ("create", "B")

    admin.delete_model(_request(cast["paul"]), row)
    assert not ArrearsThreshold.objects.filter(region=territory["sichuan"]).exists()
    assert AuditEntry.objects.filter(object_type="arrears.arrearsthreshold", action="delete").count() == 1
