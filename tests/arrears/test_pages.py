"""The arrears card of the customer page, the outcome form and the collection cases page (issue 21)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from arrears.models import ArrearsCase, ArrearsOutcome, CustomerArrears

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(customers, collectors):
    today = timezone.localdate()
    CustomerArrears.objects.create(customer=customers["alice"], amount=Decimal("86000"), since=today, period=today)
    return ArrearsCase.objects.create(
        customer=customers["alice"],
        opened_amount=Decimal("86000"),
        amount=Decimal("86000"),
        threshold=Decimal("50000"),
        due_on=today + datetime.timedelta(days=30),
        billing_manager=collectors["bill"],
        second_manager=collectors["sam"],
    )


def test_the_customer_page_shows_the_case_to_its_team(case, cast, login, collectors):
    html = login(collectors["bill"]).get("/customers/CD0001/").content.decode()
    assert 'data-testid="arrears"' in html and 'data-testid="arrears-record"' in html
    assert "86,000.00" in html


def test_the_customer_page_of_a_customer_without_arrears_has_no_card(customers, cast, login):
    assert 'data-testid="arrears"' not in login(cast["alice"]).get("/customers/CD0001/").content.decode()


def test_the_card_costs_the_page_one_query_and_three_more_with_a_case(customers, collectors, cast, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(cast["alice"])
    client.get("/customers/CD0001/")  # what a page reads once per process

    def counted() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/customers/CD0001/").status_code == 200
        return len(queries.captured_queries)

    bare = counted()
    today = timezone.localdate()
    CustomerArrears.objects.create(customer=customers["alice"], amount=Decimal("9000"), period=today)
    assert counted() == bare  # arrears below the threshold: read by the same query
    case = ArrearsCase.objects.create(
        customer=customers["alice"],
        opened_amount=Decimal("86000"),
        amount=Decimal("86000"),
        threshold=Decimal("50000"),
        due_on=today,
    )
    ArrearsOutcome.objects.create(case=case, kind="disputed", recorded_by=cast["alice"])
    ArrearsOutcome.objects.create(case=case, kind="escalated", recorded_by=cast["alice"])
    # the case, its outcomes (with who recorded them), whatever their number, and whether the reader may record one
    assert counted() <= bare + 3


def test_an_outcome_recorded_from_the_page(case, collectors, login):
    client = login(collectors["sam"])
    assert client.get(f"/arrears/cases/{case.pk}/outcome/").status_code == 200
    refused = client.post(f"/arrears/cases/{case.pk}/outcome/", {"kind": "promised"})
    assert refused.status_code == 400 and not ArrearsOutcome.objects.exists()
    day = timezone.localdate() + datetime.timedelta(days=3)
    done = client.post(f"/arrears/cases/{case.pk}/outcome/", {"kind": "promised", "promised_on": day.isoformat()})
    assert done.status_code == 302 and done["Location"] == "/customers/CD0001/#arrears"
    case.refresh_from_db()
    assert (case.status, case.due_on) == ("promised", day)


def test_the_cases_page_lists_mine_first(case, collectors, cast, login):
    html = login(collectors["bill"]).get("/arrears/cases/").content.decode()
    assert f'data-case="{case.pk}"' in html
    assert f'data-case="{case.pk}"' not in login(cast["carol"]).get("/arrears/cases/?mine=0").content.decode()
    assert f'data-case="{case.pk}"' in login(cast["dora"]).get("/arrears/cases/?mine=0").content.decode()


def test_outsiders_and_anonymous(case, cast, login):
    from django.test import Client

    assert login(cast["carol"]).get(f"/arrears/cases/{case.pk}/outcome/").status_code == 404
    assert Client().get("/arrears/cases/").status_code == 302
    assert 'data-testid="arrears"' not in login(cast["carol"]).get("/customers/CD0001/").content.decode()
