from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone, translation

from kpis.models import KpiJobRun, KpiSnapshot

pytestmark = pytest.mark.django_db


def test_compute_kpis_writes_the_month_and_shows_its_progress(province):
    out = StringIO()
    call_command("compute_kpis", "--period", "2026-10", stdout=out)
    assert "chunks 1/1: 56 customers counted" in out.getvalue()
    written = KpiSnapshot.objects.filter(period=datetime.date(2026, 10, 1)).count()
    assert f"2026-10 as of 2026-10-31: {written} snapshots written" in out.getvalue()
    assert KpiJobRun.objects.get().source == "manual"


def test_compute_kpis_defaults_to_the_current_month_as_of_today(province):
    call_command("compute_kpis", stdout=StringIO())
    run = KpiJobRun.objects.get()
    assert (run.period, run.as_of) == (timezone.localdate().replace(day=1), timezone.localdate())


@pytest.mark.parametrize(
    ("period", "message"),
    [
        ("2026-13", "--period: A period is a month written YYYY-MM"),
        ("november", "--period: A period is a month written YYYY-MM"),
        ("2999-01", "--period: 2999-01 is in the future"),
    ],
)
def test_compute_kpis_refuses_a_bad_period_and_writes_nothing(province, period, message):
    with translation.override("en"), pytest.raises(CommandError, match=message):
        call_command("compute_kpis", "--period", period, stdout=StringIO())
    assert not KpiJobRun.objects.exists()
    assert not KpiSnapshot.objects.exists()


def test_compute_kpis_says_what_is_wrong_in_chinese_by_default(province):
    with pytest.raises(CommandError, match="格式 YYYY-MM"):
        call_command("compute_kpis", "--period", "2026/10", stdout=StringIO())
