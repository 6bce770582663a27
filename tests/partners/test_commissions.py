"""Commissions (酬金, issue 20, point 3): each basis's arithmetic on a small example checked by hand, which rule pays,
the open month refused, approval and what never changes after it, and the corrections carried by the next month."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.utils import translation

from crm.models import AuditEntry
from partners.models import Settlement, SettlementLine
from partners.services import settlement_approve, settlements_compute

from .commissions import APR, FEB, JAN, MAR, TODAY, USCCS, amounts, bill, holding, partner, rule, serves

pytestmark = pytest.mark.django_db

D = Decimal


def compute(user, month, **scope):
    return settlements_compute(user=user, month=month, today=TODAY, **scope)


def settlement(who, month) -> Settlement:
    return Settlement.objects.get(partner=who, period=month)


@pytest.fixture
def seller(territory):
    return partner(territory, "成都营销代理有限公司", ["sales_agent"], USCCS["sales"])


@pytest.fixture
def server(territory):
    return partner(territory, "成都服务代理有限公司", ["service_agent"], USCCS["service"])


@pytest.fixture
def provider(territory):
    return partner(territory, "成都数智方案有限公司", ["solution_provider"], "91510100MA6000001U")


# -- each basis, by hand --------------------------------------------------------------------------------------------


def test_revenue_share_pays_the_rate_of_the_billed_revenue_for_the_first_n_months(cast, customers, territory, seller):
    rule("revenue_share", "sales_agent", "VPMN", rate=D("10.00"), months=3)
    rule("revenue_share", "sales_agent", "GROUP_SMS", rate=D("10.00"), months=12)
    holding(customers["alice"], "VPMN", JAN.replace(day=20), partner=seller, revenue="1234.50")
    holding(customers["wuhou"], "GROUP_SMS", JAN.replace(day=2), partner=seller, revenue="0.45")
    holding(customers["mianyang"], "VPMN", JAN, revenue="999.00")  # sold by nobody: earns no one anything
    for month, spend in ((JAN, "5000"), (FEB, "800"), (MAR, "5000"), (APR, "5000")):
        bill(customers["alice"], month, spend)
        bill(customers["wuhou"], month, "100")
        bill(customers["mianyang"], month, "5000")
    for month in (JAN, FEB, MAR, APR):
        compute(cast["paul"], month, region=territory["sichuan"])
    # month 1 of 3: 10 % of 1 234.50 = 123.45; 0.045 rounds half up to 0.05
    assert amounts(settlement(seller, JAN)) == [
        ("CD0001", "VPMN", "revenue_share", 1, D("1234.50"), D("123.45"), None),
        ("CD0002", "GROUP_SMS", "revenue_share", 1, D("0.45"), D("0.05"), None),
    ]
    # month 2: the bill of 800 caps the revenue
    assert amounts(settlement(seller, FEB))[0] == ("CD0001", "VPMN", "revenue_share", 1, D("800.00"), D("80.00"), None)
    assert [line.month_index for line in settlement(seller, MAR).lines.filter(product="VPMN")] == [3]
    # month 4 is past the rule's three: only the twelve-month share goes on
    assert [line[:3] for line in amounts(settlement(seller, APR))] == [("CD0002", "GROUP_SMS", "revenue_share")]
    assert settlement(seller, JAN).total == D("123.50") and settlement(seller, JAN).lines_count == 2


def test_a_month_without_a_bill_pays_no_share(cast, customers, territory, seller):
    rule("revenue_share", "sales_agent", "VPMN", rate=D("10.00"), months=3)
    holding(customers["alice"], "VPMN", JAN, partner=seller, revenue="1000.00")
    compute(cast["paul"], JAN, region=territory["sichuan"])
    assert amounts(settlement(seller, JAN)) == []


def test_per_active_user_pays_the_customers_served_in_the_month(cast, customers, territory, server):
    rule("per_active_user", "service_agent", "VPMN", amount=D("2.50"))
    holding(customers["wuhou"], "VPMN", JAN.replace(year=2025, month=6), users=40)
    holding(customers["wuhou"], "GROUP_CRBT", JAN, users=9)  # no rule for this product
    holding(customers["alice"], "VPMN", JAN, users=70)  # a customer it sells to, not one it serves
    serves(server, customers["wuhou"], JAN.replace(day=15), FEB.replace(day=10))
    serves(server, customers["alice"], JAN, role="sales")
    for month in (JAN, FEB, MAR):
        compute(cast["paul"], month, region=territory["sichuan"])
    line = ("CD0002", "VPMN", "per_active_user", 40, D("2.50"), D("100.00"), None)
    assert amounts(settlement(server, JAN)) == [line]  # 40 users × 2.50
    assert amounts(settlement(server, FEB)) == [line]  # served until 10 February: the month counts
    assert amounts(settlement(server, MAR)) == []


def test_two_overlapping_assignments_pay_a_customer_once(cast, customers, territory, server):
    rule("per_active_user", "service_agent", "VPMN", amount=D("1.00"))
    holding(customers["wuhou"], "VPMN", JAN, users=3)
    serves(server, customers["wuhou"], JAN)
    serves(server, customers["wuhou"], JAN.replace(day=20))
    compute(cast["paul"], JAN, region=territory["sichuan"])
    assert [line[-2] for line in amounts(settlement(server, JAN))] == [D("3.00")]


def test_a_solution_is_paid_once_in_the_month_it_was_subscribed(cast, customers, territory, provider):
    rule("one_off", "solution_provider", "INDUSTRY_APP", amount=D("5000.00"))
    holding(customers["alice"], "INDUSTRY_APP", FEB.replace(day=3), partner=provider)
    for month in (JAN, FEB, MAR):
        compute(cast["paul"], month, region=territory["sichuan"])
    assert amounts(settlement(provider, JAN)) == []
    assert amounts(settlement(provider, FEB)) == [
        ("CD0001", "INDUSTRY_APP", "one_off", 1, D("5000.00"), D("5000.00"), None)
    ]
    assert amounts(settlement(provider, MAR)) == []


def test_a_province_rule_replaces_the_national_one_and_the_best_kind_pays(cast, customers, territory):
    both = partner(territory, "成都双资质有限公司", ["sales_agent", "solution_provider"], "91510100MA6000002U")
    rule("revenue_share", "sales_agent", "VPMN", rate=D("10.00"), months=12)
    province = rule("revenue_share", "sales_agent", "VPMN", scope="510000", rate=D("12.00"), months=12)
    rule("revenue_share", "solution_provider", "VPMN", scope="440000", rate=D("50.00"), months=12)  # Guangdong's
    holding(customers["alice"], "VPMN", JAN, partner=both, revenue="100.00")
    bill(customers["alice"], JAN, "1000")
    compute(cast["paul"], JAN, region=territory["sichuan"])
    assert [(line.rule_id, line.amount) for line in settlement(both, JAN).lines.all()] == [(province.pk, D("12.00"))]
    better = rule("revenue_share", "solution_provider", "VPMN", rate=D("15.00"), months=12)
    compute(cast["paul"], JAN, region=territory["sichuan"])
    lines = list(settlement(both, JAN).lines.all())
    assert [(line.rule_id, line.partner_kind, line.amount) for line in lines] == [
        (better.pk, "solution_provider", D("15.00"))
    ]


def test_a_rule_pays_only_in_its_months(cast, customers, territory, server):
    rule("per_active_user", "service_agent", "VPMN", amount=D("1.00"), valid_from=FEB, valid_until=FEB)
    holding(customers["wuhou"], "VPMN", JAN, users=5)
    serves(server, customers["wuhou"], JAN)
    for month in (JAN, FEB, MAR):
        compute(cast["paul"], month, region=territory["sichuan"])
    assert [settlement(server, month).total for month in (JAN, FEB, MAR)] == [D("0"), D("5.00"), D("0")]


def test_partners_outside_their_contract_or_the_province_get_no_settlement(cast, customers, territory, seller):
    later = partner(territory, "成都新签代理有限公司", ["sales_agent"], "91510100MA6000003U")
    later.contract_starts_on = MAR
    later.save()
    elsewhere = partner(territory, "广州代理有限公司", ["sales_agent"], "91440100MA6000004U", region="guangzhou")
    compute(cast["paul"], JAN, region=territory["sichuan"])
    assert set(Settlement.objects.filter(period=JAN).values_list("partner__name", flat=True)) == {seller.name}
    assert not Settlement.objects.filter(partner__in=[later, elsewhere]).exists()


# -- refusals --------------------------------------------------------------------------------------------------------


def test_a_month_not_over_yet_is_refused_in_chinese_and_nothing_is_written(cast, territory, seller):
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        settlements_compute(user=cast["paul"], month=TODAY.replace(day=1), region=territory["sichuan"], today=TODAY)
    assert "2026-06" in refused.value.message_dict["period"][0]
    assert "尚未结束" in refused.value.message_dict["period"][0]
    assert not Settlement.objects.exists()


def test_only_provincial_staff_of_the_territory_compute(cast, territory, seller):
    for who in ("dora", "alice", "gd_paul"):
        with pytest.raises(PermissionDenied):
            compute(cast[who], JAN, region=territory["sichuan"])
    with pytest.raises(PermissionDenied):
        compute(cast["gd_paul"], JAN, partner=seller)
    assert not Settlement.objects.exists()
    assert compute(cast["hq"], JAN, region=territory["root"]).computed == 1


# -- approval -------------------------------------------------------------------------------------------------------


@pytest.fixture
def january(cast, customers, territory, seller):
    """The seller's January, computed: one share of 100.00 (10 % of 1 000)."""
    rule("revenue_share", "sales_agent", "VPMN", rate=D("10.00"), months=12)
    holding(customers["alice"], "VPMN", JAN, partner=seller, revenue="1000.00")
    bill(customers["alice"], JAN, "5000")
    compute(cast["paul"], JAN, region=territory["sichuan"])
    return settlement(seller, JAN)


