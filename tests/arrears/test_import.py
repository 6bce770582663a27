"""The billing import carries the arrears (issue 21): its two columns, checked, and the collection cases opened and
closed for the customers it names, in the same transaction."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import BillingPeriod
from arrears.models import ArrearsCase, CustomerArrears
from crm.models import AuditEntry, Notification
from tests.imports.conftest import csv_bytes

pytestmark = pytest.mark.django_db

HEADER = ["客户编码", "账期", "欠费金额", "欠费起始日"]


def month(months_back: int = 1) -> str:
    today = timezone.localdate()
    year, number = divmod(today.year * 12 + today.month - 1 - months_back, 12)
    return f"{year}-{number + 1:02d}"


def days_ago(days: int) -> str:
    return (timezone.localdate() - datetime.timedelta(days=days)).isoformat()


def test_arrears_of_86000_open_a_case_for_the_billing_and_second_managers(cast, customers, collectors, run_file):
    run = run_file(
        cast["paul"], "billing", csv_bytes([HEADER, ["CD0001", month(), "86000", days_ago(40)]]), then="write"
    )
    assert run.status == "done", list(run.issues.values_list("line", "message"))
    assert run.preview["arrears_cases_opened"] == 1
    case = ArrearsCase.objects.get(customer=customers["alice"])
    assert (case.status, case.amount, case.opened_amount) == ("open", Decimal("86000.00"), Decimal("86000.00"))
    assert (case.billing_manager, case.second_manager) == (collectors["bill"], collectors["sam"])
    assert case.due_on == timezone.localdate() + datetime.timedelta(days=14)  # 40 days old: 14 days to collect
    told = Notification.objects.filter(kind="arrears_case")
    assert sorted(told.values_list("recipient__username", flat=True)) == ["bill", "sam"]
    assert "86,000.00" in told.first().title
    assert told.first().url == "/customers/CD0001/#arrears"
    assert AuditEntry.objects.filter(object_type="arrears.arrearscase", customer_code="CD0001").exists()
    assert CustomerArrears.objects.get(customer=customers["alice"]).amount == Decimal("86000.00")


def test_arrears_below_the_threshold_open_no_case_but_are_kept(cast, customers, collectors, run_file):
    run = run_file(cast["paul"], "billing", csv_bytes([HEADER, ["CD0001", month(), "9000", ""]]), then="write")
    assert run.status == "done"
    assert not ArrearsCase.objects.exists()
    assert CustomerArrears.objects.get(customer=customers["alice"]).since is None


def test_a_preview_opens_nothing_but_counts(cast, customers, collectors, run_file):
    run = run_file(cast["paul"], "billing", csv_bytes([HEADER, ["CD0001", month(), "86000", days_ago(5)]]))
    assert run.status == "previewed"
    assert run.preview["arrears_cases_opened"] == 1
    assert not ArrearsCase.objects.exists() and not Notification.objects.exists()


def test_paid_arrears_close_the_case_at_the_next_import(cast, customers, collectors, run_file):
    run_file(cast["paul"], "billing", csv_bytes([HEADER, ["CD0001", month(2), "86000", days_ago(70)]]), then="write")
    case = ArrearsCase.objects.get()
    assert case.due_on == timezone.localdate() + datetime.timedelta(days=7)
    # the next month: partly paid, still owed — the case follows the amount and stays open
    run_file(cast["paul"], "billing", csv_bytes([HEADER, ["CD0001", month(1), "30000", days_ago(70)]]), then="write")
    case.refresh_from_db()
    assert (case.status, case.amount, case.closed_on) == ("open", Decimal("30000.00"), None)
    run = run_file(cast["paul"], "billing", csv_bytes([HEADER, ["CD0001", month(0), "0", ""]]), then="write")
    assert run.preview["arrears_cases_closed"] == 1
    case.refresh_from_db()
    assert (case.status, case.amount, case.closed_on) == ("closed", Decimal("0.00"), timezone.localdate())
    assert not CustomerArrears.objects.exists()
    # arrears again later: a new case, the closed one kept
    run_file(cast["paul"], "billing", csv_bytes([HEADER, ["CD0001", month(0), "120000", days_ago(1)]]), then="write")
    assert ArrearsCase.objects.filter(customer=customers["alice"]).count() == 2


def test_an_older_month_does_not_move_the_arrears(cast, customers, collectors, run_file):
    run_file(cast["paul"], "billing", csv_bytes([HEADER, ["CD0001", month(1), "0", ""]]), then="write")
    run_file(cast["paul"], "billing", csv_bytes([HEADER, ["CD0001", month(3), "99000", days_ago(100)]]), then="write")
    assert not ArrearsCase.objects.exists() and not CustomerArrears.objects.exists()


def test_a_file_without_the_arrears_columns_leaves_the_cases_alone(cast, customers, collectors, run_file):
    run_file(cast["paul"], "billing", csv_bytes([HEADER, ["CD0001", month(1), "86000", days_ago(3)]]), then="write")
    run = run_file(
        cast["paul"], "billing", csv_bytes([["客户编码", "账期", "月消费"], ["CD0001", month(0), "100"]]), then="write"
    )
    assert run.status == "done" and "arrears_cases_opened" not in run.preview
    assert ArrearsCase.objects.get().closed_on is None


def test_a_customer_without_collectors_is_told_to_its_customer_manager(cast, customers, run_file):
    run_file(cast["paul"], "billing", csv_bytes([HEADER, ["CD0001", month(), "86000", ""]]), then="write")
    case = ArrearsCase.objects.get()
    assert (case.billing_manager, case.second_manager) == (None, None)
    assert list(Notification.objects.filter(kind="arrears_case").values_list("recipient__username", flat=True)) == [
        "alice"
    ]


@pytest.mark.parametrize(
    "row, column, words",
    [
        (["CD0001", "2026-01", "-86000", ""], "欠费金额", "0 or more"),
        (["CD0001", "2026-01", "86000.123", ""], "欠费金额", "2 decimal"),
        (["CD0001", "2026-01", "86000", "2999-01-01"], "欠费起始日", "today"),
        (["CD0001", "2026-01", "86000", "2026-02-30"], "欠费起始日", "does not exist"),
        (["CD0001", "2026-01", "0", "2025-12-01"], "欠费起始日", "only when an amount is owed"),
    ],
)
def test_bad_arrears_are_refused_whole_and_nothing_is_written(
    cast, customers, collectors, run_file, row, column, words
):
    run = run_file(cast["paul"], "billing", csv_bytes([HEADER, row]), then="write")
    assert run.status == "invalid"
    [(line, where, message)] = list(run.issues.values_list("line", "column", "message"))
    assert (line, where) == (2, column)
    assert words in message
    assert not BillingPeriod.objects.exists() and not ArrearsCase.objects.exists()
    assert not CustomerArrears.objects.exists()


def test_the_template_names_the_arrears_columns():
    from imports.kinds import KINDS

    labels = {column.name: column.label for column in KINDS["billing"].columns}
    assert (labels["arrears_amount"], labels["arrears_since"]) == ("欠费金额", "欠费起始日")
