"""Issue 21's Done means, the arrears part, walked through the API: a Chengdu branch of a national bank, whose billing
month says it owes ¥86 000, gets a collection case for its billing and second managers, who are told, read it, and
record a promise; the next month's bill, paid, closes it."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from crm.models import Notification
from tests.factories import CustomerFactory, TeamRoleFactory, UserFactory
from tests.imports.conftest import csv_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _imports_dir(settings, tmp_path):
    settings.IMPORTS_DIR = str(tmp_path / "imports")


def month(back: int) -> str:
    today = timezone.localdate()
    year, number = divmod(today.year * 12 + today.month - 1 - back, 12)
    return f"{year}-{number + 1:02d}"


def test_a_chengdu_branch_owing_86000_gets_a_case_for_its_billing_and_second_managers(api, cast, territory):
    head = CustomerFactory(
        code="BANK0001", name="中国示范银行股份有限公司", region=territory["jinjiang"], industry_id="J66"
    )
    branch = CustomerFactory(
        code="BANK0001-510101",
        name="中国示范银行成都锦江支行",
        region=territory["jinjiang"],
        industry_id="J66",
        parent=head,
    )
    department = cast["dora"].department
    billing = UserFactory(username="cd_bill", region=territory["chengdu"], department=department)
    second = UserFactory(username="cd_second", region=territory["chengdu"], department=department)
    TeamRoleFactory(customer=branch, user=cast["alice"])
    TeamRoleFactory(customer=branch, user=billing, role="billing_manager")
    TeamRoleFactory(customer=branch, user=second, role="second_manager")
    since = (timezone.localdate() - datetime.timedelta(days=40)).isoformat()
    bill = csv_bytes(
        [["客户编码", "账期", "月消费", "欠费金额", "欠费起始日"], [branch.code, month(1), "30000", "86000", since]]
    )
    answer = api(cast["paul"]).post(
        "/api/v1/imports/", {"kind": "billing", "file": SimpleUploadedFile("账单.csv", bill)}, format="multipart"
    )
    assert answer.status_code == 201 and answer.json()["status"] == "done", answer.json()

    told = Notification.objects.filter(kind="arrears_case")
    assert sorted(told.values_list("recipient__username", flat=True)) == ["cd_bill", "cd_second"]
    arrears = api(billing).get(f"/api/v1/customers/{branch.code}/arrears/").json()
    assert (arrears["amount"], arrears["since"], arrears["case"]["status"]) == ("86000.00", since, "open")
    assert (arrears["case"]["billing_manager"], arrears["case"]["second_manager"]) == ("cd_bill", "cd_second")

    promised = (timezone.localdate() + datetime.timedelta(days=10)).isoformat()
    recorded = api(second).post(
        f"/api/v1/customers/{branch.code}/arrears/outcomes/",
        {"kind": "promised", "promised_on": promised},
        format="json",
    )
    assert recorded.status_code == 201
    assert api(billing).get(f"/api/v1/customers/{branch.code}/arrears/").json()["case"]["due_on"] == promised

    paid = csv_bytes([["customer", "period", "arrears_amount"], [branch.code, month(0), "0"]])
    api(cast["paul"]).post(
        "/api/v1/imports/", {"kind": "billing", "file": SimpleUploadedFile("bill.csv", paid)}, format="multipart"
    )
    after = api(billing).get(f"/api/v1/customers/{branch.code}/arrears/").json()
    assert (after["amount"], after["case"]["status"]) == ("0.00", "closed")
    assert Decimal(after["case"]["opened_amount"]) == Decimal("86000")
    # outside the territory, the branch and its arrears do not exist
    assert api(cast["gd_paul"]).get(f"/api/v1/customers/{branch.code}/arrears/").status_code == 404
