"""Who reads collection cases, and who is offered to record an outcome: `cases_for` asks the visibility rule the way
that stays cheap for a territory (`Customer.objects.restrict`), and the customer page shows "record an outcome" only
to who may use it (a grid manager reads the card, and would get 403 from the form)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from accounts.models import Customer
from arrears.models import ArrearsCase, CustomerArrears
from arrears.selectors import cases_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(customers, collectors):
    today = timezone.localdate()
    made = {}
    for key in ("alice", "mianyang", "guangzhou"):
        customer = customers[key]
        CustomerArrears.objects.create(customer=customer, amount=Decimal("86000"), since=today, period=today)
        made[key] = ArrearsCase.objects.create(
            customer=customer,
            opened_amount=Decimal("86000"),
            amount=Decimal("86000"),
            threshold=Decimal("50000"),
            due_on=today + datetime.timedelta(days=30),
            billing_manager=collectors["bill"],
        )
    return made


def test_cases_for_gives_the_cases_of_the_customers_seen(cast, cases, collectors):
    for user in [*cast.values(), *collectors.values(), AnonymousUser()]:
        seen = set(Customer.objects.visible_to(user).values_list("pk", flat=True))
        expected = {case.pk for case in cases.values() if case.customer_id in seen}
        assert set(cases_for(user).values_list("pk", flat=True)) == expected, user


@pytest.mark.parametrize("who", ["paul", "dora"])
def test_a_territory_is_not_gathered_customer_by_customer(cast, cases, who):
    sql = str(cases_for(cast[who]).query).upper()
    assert "IN (SELECT" not in sql and "LIKE" not in sql


def test_record_an_outcome_is_offered_only_to_who_may_record(cases, collectors, territory, login):
    grid_manager = UserFactory(username="gina", role="grid_manager", region=territory["grid"])
    html = login(grid_manager).get("/customers/CD0001/").content.decode()
    assert 'data-testid="arrears"' in html and 'data-testid="arrears-record"' not in html
    html = login(collectors["bill"]).get("/customers/CD0001/").content.decode()
    assert 'data-testid="arrears-record"' in html


def test_a_changed_amount_is_audited_and_dates_the_case(cases):
    from arrears.services import arrears_cases_sync
    from crm.models import AuditEntry

    case = cases["alice"]
    old = timezone.now() - datetime.timedelta(days=3)
    ArrearsCase.objects.filter(pk=case.pk).update(updated_at=old)
    CustomerArrears.objects.filter(customer=case.customer).update(amount=Decimal("91000.50"))
    AuditEntry.objects.all().delete()
    assert arrears_cases_sync().updated == 1
    case.refresh_from_db()
    assert case.amount == Decimal("91000.50") and case.updated_at > old
    (entry,) = AuditEntry.objects.filter(object_type="arrears.arrearscase", action="update")
    assert entry.customer_code == "CD0001" and entry.changes["amount"] == ["86000.00", "91000.50"]
    assert arrears_cases_sync().updated == 0  # nothing more to say
    assert AuditEntry.objects.filter(object_type="arrears.arrearscase").count() == 1
