"""The two write paths give the same database (SPEC §8.4): a set of BOSS files imported set-based (COPY and
INSERT … ON CONFLICT on PostgreSQL, executemany and the same SQL on SQLite) leaves exactly what the one-record
services leave for the same data — tiers and their reasons, tier history, status history, VIP levels — and
both leave the state written out below, whichever database runs the suite (CI runs it on both)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from accounts.models import BillingPeriod, Customer, GroupMember, Industry, KeyPerson, StatusPeriod
from accounts.services import customer_create, group_member_create, key_person_create
from campaigns.models import CustomerProduct, DoNotCall, Product
from campaigns.services.holdings import holding_set
from crm.models import Region
from tiering.models import TierChange

from .conftest import csv_bytes

pytestmark = pytest.mark.django_db

CUSTOMERS = [
    ["code", "name", "uscc", "industry", "region", "handset_count", "monthly_spend", "is_major_influence", "status"],
    ["T1", "党政客户", "91350100M000100Y43", "S92", "510104", "20", "100", "否", "active"],
    ["T2", "大客户", "", "C39", "510104-G01", "650", "5000", "否", "active"],
    ["T3", "中客户", "", "", "510107", "150", "0", "否", "active"],
    ["T4", "潜在客户", "", "", "510703", "0", "0", "否", "prospect"],
]
MEMBERS = [
    ["customer", "mobile", "name", "on_net", "verified", "arpu"],
    ["T2", "13800000001", "甲", "是", "是", "3200"],
    ["T2", "13800000002", "乙", "否", "是", "700"],
    ["T3", "13800000003", "丙", "是", "否", "12.5"],
]
KEY_PERSONS = [["customer", "mobile", "name", "title", "is_decision_maker"], ["T1", "13900000001", "张", "主任", "是"]]
HOLDINGS = [
    ["customer", "product", "active_users", "monthly_revenue", "subscribed_on", "last_used_on"],
    ["T2", "VPMN", "300", "3000", "2024-01-01", "2026-11-01"],
]
BILLING = [["customer", "period", "monthly_spend", "informatization_revenue"], ["T3", "2026-10", "30000", "500"]]
DO_NOT_CALL = [["mobile", "reason"], ["13800000002", "拒绝营销"]]

EXPECTED = {
    "customers": [
        ("T1", "A", "A", "industry", "active"),
        ("T2", "A", "A", "handset_count", "active"),
        ("T3", "B", "B", "handset_count,monthly_spend", "active"),
        ("T4", None, None, "", "prospect"),
    ],
    "tier_history": [("T1", "", "A"), ("T2", "", "A"), ("T3", "", "B")],
    "status_history": [
        ("T1", "active", None),
        ("T2", "active", None),
        ("T3", "active", None),
        ("T4", "prospect", None),
    ],
    "members": [
        ("13800000001", "T2", True, True, "3200.00", "diamond"),
        ("13800000002", "T2", False, True, "700.00", "silver"),
        ("13800000003", "T3", True, False, "12.50", None),
    ],
    "key_persons": [("T1", "13900000001", "张", "主任", True)],
    "holdings": [("T2", "VPMN", 300, "3000.00", "2024-01-01", "2026-11-01")],
    "billing": [("T3", "2026-10", "30000.00", "500.00")],
    "spend": [
        ("T1", "100.00", "0.00"),
        ("T2", "5000.00", "0.00"),
        ("T3", "30000.00", "500.00"),
        ("T4", "0.00", "0.00"),
    ],
    "do_not_call": [("13800000002", "拒绝营销")],
}


def money(value: Decimal) -> str:
    return f"{Decimal(value):.2f}"


def database_state() -> dict[str, list[tuple]]:
    customers = Customer.objects.filter(code__startswith="T").order_by("code")
    return {
        "customers": [
            (c.code, c.tier, c.computed_tier, ",".join(sorted(r["field"] for r in c.tier_reasons)), c.status)
            for c in customers
        ],
        # Tier history without the no-op rows one path may leave and the other not: every real change.
        "tier_history": sorted(
            (code, from_tier, to_tier)
            for code, from_tier, to_tier in TierChange.objects.filter(customer__code__startswith="T").values_list(
                "customer__code", "from_tier", "to_tier"
            )
            if from_tier != to_tier
        ),
        "status_history": sorted(
            StatusPeriod.objects.filter(customer__code__startswith="T").values_list(
                "customer__code", "status", "ends_on"
            )
        ),
        "members": sorted(
            (m.mobile, m.customer.code, m.on_net, m.verified, money(m.arpu), m.vip_level)
            for m in GroupMember.objects.select_related("customer").filter(left_on__isnull=True)
        ),
        "key_persons": sorted(
            (p.customer.code, p.mobile, p.name, p.title, p.is_decision_maker)
            for p in KeyPerson.objects.select_related("customer")
        ),
        "holdings": sorted(
            (
                h.customer.code,
                h.product_id,
                h.active_users,
                money(h.monthly_revenue),
                str(h.subscribed_on),
                str(h.last_used_on),
            )
            for h in CustomerProduct.objects.select_related("customer")
        ),
        "billing": sorted(
            (b.customer.code, f"{b.period:%Y-%m}", money(b.monthly_spend), money(b.informatization_revenue))
            for b in BillingPeriod.objects.select_related("customer")
        ),
        "spend": [(c.code, money(c.monthly_spend), money(c.informatization_revenue)) for c in customers],
        "do_not_call": sorted(DoNotCall.objects.values_list("mobile", "reason")),
    }


def test_set_based_imports_leave_the_expected_database(cast, run_file):
    paul = cast["paul"]
    for kind, rows in (
        ("customers", CUSTOMERS),
        ("members", MEMBERS),
        ("key_persons", KEY_PERSONS),
        ("holdings", HOLDINGS),
        ("billing", BILLING),
        ("do_not_call", DO_NOT_CALL),
    ):
        run = run_file(paul, kind, csv_bytes(rows, "gb18030"), then="write")
        assert run.status == "done", (kind, run.message, list(run.issues.values_list("line", "message")))
    assert database_state() == EXPECTED


def test_the_one_record_services_leave_the_same_database(cast):
    paul = cast["paul"]
    for code, name, uscc, industry, region, handsets, spend, _major, status in CUSTOMERS[1:]:
        customer_create(
            user=paul,
            data={
                "code": code,
                "name": name,
                "uscc": uscc or None,
                "industry": Industry.objects.filter(code=industry).first(),
                "region": Region.objects.get(code=region),
                "handset_count": int(handsets),
                "monthly_spend": Decimal(spend),
                "status": status,
            },
        )
    for code, mobile, name, on_net, verified, arpu in MEMBERS[1:]:
        group_member_create(
            customer=Customer.objects.get(code=code),
            data={
                "mobile": mobile,
                "name": name,
                "on_net": on_net == "是",
                "verified": verified == "是",
                "arpu": Decimal(arpu),
            },
        )
    key_person_create(
        customer=Customer.objects.get(code="T1"),
        data={"mobile": "13900000001", "name": "张", "title": "主任", "is_decision_maker": True},
    )
    holding_set(
        customer=Customer.objects.get(code="T2"),
        product=Product.objects.get(code="VPMN"),
        data={
            "active_users": 300,
            "monthly_revenue": Decimal("3000"),
            "subscribed_on": datetime.date(2024, 1, 1),
            "last_used_on": datetime.date(2026, 11, 1),
        },
    )
    t3 = Customer.objects.get(code="T3")
    BillingPeriod.objects.create(
        customer=t3,
        period=datetime.date(2026, 10, 1),
        monthly_spend=Decimal("30000"),
        informatization_revenue=Decimal("500"),
    )
    from accounts.services import customer_update

    customer_update(
        user=paul, customer=t3, data={"monthly_spend": Decimal("30000"), "informatization_revenue": Decimal("500")}
    )
    DoNotCall.objects.create(mobile="13800000002", reason="拒绝营销", added_by=paul)
    assert database_state() == EXPECTED
