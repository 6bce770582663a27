"""Every kind of BOSS extract, in CSV and XLSX: what a valid file writes, what replace mode removes, what follows
(tiers with reasons and history, status history, VIP levels, the billing month on the customer), and that the
very same file a second time changes nothing and says so (SPEC §8.4)."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import BillingPeriod, Customer, GroupMember, KeyPerson, StatusPeriod
from campaigns.models import CustomerProduct, DoNotCall, Product
from campaigns.selectors.coverage import coverage_condition
from crm.models import AuditEntry
from tests.factories import CustomerFactory, GroupMemberFactory, KeyPersonFactory
from tiering.models import TierChange
from tiering.services import tier_refresh

from .conftest import csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db

CUSTOMERS = [
    [
        "code",
        "name",
        "uscc",
        "industry",
        "region",
        "address",
        "handset_count",
        "monthly_spend",
        "is_tax_top500",
        "status",
    ],
    ["N0001", "成都新客户一", "91350100M000100Y43", "J66", "510104", "红星路1号", "600", "1000.50", "否", "active"],
    ["N0002", "成都新客户二", "", "", "510107", "", "120", "0", "0", "在网"],
    ["N0003", "绵阳新客户", "", "C39", "510703", "", "5", "0", "false", "prospect"],
]


@pytest.fixture
def paul(cast):
    return cast["paul"]


def test_customers_are_created_with_tiers_reasons_and_history(paul, run_file):
    run = run_file(paul, "customers", csv_bytes(CUSTOMERS), then="write")
    assert (run.status, run.rows, run.created, run.updated, run.unchanged) == ("done", 3, 3, 0, 0), run.message
    first = Customer.objects.get(code="N0001")
    assert (first.name, first.uscc, first.industry_id, first.region_id) == (
        "成都新客户一",
        "91350100M000100Y43",
        "J66",
        "510104",
    )
    assert first.monthly_spend == Decimal("1000.50") and first.handset_count == 600 and not first.is_tax_top500
    assert first.tier == "A"
    assert {reason["field"] for reason in first.tier_reasons} == {"handset_count", "industry"}
    assert Customer.objects.get(code="N0002").tier == "B"
    assert Customer.objects.get(code="N0003").tier is None  # a prospect has no tier
    assert set(TierChange.objects.filter(customer=first).values_list("source", "to_tier")) == {("import", "A")}
    assert set(StatusPeriod.objects.filter(customer__code__startswith="N").values_list("customer__code", "status")) == {
        ("N0001", "active"),
        ("N0002", "active"),
        ("N0003", "prospect"),
    }


def test_an_update_touches_only_the_columns_of_the_file_and_moves_tiers(paul, run_file, territory):
    existing = CustomerFactory(
        code="E0001", name="旧名", region=territory["jinjiang"], address="原地址", handset_count=10
    )
    tier_refresh(customer=existing)
    assert existing.tier == "C"
    run = run_file(paul, "customers", csv_bytes([["客户编码", "手机数量", "状态"], ["E0001", "700", "churned"]]))
    assert (run.status, run.updated, run.preview["tier_moves"]) == ("previewed", 1, 1)
    assert run.preview["movers"] == [{"code": "E0001", "name": "旧名", "from": "C", "to": ""}]
    existing.refresh_from_db()
    assert existing.handset_count == 10  # a preview writes nothing
    from imports.services import import_run_write

    run = import_run_write(run)
    existing.refresh_from_db()
    assert (run.status, existing.handset_count, existing.status, existing.name, existing.address) == (
        "done",
        700,
        "churned",
        "旧名",
        "原地址",
    )
    assert existing.tier is None
    assert list(
        StatusPeriod.objects.filter(customer=existing).order_by("starts_on").values_list("status", "ends_on")
    ) == [("churned", None)]  # the active period began today, so the change replaces it (StatusPeriod.record's rule)


def test_the_same_file_twice_changes_nothing_and_says_so(paul, run_file):
    content = csv_bytes(CUSTOMERS, "gb18030")
    first = run_file(paul, "customers", content, then="write")
    changes = TierChange.objects.count()
    second = run_file(paul, "customers", content, then="write")
    assert (second.status, second.created, second.updated, second.unchanged) == ("done", 0, 0, 3)
    assert second.same_as == first
    assert "changed" in second.message.lower() or "变" in second.message
    assert TierChange.objects.count() == changes


def test_customers_from_xlsx_read_cells_as_typed(paul, run_file, tmp_path):
    rows = [
        ["客户编码", "客户名称", "区域", "手机数量", "月均消费", "全省纳税500强"],
        ["X0001", "表格客户", 510104, 650.0, 123456.78, True],
        [12345, "数字编码客户", "510107", 3, 0, False],
    ]
    run = run_file(paul, "customers", xlsx_bytes(rows, tmp_path / "c.xlsx"), name="c.xlsx", then="write")
    assert (run.status, run.file_format, run.created) == ("done", "xlsx", 2), list(
        run.issues.values_list("line", "message")
    )
    customer = Customer.objects.get(code="X0001")
    assert (customer.handset_count, customer.monthly_spend, customer.is_tax_top500) == (650, Decimal("123456.78"), True)
    assert Customer.objects.filter(code="12345").exists()


def test_xlsx_dates_are_read_as_dates(paul, run_file, tmp_path, customers):
    rows = [
        ["customer", "product", "subscribed_on", "last_used_on"],
        ["CD0001", "VPMN", datetime.date(2024, 3, 1), "2026-11-20"],
    ]
    run = run_file(paul, "holdings", xlsx_bytes(rows, tmp_path / "h.xlsx"), name="h.xlsx", then="write")
    assert run.status == "done", list(run.issues.values_list("line", "column", "message"))
    holding = CustomerProduct.objects.get(customer=customers["alice"], product_id="VPMN")
    assert (holding.subscribed_on, holding.last_used_on) == (datetime.date(2024, 3, 1), datetime.date(2026, 11, 20))


def test_key_persons_upsert_and_replace(paul, run_file, customers):
    alice = customers["alice"]
    KeyPerson.objects.filter(customer=alice).delete()
    KeyPersonFactory(customer=alice, name="留下", mobile="13900000001")
    KeyPersonFactory(customer=alice, name="将被删除", mobile="13900000002")
    other = KeyPersonFactory(customer=customers["wuhou"], name="别家", mobile="13900000003")
    rows = [
        ["客户编码", "手机号码", "姓名", "职务", "是否决策人"],
        ["CD0001", "13900000001", "留下", "主任", "是"],
        ["CD0001", "13900000009", "新人", "", "否"],
    ]
    run = run_file(paul, "key_persons", csv_bytes(rows), mode="replace")
    assert (run.status, run.created, run.updated, run.removed) == ("previewed", 1, 1, 1)
    assert KeyPerson.objects.filter(customer=alice).count() == 2
    removal = AuditEntry.objects.filter(object_type="accounts.keyperson", action="delete")
    assert not removal.exists()  # a preview writes nothing, to the trail neither
    from imports.services import import_run_write

    import_run_write(run)
    # the person removed is in the customer's history: who, through which import, and what the row held
    (entry,) = removal
    assert (entry.username, entry.source, entry.customer_id, entry.detail) == (
        "paul",
        "import",
        alice.pk,
        {"import": run.pk, "replace": True},
    )
    assert entry.changes["name"] == ["将被删除", None] and entry.changes["mobile"] == ["13900000002", None]
    # the person added, under the customer it hangs off: one entry per customer, naming the rows it gained
    new = KeyPerson.objects.get(customer=alice, mobile="13900000009")
    (added,) = AuditEntry.objects.filter(object_type="accounts.keyperson", action="create")
    assert (added.object_id, added.customer_id, added.customer_code, added.object_repr, added.region_path) == (
        "",
        alice.pk,
        "CD0001",
        alice.name,
        alice.region.path,
    )
    assert (added.changes, added.detail) == ({"id": [None, [new.pk]]}, {"import": run.pk})
    assert set(KeyPerson.objects.filter(customer=alice).values_list("mobile", "title", "is_decision_maker")) == {
        ("13900000001", "主任", True),
        ("13900000009", "", False),
    }
    assert KeyPerson.objects.filter(pk=other.pk).exists()  # a customer the file does not name keeps its list


def test_members_replace_marks_the_unlisted_as_left_and_a_rejoin_clears_it(paul, run_file, customers):
    alice = customers["alice"]
    GroupMemberFactory(customer=alice, mobile="13700000001", arpu=Decimal("10"))
    GroupMemberFactory(customer=alice, mobile="13700000002", arpu=Decimal("10"))
    rows = [
        ["customer", "mobile", "name", "on_net", "verified", "arpu"],
        ["CD0001", "13700000001", "甲", "1", "1", "1600"],
    ]
    run = run_file(paul, "members", csv_bytes(rows), mode="replace", then="write")
    assert (run.status, run.updated, run.removed) == ("done", 1, 1)
    stayed, left = GroupMember.objects.get(mobile="13700000001"), GroupMember.objects.get(mobile="13700000002")
    assert (stayed.vip_level, stayed.on_net, stayed.left_on) == ("gold", True, None)
    assert left.left_on == datetime.date.today() or left.left_on is not None
    (entry,) = AuditEntry.objects.filter(object_type="accounts.groupmember", object_id=str(left.pk))
    assert (entry.action, entry.changes, entry.customer_id) == (
        "update",
        {"left_on": [None, left.left_on.isoformat()]},
        alice.pk,
    )
    again = run_file(paul, "members", csv_bytes(rows + [["CD0001", "13700000002", "乙", "0", "0", "0"]]), then="write")
    assert (again.updated, again.unchanged) == (1, 1)
    assert GroupMember.objects.get(mobile="13700000002").left_on is None


def test_members_replace_counts_what_leaves_before_the_merge(paul, run_file, customers):
    """Whether anything is to leave is told before the merge: members who had left, listed again or not, a new
    member and the current ones listed leave nobody; one current member unlisted beside them is the one to leave."""
    alice = customers["alice"]
    long_ago = datetime.date(2025, 1, 31)
    GroupMemberFactory(customer=alice, mobile="13700000031")
    GroupMemberFactory(customer=alice, mobile="13700000032", left_on=long_ago)
    GroupMemberFactory(customer=alice, mobile="13700000033", left_on=long_ago)
    rows = [
        ["customer", "mobile", "name", "on_net", "verified", "arpu"],
        ["CD0001", "13700000031", "甲", "1", "1", "10"],
        ["CD0001", "13700000033", "丙", "1", "1", "10"],
        ["CD0001", "13700000034", "丁", "1", "1", "10"],
    ]
    run = run_file(paul, "members", csv_bytes(rows), mode="replace", then="write")
    assert (run.status, run.created, run.removed) == ("done", 1, 0), run.message
    left_on = dict(GroupMember.objects.filter(customer=alice).values_list("mobile", "left_on"))
    assert left_on == {"13700000031": None, "13700000032": long_ago, "13700000033": None, "13700000034": None}
    again = run_file(paul, "members", csv_bytes([rows[0], rows[1], rows[3]]), mode="replace", then="write")
    assert (again.status, again.unchanged, again.removed) == ("done", 2, 1), again.message
    assert GroupMember.objects.get(mobile="13700000033").left_on == timezone.localdate()
    assert GroupMember.objects.get(mobile="13700000032").left_on == long_ago


def test_members_created_by_an_import_are_one_audit_entry_per_customer(paul, run_file, customers):
    alice, wuhou = customers["alice"], customers["wuhou"]
    rows = [
        ["customer", "mobile", "name", "on_net", "verified", "arpu"],
        ["CD0001", "13700000011", "甲", "1", "1", "10"],
        ["CD0002", "13700000021", "丙", "1", "1", "10"],
        ["CD0001", "13700000012", "乙", "1", "0", "10"],
        ["CD0001", "13700000013", "丁", "0", "0", "10"],
    ]
    run = run_file(paul, "members", csv_bytes(rows), then="write")
    assert (run.status, run.created) == ("done", 4)
    entries = AuditEntry.objects.filter(object_type="accounts.groupmember", action="create")
    by_customer = {entry.customer_id: entry for entry in entries}
    assert sorted(by_customer) == sorted([alice.pk, wuhou.pk]) and entries.count() == 2
    for customer in (alice, wuhou):
        entry = by_customer[customer.pk]
        ids = sorted(GroupMember.objects.filter(customer=customer).values_list("pk", flat=True))
        assert (entry.object_id, entry.object_repr, entry.customer_code, entry.username, entry.source) == (
            "",
            customer.name,
            customer.code,
            "paul",
            "import",
        )
        assert entry.changes["id"] == [None, ids]  # in the order they were created
        assert entry.detail == {"import": run.pk}


def test_holdings_replace_removes_products_not_listed_and_coverage_follows(paul, run_file, customers):
    alice = customers["alice"]
    CustomerProduct.objects.create(customer=alice, product_id="DEDICATED_LINE", subscribed_on=datetime.date(2023, 1, 1))
    rows = [
        ["customer", "product", "active_users", "monthly_revenue", "subscribed_on", "last_used_on"],
        ["CD0001", "VPMN", "50", "500", "2024-01-01", "2026-11-30"],
    ]
    run = run_file(paul, "holdings", csv_bytes(rows), mode="replace", then="write")
    assert (run.status, run.created, run.removed) == ("done", 1, 1), run.message
    assert list(CustomerProduct.objects.filter(customer=alice).values_list("product_id", flat=True)) == ["VPMN"]
    (entry,) = AuditEntry.objects.filter(object_type="campaigns.customerproduct", action="delete")
    assert entry.customer_id == alice.pk and entry.changes["product"] == ["DEDICATED_LINE", None]
    assert entry.changes["subscribed_on"] == ["2023-01-01", None]
    uncovered = Customer.objects.filter(coverage_condition(Product.objects.get(code="DEDICATED_LINE"), "uncovered"))
    assert uncovered.filter(pk=alice.pk).exists()


@pytest.mark.parametrize("product", ["VPMN", "DEDICATED_LINE"])
def test_an_empty_date_of_subscription_is_a_cell_error_for_a_new_holding_and_an_existing_one(
    paul, run_file, customers, product
):
    """A holding's date of subscription is never empty: where the file has the column, an empty cell is named
    (line, column), not a database error that names neither, whether the holding is new (VPMN) or held already."""
    alice = customers["alice"]
    CustomerProduct.objects.create(customer=alice, product_id="DEDICATED_LINE", subscribed_on=datetime.date(2023, 1, 1))
    rows = [["customer", "product", "active_users", "subscribed_on"], ["CD0001", product, "5", ""]]
    run = run_file(paul, "holdings", csv_bytes(rows), then="write")
    assert run.status == "invalid", run.message
    assert [(error.line, error.column) for error in run.issues.all()] == [(2, "subscribed_on")]
    assert CustomerProduct.objects.get(customer=alice, product_id="DEDICATED_LINE").subscribed_on == datetime.date(
        2023, 1, 1
    )
    assert not CustomerProduct.objects.filter(customer=alice, product_id="VPMN").exists()


def test_billing_latest_month_sets_the_customer_and_its_tier(paul, run_file, customers):
    alice = customers["alice"]
    rows = [
        ["客户编码", "账期", "月消费", "信息化收入"],
        ["CD0001", "2026-09", "500", "10"],
        ["CD0001", "2026-10", "150000", "2000"],
    ]
    run = run_file(paul, "billing", csv_bytes(rows), then="write")
    assert (run.status, run.created) == ("done", 2), list(run.issues.values_list("line", "message"))
    alice.refresh_from_db()
    assert (alice.monthly_spend, alice.informatization_revenue, alice.tier) == (Decimal("150000"), Decimal("2000"), "A")
    assert BillingPeriod.objects.filter(customer=alice).count() == 2
    older = run_file(
        paul, "billing", csv_bytes([["customer", "period", "monthly_spend"], ["CD0001", "2026-08", "1"]]), then="write"
    )
    alice.refresh_from_db()
    assert (older.created, alice.monthly_spend) == (1, Decimal("150000"))  # an older month does not set the customer


def test_a_workbook_date_is_a_billing_month_only_on_its_first_day(paul, run_file, customers, tmp_path):
    """Excel stores a typed 2026-08 as the date 2026-08-01: that is the month. The 15th of August is a date, not a
    month, and is named rather than cut to August."""
    rows = [
        ["customer", "period", "monthly_spend"],
        ["CD0001", datetime.date(2026, 8, 1), "100"],
        ["CD0001", datetime.date(2026, 9, 15), "200"],
    ]
    run = run_file(paul, "billing", xlsx_bytes(rows, tmp_path / "b.xlsx"), name="b.xlsx", then="write")
    assert run.status == "invalid"
    assert list(run.issues.values_list("line", "column")) == [(3, "period")]
    rows.pop()
    run = run_file(paul, "billing", xlsx_bytes(rows, tmp_path / "b.xlsx"), name="b.xlsx", then="write")
    assert (run.status, run.created) == ("done", 1), list(run.issues.values_list("line", "message"))
    assert BillingPeriod.objects.get(customer=customers["alice"]).period == datetime.date(2026, 8, 1)


def test_do_not_call_numbers(paul, run_file):
    DoNotCall.objects.create(mobile="13600000001", reason="旧原因")
    rows = [["手机号码", "原因"], ["13600000001", "新原因"], ["13600000002", "客户要求"]]
    run = run_file(paul, "do_not_call", csv_bytes(rows, "utf-8-sig"), then="write")
    assert (run.status, run.created, run.updated, run.encoding) == ("done", 1, 1, "utf-8-sig")
    assert DoNotCall.objects.get(mobile="13600000002").added_by == paul
    assert DoNotCall.objects.get(mobile="13600000001").reason == "新原因"


def test_a_members_file_without_arpu_keeps_the_levels(paul, run_file, customers):
    GroupMemberFactory(customer=customers["alice"], mobile="13700000001", arpu=Decimal("3200"), vip_level="diamond")
    rows = [
        ["customer", "mobile", "name", "verified"],
        ["CD0001", "13700000001", "甲", "1"],
        ["CD0001", "13700000003", "丙", "0"],
    ]
    run = run_file(paul, "members", csv_bytes(rows), then="write")
    assert (run.status, run.created, run.updated) == ("done", 1, 1), run.message
    assert GroupMember.objects.get(mobile="13700000001").vip_level == "diamond"
    assert GroupMember.objects.get(mobile="13700000003").vip_level is None


def test_the_apostrophe_the_error_file_puts_before_a_formula_is_not_kept(paul, run_file):
    rows = [["code", "name", "region", "address"], ["Q1", "'-某公司", "510104", "'=1+1"], ["Q2", "'普通", "510104", ""]]
    run = run_file(paul, "customers", csv_bytes(rows), then="write")
    assert run.status == "done"
    assert Customer.objects.get(code="Q1").name == "-某公司"
    assert Customer.objects.get(code="Q1").address == "=1+1"
    assert Customer.objects.get(code="Q2").name == "'普通"  # only before = + - @


def test_a_run_no_worker_started_within_an_hour_is_marked_failed(paul, run_file):
    import datetime as dt

    from django.utils import timezone

    from imports.models import ImportRun
    from imports.services import import_runs_recover

    run = run_file(paul, "customers", csv_bytes([["code", "name", "region"], ["Q1", "甲", "510104"]]), then="")
    ImportRun.objects.filter(pk=run.pk).update(status="validating", started_at=None)
    assert import_runs_recover() == 0  # queued a moment ago: a worker may yet take it
    ImportRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - dt.timedelta(hours=2))
    assert import_runs_recover() == 1
    assert ImportRun.objects.get(pk=run.pk).status == "failed"


def test_checked_runs_left_unconfirmed_are_discarded_after_the_days_set(paul, run_file, settings):
    from django.utils import timezone

    from imports.models import ImportRun
    from imports.services import _staged, import_runs_expire

    settings.IMPORTS_PREVIEW_DAYS = 3
    rows = [["code", "name", "region"], ["Q1", "甲", "510104"]]
    waiting = run_file(paul, "customers", csv_bytes(rows))
    failed = run_file(paul, "customers", csv_bytes(rows))
    ImportRun.objects.filter(pk=failed.pk).update(status="failed")
    written = run_file(paul, "customers", csv_bytes([rows[0], ["Q2", "乙", "510104"]]), then="write")
    assert (waiting.status, written.status) == ("previewed", "done")
    assert import_runs_expire() == 0  # checked a moment ago
    almost = timezone.now() - datetime.timedelta(days=3) + datetime.timedelta(minutes=5)
    ImportRun.objects.update(finished_at=almost)
    assert import_runs_expire() == 0
    ImportRun.objects.update(finished_at=timezone.now() - datetime.timedelta(days=3, minutes=1))
    assert import_runs_expire() == 2
    for run in (waiting, failed):
        run.refresh_from_db()
        assert run.status == "discarded" and not _staged(run)
        assert (
            run.message
            == "Not confirmed within 3 days: discarded, nothing was written. Upload the file again to import it."
        )
    assert ImportRun.objects.get(pk=written.pk).status == "done"
    assert not Customer.objects.filter(code="Q1").exists()
    entry = AuditEntry.objects.get(object_id=str(waiting.pk), detail__discarded=True)
    assert entry.username == ""  # the night's sweep, no one's hand
    assert import_runs_expire() == 0


# -- a customer's location (纬度, 经度) -----------------------------------------------------------------------------


def _location(code: str) -> tuple:
    customer = Customer.objects.get(code=code)
    return (
        customer.latitude,
        customer.longitude,
        customer.location_source,
        customer.location_confirmed_by,
        customer.location_confirmed_at is not None,
        customer.location,
    )


def test_an_imported_location_is_the_customers_location(paul, run_file):
    rows = [
        ["客户编码", "客户名称", "区域", "纬度", "经度"],
        ["P0001", "有位置", "510104", "30.657", "104.066"],
        ["P0002", "南半球西经", "510104", "-33.8688", "-70.5"],
        ["P0003", "无位置", "510104", "", ""],
    ]
    run = run_file(paul, "customers", csv_bytes(rows), then="write")
    assert (run.status, run.created) == ("done", 3), list(run.issues.values_list("line", "message"))
    assert _location("P0001") == (30.657, 104.066, "import", None, False, (30.657, 104.066))
    assert _location("P0002") == (-33.8688, -70.5, "import", None, False, (-33.8688, -70.5))
    assert _location("P0003") == (None, None, "", None, False, None)
    again = run_file(paul, "customers", csv_bytes(rows), then="write")
    assert (again.updated, again.unchanged) == (0, 3)


def test_a_location_from_a_workbook_is_read_as_typed(paul, run_file, tmp_path):
    rows = [["code", "name", "region", "latitude", "longitude"], ["P0001", "表格", "510104", 30.657, -104]]
    run = run_file(paul, "customers", xlsx_bytes(rows, tmp_path / "l.xlsx"), name="l.xlsx", then="write")
    assert run.status == "done", list(run.issues.values_list("line", "message"))
    assert _location("P0001")[:3] == (30.657, -104.0, "import")


@pytest.fixture
def located(customers, cast):
    """A customer whose location was set from a visit and confirmed by the department head."""
    from django.utils import timezone

    alice = customers["alice"]
    Customer.objects.filter(pk=alice.pk).update(
        latitude=30.6571,
        longitude=104.0662,
        location_source="visit",
        location_confirmed_by=cast["dora"],
        location_confirmed_at=timezone.now(),
    )
    return alice


def test_a_file_without_the_location_columns_leaves_the_location_alone(paul, run_file, located, cast):
    run = run_file(paul, "customers", csv_bytes([["code", "address"], ["CD0001", "新地址"]]), then="write")
    assert (run.status, run.updated) == ("done", 1)
    assert _location("CD0001") == (30.6571, 104.0662, "visit", cast["dora"], True, (30.6571, 104.0662))


def test_the_same_location_keeps_the_confirmation_of_the_visit(paul, run_file, located, cast):
    rows = [["code", "latitude", "longitude"], ["CD0001", "30.6571", "104.06620"]]
    run = run_file(paul, "customers", csv_bytes(rows), then="write")
    assert (run.status, run.updated, run.unchanged) == ("done", 0, 1)
    assert _location("CD0001")[:4] == (30.6571, 104.0662, "visit", cast["dora"])


def test_another_location_replaces_a_confirmed_one_and_the_trail_shows_the_change(paul, run_file, located, cast):
    rows = [["code", "latitude", "longitude"], ["CD0001", "30.7", "104.1"]]
    preview = run_file(paul, "customers", csv_bytes(rows))
    assert (preview.status, preview.updated) == ("previewed", 1)
    assert _location("CD0001")[2] == "visit"  # a preview writes nothing
    from imports.services import import_run_write

    import_run_write(preview)
    assert _location("CD0001") == (30.7, 104.1, "import", None, False, (30.7, 104.1))
    entries = AuditEntry.objects.filter(action="update", object_type="accounts.customer", customer_code="CD0001")
    (entry,) = entries.filter(detail__import=preview.pk)
    assert entry.source == "import"
    assert {name: entry.changes[name] for name in ("latitude", "longitude", "location_source")} == {
        "latitude": [30.6571, 30.7],
        "longitude": [104.0662, 104.1],
        "location_source": ["visit", "import"],
    }
    assert entry.changes["location_confirmed_by"] == [cast["dora"].pk, None]
    assert set(entry.changes) == {
        "latitude",
        "longitude",
        "location_source",
        "location_confirmed_by",
        "location_confirmed_at",
    }


def test_both_cells_empty_clear_the_location_as_an_empty_cell_clears_any_column(paul, run_file, located):
    rows = [["code", "uscc", "latitude", "longitude"], ["CD0001", "", "", ""]]
    run = run_file(paul, "customers", csv_bytes(rows), then="write")
    assert (run.status, run.updated) == ("done", 1)
    assert _location("CD0001") == (None, None, "", None, False, None)


def test_negative_degrees_come_back_from_the_error_file_as_they_went_in(paul, run_file):
    """The error file puts an apostrophe before a cell starting with a minus sign (so that a spreadsheet does not
    run it); degrees south and west, fixed in that file and uploaded again, are read without it."""
    from imports.outputs import ErrorFileCSV

    rows = [["code", "name", "region", "latitude", "longitude"], ["P0001", "南美", "510199", "-33.8688", "-70.5"]]
    invalid = run_file(paul, "customers", csv_bytes(rows))
    assert invalid.status == "invalid"
    written = list(csv.reader(io.StringIO(b"".join(ErrorFileCSV(invalid)).decode("utf-8-sig"))))
    assert written[1][:5] == ["P0001", "南美", "510199", "'-33.8688", "'-70.5"]
    fixed = [row[:-1] for row in written]  # the reasons column could stay, too
    fixed[1][2] = "510104"
    run = run_file(paul, "customers", csv_bytes(fixed), then="write")
    assert run.status == "done", (run.message, list(run.issues.values_list("line", "message")))
    assert _location("P0001")[:3] == (-33.8688, -70.5, "import")
