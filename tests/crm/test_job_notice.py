"""The notification that tells who started a job how it ended (issue 18, point 10, "wording"): what ran, for which
scope and what it counted, in the user's words — not the run's model name ("定级重算记录") nor its chunks."""

from __future__ import annotations

import pytest

from crm.models import JobStatus, Notification
from crm.services import job_run_close
from kpis.models import KpiJobRun
from tiering.models import TierJobRun

pytestmark = pytest.mark.django_db


def _tier_run(cast, territory, **fields) -> TierJobRun:
    return TierJobRun.objects.create(
        triggered_by=cast["paul"],
        scope=territory["sichuan"],
        chunks_total=1,
        chunks_done=1,
        customers_seen=5000,
        customers_changed=456,
        **fields,
    )


def _notice(cast) -> Notification:
    notice = Notification.objects.get(recipient=cast["paul"])
    assert "\u00a0" in notice.body  # figures are grouped with a no-break space: never cut in two
    notice.body = notice.body.replace("\u00a0", " ")
    return notice


def test_a_finished_recompute_says_what_ran_where_and_what_it_changed(cast, territory):
    job_run_close(_tier_run(cast, territory))
    notice = _notice(cast)
    assert notice.kind == "job_finished"
    assert notice.title.startswith("等级重算已完成：四川省")
    assert "处理客户数 5 000" in notice.body and "变更客户数 456" in notice.body
    assert "用时" in notice.body
    text = notice.title + notice.body
    for jargon in ("分块", "记录", "chunk", "TierJobRun", "succeeded"):
        assert jargon not in text


def test_a_failed_recompute_says_so_with_its_errors(cast, territory):
    job_run_close(_tier_run(cast, territory, errors=[{"error": "x"}, {"error": "y"}]))
    notice = _notice(cast)
    assert notice.kind == "job_failed"
    assert notice.title.startswith("等级重算失败：四川省")
    assert "2 个错误" in notice.body and "分块" not in notice.body


def test_a_kpi_computation_names_its_month(cast, territory):
    import datetime

    run = KpiJobRun.objects.create(
        triggered_by=cast["paul"],
        period=datetime.date(2026, 11, 1),
        as_of=datetime.date(2026, 11, 30),
        chunks_total=2,
        chunks_done=2,
        snapshots_written=3587,
    )
    job_run_close(run)
    notice = _notice(cast)
    assert notice.title.startswith("指标计算已完成：2026-11")
    assert "写入快照数 3 587" in notice.body and "分块" not in notice.body


def test_in_english(cast, territory, settings):
    settings.LANGUAGE_CODE = "en"
    job_run_close(_tier_run(cast, territory, status=JobStatus.RUNNING))
    notice = _notice(cast)
    assert notice.title.startswith("Tier recompute finished: 四川省")
    assert "Customers seen 5 000, customers changed 456" in notice.body
    assert "chunk" not in notice.body
