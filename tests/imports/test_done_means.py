"""The issue's "done means", on the command line as operations run it for nightly BOSS drops: a GB18030 customers
file with a bad USCC is refused with its line named and nothing written; fixed, it goes in and the new customers
have tiers with reasons; a members file in replace mode moves member coverage at the next KPI run."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import Customer
from crm.periods import Period
from kpis.models import KpiSnapshot
from kpis.services import kpi_compute

from .conftest import csv_bytes

pytestmark = pytest.mark.django_db

HEADER = ["客户编码", "客户名称", "统一社会信用代码", "行业", "区域", "手机数量", "月均消费"]


def command(path, *args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_customers", str(path), *args, stdout=out, stderr=err)
        code = 0
    except CommandError as error:
        code = error.returncode
    return code, out.getvalue(), err.getvalue()


def member_coverage(region) -> tuple:
    snapshot = KpiSnapshot.objects.get(
        period=Period.of(timezone.localdate()).start, region=region, metric="member_coverage_rate"
    )
    return snapshot.numerator, snapshot.denominator


def test_customers_then_members_from_the_command_line(cast, territory, tmp_path):
    bad = tmp_path / "customers.csv"
    rows = [
        HEADER,
        ["N0001", "成都新客户一", "91350100M000100Y43", "J66", "510104", "100", "1000"],
        ["N0002", "成都新客户二", "91350100M000100Y44", "", "510107", "120", "0"],
    ]
    bad.write_bytes(csv_bytes(rows, "gb18030"))
    code, _out, err = command(bad, "--user", "paul")
    assert code == 1
    assert "line 3, column 统一社会信用代码:" in err
    assert not Customer.objects.filter(code__startswith="N").exists()

    rows[2][2] = ""
    bad.write_bytes(csv_bytes(rows, "gb18030"))
    code, _out, err = command(bad, "--user", "paul")
    assert code == 0, err
    first, second = Customer.objects.get(code="N0001"), Customer.objects.get(code="N0002")
    assert (first.tier, [reason["field"] for reason in first.tier_reasons]) == ("A", ["industry"])
    assert (second.tier, [reason["field"] for reason in second.tier_reasons]) == ("B", ["handset_count"])

    members = tmp_path / "members.csv"
    listed = [["customer", "mobile", "name", "on_net"]] + [
        ["N0001", f"1380000{n:04d}", f"成员{n}", "是"] for n in range(50)
    ]
    members.write_bytes(csv_bytes(listed))
    assert command(members, "--kind", "members", "--mode", "replace", "--user", "paul")[0] == 0
    kpi_compute(period=Period.of(timezone.localdate()))
    assert member_coverage(territory["sichuan"]) == (50, 220)

    members.write_bytes(csv_bytes(listed[:11]))  # the next drop lists ten: forty have left
    code, out, _err = command(members, "--kind", "members", "--mode", "replace", "--user", "paul")
    assert code == 0 and "40" in out
    kpi_compute(period=Period.of(timezone.localdate()))
    assert member_coverage(territory["sichuan"]) == (10, 220)
