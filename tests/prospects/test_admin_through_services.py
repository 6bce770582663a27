"""The admin's claim rules and new-customer targets are written through their services (`claim_rule_set`,
`new_customer_target_set`): the same rule asked and the same audit entry written as on their pages."""

from __future__ import annotations

import pytest
from django.contrib.admin.sites import site
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory

from crm.models import AuditEntry
from prospects.models import ClaimRule, NewCustomerTarget

pytestmark = pytest.mark.django_db


def _request(user):
    request = RequestFactory().post("/admin/")
    request.user = user
    return request


def test_a_claim_rule_saved_in_the_admin_asks_the_rule_and_is_audited(cast, territory):
    admin = site._registry[ClaimRule]
    with pytest.raises(PermissionDenied):
        admin.save_model(_request(cast["paul"]), ClaimRule(region=territory["root"], max_claimed=3), None, False)
    assert not ClaimRule.objects.exists()
    rule = ClaimRule(region=territory["sichuan"], max_claimed=12, return_after_days=20)
    admin.save_model(_request(cast["paul"]), rule, None, False)
    assert rule.pk == ClaimRule.objects.get().pk
    (entry,) = AuditEntry.objects.filter(object_type="prospects.claimrule")
    assert (entry.action, entry.username) == ("create", "paul")
    admin.delete_model(_request(cast["paul"]), rule)
    assert not ClaimRule.objects.exists()
    assert AuditEntry.objects.filter(object_type="prospects.claimrule", action="delete").count() == 1


def test_a_target_saved_in_the_admin_asks_the_rule_and_is_audited(cast, territory):
    admin = site._registry[NewCustomerTarget]
    with pytest.raises(PermissionDenied):
        admin.save_model(
            _request(cast["paul"]), NewCustomerTarget(region=territory["tianhe"], year=2026, target=5), None, False
        )
    target = NewCustomerTarget(region=territory["chengdu"], year=2026, target=6800)
    admin.save_model(_request(cast["paul"]), target, None, False)
    assert NewCustomerTarget.objects.get().pk == target.pk
    target.year = 2027
    admin.save_model(_request(cast["paul"]), target, None, True)  # moved to another year: the old one goes
    assert list(NewCustomerTarget.objects.values_list("year", "target")) == [(2027, 6800)]
    entries = AuditEntry.objects.filter(object_type="prospects.newcustomertarget").order_by("id")
    assert list(entries.values_list("action", flat=True)) == ["create", "delete", "create"]
