from decimal import Decimal

from accounts.models import Customer, GroupMember
from imports.services import import_run_write

from .conftest import csv_bytes

HEADER = ["客户编码", "客户名称", "统一社会信用代码", "行业", "区域", "手机数量", "月均消费", "状态"]


def test_customers_gb18030_then_members(cast, territory, run_file):
    rows = [
        HEADER,
        ["N0001", "新客户一", "91350100M000100Y43", "J66", "510104", "600", "1000.50", "在网"],
        ["N0002", "新客户二", "", "", "510107", "10", "0", "active"],
    ]
    run = run_file(cast["paul"], "customers", csv_bytes(rows, "gb18030"))
    print(run.status, run.message, run.encoding, list(run.issues.values_list("line", "column", "message")))
    assert run.status == "previewed"
    assert run.created == 2
    assert not Customer.objects.filter(code="N0001").exists()
    run = import_run_write(run)
    print(run.status, run.message, run.preview)
    c = Customer.objects.get(code="N0001")
    assert c.tier == "A" and c.monthly_spend == Decimal("1000.50")
    again = run_file(cast["paul"], "customers", csv_bytes(rows, "gb18030"))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2), again.message
    members = [
        ["customer", "mobile", "name", "arpu"],
        ["N0001", "13800000001", "甲", "3000"],
        ["N0001", "13800000002", "乙", "10"],
    ]
    run = run_file(cast["paul"], "members", csv_bytes(members), then="write")
    assert run.status == "done", run.message
    assert GroupMember.objects.get(mobile="13800000001").vip_level == "diamond"
    members = [["customer", "mobile", "name", "arpu"], ["N0001", "13800000001", "甲", "3000"]]
    run = run_file(cast["paul"], "members", csv_bytes(members), mode="replace", then="write")
    assert (run.status, run.removed, run.unchanged) == ("done", 1, 1), run.message
    assert GroupMember.objects.get(mobile="13800000002").left_on is not None


def test_bad_uscc_named(cast, territory, run_file):
    rows = [HEADER, ["N0001", "新客户一", "91350100M000100Y44", "J66", "510104", "600", "1000.50", "在网"]]
    run = run_file(cast["paul"], "customers", csv_bytes(rows, "gb18030"))
    assert run.status == "invalid"
    issue = run.issues.get()
    assert (issue.line, issue.column, issue.value) == (2, "统一社会信用代码", "91350100M000100Y44")
    assert not Customer.objects.exists()