def test_approval_records_who_and_when_on_it_and_in_the_trail(cast, january):
    approved = settlement_approve(user=cast["paul"], settlement=january)
    approved.refresh_from_db()
    assert approved.status == "approved" and approved.approved_by == cast["paul"] and approved.approved_at
    entry = AuditEntry.objects.get(object_type="partners.settlement", object_id=str(january.pk), action="update")
    assert entry.username == "paul"
    assert entry.changes["status"] == ["draft", "approved"]
    assert entry.changes["approved_by"] == [None, "paul"]
    assert AuditEntry.objects.filter(object_type="partners.settlement", action="run").count() == 1


def test_an_approved_settlement_is_not_computed_again(cast, customers, territory, seller, january):
    settlement_approve(user=cast["paul"], settlement=january)
    holding_row = customers["alice"].holdings.get()
    holding_row.monthly_revenue = D("3000.00")
    holding_row.save()
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        compute(cast["paul"], JAN, partner=seller)
    assert "已审批" in refused.value.message_dict["period"][0]
    run = compute(cast["paul"], JAN, region=territory["sichuan"])  # the province's: left as it is
    assert (run.computed, run.approved_left) == (0, 1)
    january.refresh_from_db()
    assert january.total == D("100.00") and [line[-2] for line in amounts(january)] == [D("100.00")]


