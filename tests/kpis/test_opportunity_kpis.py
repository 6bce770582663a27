"""The opportunity KPIs of issue 17 on the hand-built province of conftest.py (October 2026): opportunities found
per 100 visits, the win rate, and the forecast (expected monthly revenue × probability of those closing in the
month), each a numerator and a denominator like every KPI of SPEC §7, counted for every scope."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from campaigns.models import Opportunity, OpportunityStageChange
from kpis.models import KpiSnapshot
from kpis.services import kpi_compute
from tests.factories import OpportunityFactory

from .conftest import OCTOBER, _at

pytestmark = pytest.mark.django_db


def _opportunity(customer, owner, *, created: datetime.datetime, stage="found", **fields) -> Opportunity:
    opportunity = OpportunityFactory(customer=customer, owner=owner, stage=stage, **fields)
    Opportunity.objects.filter(pk=opportunity.pk).update(created_at=created)
    return opportunity


def _moved(opportunity, from_stage: str, to_stage: str, when: datetime.datetime) -> None:
    change = OpportunityStageChange.objects.create(opportunity=opportunity, from_stage=from_stage, to_stage=to_stage)
    OpportunityStageChange.objects.filter(pk=change.pk).update(changed_at=when)


def _figure(metric: str, **scope) -> tuple:
    row = KpiSnapshot.objects.get(period=OCTOBER.start, metric=metric, **scope)
    return row.numerator, row.denominator, row.value


def test_found_per_visit_win_rate_and_forecast_of_october(province, cast, territory):
    c1, alice = province["c1"], cast["alice"]
    # Found in October: two (one won, one lost in October); one found in September, opened in October.
    won = _opportunity(c1, alice, created=_at(3), stage="won", expected_close_on=datetime.date(2026, 10, 31))
    _moved(won, "negotiation", "won", _at(20))
    lost = _opportunity(c1, alice, created=_at(5), stage="lost", lost_reason="预算取消")
    _moved(lost, "proposal", "lost", _at(21))
    opened = _opportunity(c1, alice, created=_at(15, 9), stage="opened")
    _moved(opened, "found", "opened", _at(22))
    # Still open and closing in October: 2 000 × 60 %; closing in November: not this month's forecast.
    _opportunity(
        c1,
        alice,
        created=_at(10, 9),
        stage="negotiation",
        probability=60,
        expected_monthly_revenue=Decimal("2000.00"),
        expected_close_on=datetime.date(2026, 10, 25),
    )
    _opportunity(c1, alice, created=_at(10, 9), stage="proposal", expected_close_on=datetime.date(2026, 11, 30))
    Opportunity.objects.filter(pk=won.pk).update(probability=90, expected_monthly_revenue=Decimal("1000.00"))
    run = kpi_compute(period=OCTOBER)
    assert run.status == "succeeded", run.errors
    sichuan = territory["sichuan"]
    # 2 found in October over the province's 3 visits
    assert _figure("opportunity_discovery_rate", region=sichuan) == (2, 3, Decimal("0.666667"))
    # won 1 + opened straight from found 1, over those and the one lost
    assert _figure("opportunity_win_rate", region=sichuan) == (2, 3, Decimal("0.666667"))
    # 2 000 × 60 % + the won one still to open, 1 000 × 90 %
    assert _figure("opportunity_forecast", region=sichuan)[0] == Decimal("2100.00")
    # alice's own scope counts the same (c1 is hers); bob's has none
    assert _figure("opportunity_win_rate", manager=alice)[:2] == (2, 3)
    assert _figure("opportunity_forecast", manager=cast["bob"])[0] == 0
