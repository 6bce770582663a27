"""Fixtures of the commission tests (issue 20, point 3): a partner with a settlement of the last month over."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crm.celery import app
from partners.models import Settlement

from .commissions import BEFORE, LAST, PERIOD, USCCS, bill, holding, partner, rule, serves

D = Decimal


@pytest.fixture(autouse=True)
def eager_jobs(monkeypatch):
    """A month's settlements are computed by the workers (a chunked job); here the job runs in the test's process, on
    the real stack (a broker set, CI) as on the embedded default, so the tests read what it computed."""
    monkeypatch.setitem(app.conf, "task_always_eager", True)


@pytest.fixture
def provider(territory, customers):
    """A solution provider of 成都 that sold 云视讯 to CD0001 last month (a share and a one-off) and serves CD0002."""
    company = partner(territory, "成都数智方案有限公司", ["solution_provider"], USCCS["sales"])
    rule("revenue_share", "solution_provider", "CLOUD_VIDEO", rate=D("10.00"), months=12, valid_from=BEFORE)
    rule("one_off", "solution_provider", "CLOUD_VIDEO", amount=D("800.00"), valid_from=BEFORE)
    rule("per_active_user", "solution_provider", "VPMN", amount=D("1.50"), valid_from=BEFORE)
    holding(customers["alice"], "CLOUD_VIDEO", LAST.replace(day=5), partner=company, revenue="600.00")
    bill(customers["alice"], LAST, "9000")
    holding(customers["wuhou"], "VPMN", BEFORE, users=20)
    serves(company, customers["wuhou"], BEFORE)
    return company


@pytest.fixture
def computed(api, cast, provider):
    response = api(cast["paul"]).post("/api/v1/partners/settlements/compute/", {"period": PERIOD}, format="json")
    assert response.status_code == 202, response.json()
    assert response.json()["status"] == "succeeded"  # the embedded default runs the job here
    return Settlement.objects.get(partner=provider, period=LAST)
