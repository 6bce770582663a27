"""The audit trail as people read it (issue 18, point 10, "wording"): the audit page and a customer's history show
each entry's details with labels and values in the user's language — people by name, products and regions by
name, job kinds and statuses as words, a filter as "label：value" lines, times in the site's time zone — with a
fixed number of queries per page; the API keeps the machine-readable form."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm import audit
from crm.models import AuditAction, JobStatus, User
from tiering.models import TierJobRun

pytestmark = pytest.mark.django_db


def _table_text(response) -> str:
    """The text of the entries' table, without its tags (titles and links are not what people read)."""
    html = response.content.decode()
    table = html[html.index('data-testid="audit-entries"') : html.index("</table>", html.index("audit-entries"))]
    table = re.sub(r"</(td|th|tr|div|li|ul)>", " ", table)
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", "", table)).replace("\u00a0", " ")


@pytest.fixture
def named(cast):
    for username, last, first in (("alice", "张", "爱丽"), ("bob", "王", "波"), ("paul", "李", "娜")):
        User.objects.filter(username=username).update(last_name=last, first_name=first)
    return {name: User.objects.get(pk=user.pk) for name, user in cast.items()}


def test_an_export_shows_its_format_and_filter_in_words(login, named):
    audit.record(
        user=named["paul"],
        action=AuditAction.EXPORT,
        object_type="tiering.tierlist",
        object_repr="分级清单",
        detail={"format": "xlsx", "filter": {"region": "510100", "tier_group": "a", "search": ""}, "rows": 2220},
    )
    text = _table_text(login(named["paul"]).get("/audit/"))
    assert "格式：Excel" in text
    assert "筛选：" in text and "区域：成都市" in text and "等级组：A+ / A" in text
    assert "行数：2 220" in text
    for raw in ("format", "filter", "region", "tier_group", "xlsx", "510100", "rows", "search"):
        assert raw not in text
    assert "李娜" in text  # who exported it, by name


def test_a_job_run_is_named_as_the_jobs_page_names_it(login, named, territory):
    run = TierJobRun.objects.create(
        triggered_by=named["paul"],
        scope=territory["sichuan"],
        status=JobStatus.SUCCEEDED,
        customers_seen=5000,
        customers_changed=456,
    )
    audit.record(
        user=named["paul"],
        action=AuditAction.RUN,
        obj=run,
        detail={"job": "tier_recompute", "status": "succeeded", "customers_seen": 5000, "customers_changed": 456},
    )
    text = _table_text(login(named["paul"]).get("/audit/"))
    assert "等级重算 · 四川省" in text
    assert "作业：等级重算" in text and "状态：成功" in text
    assert "处理客户数：5 000" in text and "等级变化客户数：456" in text
    for raw in ("tier_recompute", "succeeded", "customers_seen", "customers_changed", "510000"):
        assert raw not in text


def test_times_kept_in_utc_read_in_the_site_s_time_zone(login, named, customers):
    audit.record(
        user=named["alice"],
        action=AuditAction.CREATE,
        object_type="campaigns.activity",
        object_repr="沙龙",
        customer=customers["alice"],
        changes={"created_at": [None, "2026-12-03T08:48:40.702Z"], "created_by": [None, "alice"]},
    )
    text = _table_text(login(named["paul"]).get("/audit/"))
    assert "2026-12-03 16:48" in text  # Asia/Shanghai
    assert "08:48" not in text and "T08" not in text
    assert "— → 张爱丽" in text.split("沙龙")[1]  # who created it, by name


def test_the_history_shows_people_and_products_by_name(login, named, customers):
    audit.record(
        user=named["alice"],
        action=AuditAction.CREATE,
        object_type="campaigns.opportunity",
        object_repr="专线扩容",
        customer=customers["alice"],
        changes={"owner": [None, "alice"], "products": [None, ["DEDICATED_LINE"]], "stage": [None, "found"]},
    )
    text = _table_text(login(named["alice"]).get("/customers/CD0001/history/"))
    assert "负责人：— → 张爱丽" in text
    assert "集团专线" in text and "DEDICATED_LINE" not in text
    assert " alice " not in f" {text} "
    assert "张爱丽" in text.split("专线扩容")[0]  # the "user" column


def test_the_history_reads_names_once_for_the_page(login, named, customers):
    def record(number: int) -> None:
        for index in range(number):
            owner = ("alice", "bob")[index % 2]
            audit.record(
                user=named[owner],
                action=AuditAction.UPDATE,
                object_type="campaigns.opportunity",
                object_repr=f"商机{index}",
                customer=customers["alice"],
                changes={"owner": ["bob", owner], "products": [["MOBILE_PBX"], ["DEDICATED_LINE"]]},
            )

    client = login(named["alice"])
    record(1)
    with CaptureQueriesContext(connection) as one:
        assert client.get("/customers/CD0001/history/").status_code == 200
    record(30)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/customers/CD0001/history/")
    assert "王波" in _table_text(response)
    assert len(many.captured_queries) == len(one.captured_queries)


def test_the_api_keeps_the_machine_readable_form(api, named):
    audit.record(
        user=named["paul"],
        action=AuditAction.EXPORT,
        object_type="tiering.tierlist",
        object_repr="分级清单",
        detail={"format": "xlsx", "filter": {"region": "510100"}, "rows": 2},
    )
    body = api(named["paul"]).get("/api/v1/audit/").json()
    rows = body["results"] if isinstance(body, dict) else body
    assert rows[0]["detail"] == {"format": "xlsx", "filter": {"region": "510100"}, "rows": 2}
    assert "paul" in str(rows[0]) and "李娜" not in str(rows[0])


def test_english_labels(login, named):
    audit.record(
        user=named["paul"],
        action=AuditAction.EXPORT,
        object_type="tiering.tierlist",
        object_repr="tier list",
        detail={"format": "csv", "rows": 3},
    )
    client = login(named["paul"])
    client.cookies["django_language"] = "en"
    text = _table_text(client.get("/audit/", HTTP_ACCEPT_LANGUAGE="en"))
    assert "Format: CSV" in text and "Rows: 3" in text
