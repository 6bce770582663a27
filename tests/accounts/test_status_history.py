"""The customer's status history (SPEC §7 stability_rate needs the status at the start of a period)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from accounts.models import StatusPeriod
from accounts.services import customer_update

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 3, 1)


def _periods(customer) -> list[tuple]:
    return list(StatusPeriod.objects.filter(customer=customer).values_list("status", "starts_on", "ends_on"))


def test_a_new_customer_opens_its_history_with_its_status(customers):
    assert _periods(customers["alice"]) == [("active", timezone.localdate(), None)]


def test_a_change_of_status_through_the_service_ends_the_period_and_starts_the_next(customers, cast):
    customer = customers["alice"]
    StatusPeriod.objects.filter(customer=customer).update(starts_on=DAY)
    customer_update(user=cast["dora"], customer=customer, data={"status": "churned"})
    today = timezone.localdate()
    assert _periods(customer) == [("active", DAY, today), ("churned", today, None)]


def test_saving_without_a_change_of_status_adds_nothing(customers):
    customer = customers["alice"]
    customer.name = "改名后的公司"
    customer.save()
    assert len(_periods(customer)) == 1


def test_a_second_change_on_the_same_day_replaces_the_first(customers):
    customer = customers["alice"]
    StatusPeriod.objects.filter(customer=customer).update(starts_on=DAY)
    StatusPeriod.record(customer_id=customer.pk, status="churned", on=datetime.date(2026, 5, 1))
    StatusPeriod.record(customer_id=customer.pk, status="prospect", on=datetime.date(2026, 5, 1))
    assert _periods(customer) == [
        ("active", DAY, datetime.date(2026, 5, 1)),
        ("prospect", datetime.date(2026, 5, 1), None),
    ]


def test_a_change_undone_the_same_day_leaves_no_trace(customers):
    customer = customers["alice"]
    StatusPeriod.objects.filter(customer=customer).update(starts_on=DAY)
    StatusPeriod.record(customer_id=customer.pk, status="churned", on=datetime.date(2026, 5, 1))
    StatusPeriod.record(customer_id=customer.pk, status="active", on=datetime.date(2026, 5, 1))
    assert _periods(customer) == [("active", DAY, None)]