def test_the_database_refuses_to_change_an_approved_settlement_or_its_lines(cast, january):
    settlement_approve(user=cast["paul"], settlement=january)
    line = january.lines.get()
    with pytest.raises(DatabaseError), transaction.atomic():
        SettlementLine.objects.filter(pk=line.pk).update(amount=D("999.00"))
    with pytest.raises(DatabaseError), transaction.atomic():
        Settlement.objects.filter(pk=january.pk).update(total=D("999.00"))
    with pytest.raises(DatabaseError), transaction.atomic():
        SettlementLine.objects.create(
            settlement=january,
            customer=line.customer,
            product=line.product,
            rule=line.rule,
            basis=line.basis,
            partner_kind=line.partner_kind,
            quantity=1,
            base=D("1"),
            amount=D("1"),
        )
    line.refresh_from_db()
    assert line.amount == D("100.00")


def test_approval_twice_or_out_of_order_is_refused(cast, customers, territory, seller, january):
    compute(cast["paul"], FEB, region=territory["sichuan"])
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        settlement_approve(user=cast["paul"], settlement=settlement(seller, FEB))
    assert "2026-01" in refused.value.message_dict["period"][0]
    settlement_approve(user=cast["paul"], settlement=january)
    with pytest.raises(ValidationError) as again:
        settlement_approve(user=cast["paul"], settlement=settlement(seller, JAN))
    assert "status" in again.value.message_dict
    # February was computed before January's approval: its corrections could not count it
    with pytest.raises(ValidationError) as stale:
        settlement_approve(user=cast["paul"], settlement=settlement(seller, FEB))
    assert "period" in stale.value.message_dict
    compute(cast["paul"], FEB, region=territory["sichuan"])
    assert settlement_approve(user=cast["paul"], settlement=settlement(seller, FEB)).is_approved


