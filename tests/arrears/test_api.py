"""`GET /api/v1/customers/{code}/arrears/` (the contract of issue 21) and the outcomes of a case: who reads and who
records, and bad input refused with nothing written."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from arrears.models import ArrearsCase, ArrearsOutcome, CustomerArrears
from arrears.services import arrears_outcome_record
from crm.models import AuditEntry

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


@pytest.fixture
def case(customers, collectors):
    alice = customers["alice"]
    CustomerArrears.objects.create(
        customer=alice, amount=Decimal("86000.00"), since=TODAY() - datetime.timedelta(days=40), period=TODAY()
    )
    return ArrearsCase.objects.create(
        customer=alice,
        opened_amount=Decimal("86000.00"),
        amount=Decimal("86000.00"),
        since=TODAY() - datetime.timedelta(days=40),
        threshold=Decimal("50000.00"),
        due_on=TODAY() + datetime.timedelta(days=14),
        billing_manager=collectors["bill"],
        second_manager=collectors["sam"],
    )


def test_the_contract(api, cast, case):
    answer = api(cast["alice"]).get("/api/v1/customers/CD0001/arrears/")
    assert answer.status_code == 200
    body = answer.json()
    assert body["amount"] == "86000.00"
    assert body["since"] == (TODAY() - datetime.timedelta(days=40)).isoformat()
    assert body["case"]["status"] == "open"
    assert body["case"]["due_on"] == (TODAY() + datetime.timedelta(days=14)).isoformat()
    assert body["case"]["outcomes"] == []
    assert (body["case"]["billing_manager"], body["case"]["second_manager"]) == ("bill", "sam")


def test_a_customer_without_arrears_owes_zero_and_has_no_case(api, cast, customers):
    body = api(cast["alice"]).get("/api/v1/customers/CD0001/arrears/").json()
    assert body == {"amount": "0.00", "since": None, "case": None}


def test_outsiders_get_404_and_anonymous_401(api, cast, case):
    from rest_framework.test import APIClient

    assert api(cast["carol"]).get("/api/v1/customers/CD0001/arrears/").status_code == 404
    assert api(cast["gd_paul"]).get("/api/v1/customers/CD0001/arrears/").status_code == 404
    assert APIClient().get("/api/v1/customers/CD0001/arrears/").status_code == 401
    assert api(cast["carol"]).post("/api/v1/customers/CD0001/arrears/outcomes/", {"kind": "paid"}).status_code == 404
    assert not ArrearsOutcome.objects.exists()


def test_the_managers_over_it_read_it(api, cast, case):
    for who in ("dora", "paul", "hq"):
        assert api(cast[who]).get("/api/v1/customers/CD0001/arrears/").status_code == 200, who


def test_a_promise_with_its_date_moves_the_due_date(api, cast, case, collectors):
    day = TODAY() + datetime.timedelta(days=5)
    answer = api(collectors["bill"]).post(
        "/api/v1/customers/CD0001/arrears/outcomes/",
        {"kind": "promised", "promised_on": day.isoformat(), "note": "财务处长承诺"},
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    case.refresh_from_db()
    assert (case.status, case.due_on) == ("promised", day)
    body = api(cast["alice"]).get("/api/v1/customers/CD0001/arrears/").json()
    assert [(o["kind"], o["promised_on"], o["recorded_by"]) for o in body["case"]["outcomes"]] == [
        ("promised", day.isoformat(), "bill")
    ]
    assert AuditEntry.objects.filter(object_type="arrears.arrearscase", action="update").exists()


@pytest.mark.parametrize(
    "data, field",
    [
        ({"kind": "promised"}, "promised_on"),
        ({"kind": "promised", "promised_on": "2020-01-01"}, "promised_on"),
        ({"kind": "paid", "amount": "-5"}, "amount"),
        ({"kind": "disputed", "promised_on": "2999-01-01"}, "promised_on"),
        ({"kind": "written_off"}, "kind"),
    ],
)
def test_bad_outcomes_are_refused_naming_the_field_and_nothing_is_written(api, collectors, case, data, field):
    answer = api(collectors["sam"]).post("/api/v1/customers/CD0001/arrears/outcomes/", data, format="json")
    assert answer.status_code == 400
    assert field in answer.json(), answer.json()
    case.refresh_from_db()
    assert case.status == "open" and not ArrearsOutcome.objects.exists()


def test_a_promise_without_a_date_says_so(api, collectors, case):
    answer = api(collectors["sam"]).post(
        "/api/v1/customers/CD0001/arrears/outcomes/",
        {"kind": "promised"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert answer.status_code == 400
    assert answer.json()["promised_on"]


def test_no_open_case_no_outcome(api, cast, customers):
    answer = api(cast["alice"]).post("/api/v1/customers/CD0001/arrears/outcomes/", {"kind": "paid"}, format="json")
    assert answer.status_code == 400 and "case" in answer.json()


def test_partner_staff_who_see_the_customer_do_not_read_its_arrears(cast, case):
    from crm.permissions import may
    from tests.factories import UserFactory

    partner = UserFactory(username="pat", role="partner", region=cast["alice"].region)
    assert not may(partner, "arrears.view", case.customer)
    assert not may(partner, "arrears.record_outcome", case)


def test_a_closed_case_takes_no_outcome(cast, case):
    from django.core.exceptions import ValidationError

    case.status, case.closed_on, case.amount = "closed", TODAY(), Decimal("0")
    case.save()
    with pytest.raises(ValidationError):
        arrears_outcome_record(user=cast["alice"], case=case, kind="paid")
    assert not ArrearsOutcome.objects.exists()