def test_only_provincial_staff_of_the_partner_approve(cast, january):
    for who in ("dora", "gd_paul", "alice"):
        with pytest.raises(PermissionDenied):
            settlement_approve(user=cast[who], settlement=january)
    january.refresh_from_db()
    assert january.status == "draft"


# -- corrections -----------------------------------------------------------------------------------------------------


def test_what_changed_in_an_approved_month_is_carried_by_the_next_as_corrections(cast, customers, territory):
    seller = partner(territory, "成都营销代理有限公司", ["sales_agent", "service_agent"], USCCS["sales"])
    rule("revenue_share", "sales_agent", "VPMN", rate=D("10.00"), months=12)
    rule("per_active_user", "service_agent", "GROUP_CRBT", amount=D("2.00"))
    holding(customers["alice"], "VPMN", JAN, partner=seller, revenue="1000.00")
    holding(customers["wuhou"], "GROUP_CRBT", JAN, users=10)
    assignment = serves(seller, customers["wuhou"], JAN)
    compute(cast["paul"], JAN, region=territory["sichuan"])  # January's bill is not in yet: no share
    assert amounts(settlement(seller, JAN)) == [
        ("CD0002", "GROUP_CRBT", "per_active_user", 10, D("2.00"), D("20.00"), None)
    ]
    settlement_approve(user=cast["paul"], settlement=settlement(seller, JAN))
    # afterwards: January's bill comes, and the assignment turns out to have started in February
    bill(customers["alice"], JAN, "5000")
    bill(customers["alice"], FEB, "5000")
    assignment.starts_on = FEB
    assignment.save()
    compute(cast["paul"], FEB, region=territory["sichuan"])
    assert amounts(settlement(seller, FEB)) == [
        ("CD0001", "VPMN", "revenue_share", 1, D("1000.00"), D("100.00"), None),
        ("CD0001", "VPMN", "revenue_share", 1, D("1000.00"), D("100.00"), JAN),  # January's share, paid now
        ("CD0002", "GROUP_CRBT", "per_active_user", 10, D("2.00"), D("20.00"), None),
        ("CD0002", "GROUP_CRBT", "per_active_user", 10, D("2.00"), D("-20.00"), JAN),  # taken back
    ]
    assert settlement(seller, FEB).total == D("200.00")
    # January stands as approved
    assert settlement(seller, JAN).total == D("20.00") and settlement(seller, JAN).lines.count() == 1
    settlement_approve(user=cast["paul"], settlement=settlement(seller, FEB))
    # March carries no correction again: what February corrected is paid
    compute(cast["paul"], MAR, region=territory["sichuan"])
    assert [line[-1] for line in amounts(settlement(seller, MAR))] == [None]


def test_a_holding_that_ended_takes_nothing_back(cast, customers, territory, january, seller):
    settlement_approve(user=cast["paul"], settlement=january)
    customers["alice"].holdings.all().delete()
    compute(cast["paul"], FEB, region=territory["sichuan"])
    assert amounts(settlement(seller, FEB)) == []


def test_corrections_reach_back_three_months_only(cast, customers, territory, server):
    rule("per_active_user", "service_agent", "VPMN", amount=D("1.00"))
    holding(customers["wuhou"], "VPMN", JAN, users=4)
    compute(cast["paul"], JAN, region=territory["sichuan"])
    settlement_approve(user=cast["paul"], settlement=settlement(server, JAN))
    serves(server, customers["wuhou"], JAN)  # recorded late: January owed 4.00
    may = JAN.replace(month=5)
    compute(cast["paul"], may, region=territory["sichuan"])  # January is four months back
    assert [line[-1] for line in amounts(settlement(server, may))] == [None]
    compute(cast["paul"], APR, region=territory["sichuan"])
    assert (JAN, D("4.00")) in [(line[-1], line[-2]) for line in amounts(settlement(server, APR))]
