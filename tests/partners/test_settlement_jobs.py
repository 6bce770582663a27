"""A territory's month of commission settlements computed by the workers (issue 20): the page and the API answer at
once with the computation, which runs a chunk of partners at a time on the chunked-job machinery (eager here: the
embedded default), each chunk once however often delivered, a failed chunk recorded without stopping the others, one
computation of a month and territory at a time, its starter notified when it ends, and the jobs page listing it."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from crm.models import JobStatus, Notification, NotificationKind
from crm.services import JobBusy
from partners import bulk
from partners.models import Settlement, SettlementJobRun
from partners.services import settlement_chunk_compute
from partners.tasks import settlement_runs_sweep, settlements_launch

from .commissions import BEFORE, LAST, PERIOD, USCCS, holding, partner, rule

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def two_partners(territory, customers, provider):
    """The provider of the fixtures and a sales agent of 绵阳 that sold 云视讯 to MY0001 last month."""
    agent = partner(territory, "绵阳销售代理有限公司", ["sales_agent"], USCCS["service"], region="mianyang")
    rule("one_off", "solution_provider", "CLOUD_VIDEO", amount=D("800.00"), valid_from=BEFORE)
    rule("revenue_share", "sales_agent", "CLOUD_VIDEO", rate=D("5.00"), months=6, valid_from=BEFORE)
    holding(customers["mianyang"], "CLOUD_VIDEO", LAST.replace(day=9), partner=agent, revenue="100.00")
    return provider, agent


def test_a_province_is_computed_a_chunk_of_partners_at_a_time_and_its_starter_told(cast, territory, two_partners):
    provider, agent = two_partners
    width = abs(agent.pk - provider.pk)  # the two partners in two chunks
    run = settlements_launch(user=cast["paul"], month=LAST, region=territory["sichuan"], chunk_size=width)
    assert run.status == JobStatus.SUCCEEDED and (run.chunks_total, run.chunks_done) == (2, 2)
    assert (run.computed, run.approved_left, run.errors) == (2, 0, [])
    assert Settlement.objects.filter(period=LAST).count() == 2
    assert run.total == sum(Settlement.objects.values_list("total", flat=True))
    told = Notification.objects.get(recipient=cast["paul"], kind=NotificationKind.JOB_FINISHED)
    assert told.url == f"/partners/settlements/?period={PERIOD}&run={run.pk}" and "四川省" in told.title


def test_a_chunk_delivered_again_does_nothing_the_second_time(cast, territory, two_partners):
    provider, _agent = two_partners
    run = SettlementJobRun.objects.create(
        triggered_by=cast["paul"], region=territory["sichuan"], period=LAST, chunks_total=1
    )
    assert settlement_chunk_compute(run_id=run.pk, first_id=provider.pk, last_id=provider.pk) == 1
    computed_at = Settlement.objects.get(partner=provider).computed_at
    assert settlement_chunk_compute(run_id=run.pk, first_id=provider.pk, last_id=provider.pk) == 0
    run.refresh_from_db()
    assert run.chunks_done == 1 and Settlement.objects.get(partner=provider).computed_at == computed_at


def test_a_failed_chunk_is_recorded_and_the_others_keep_their_settlements(cast, territory, two_partners, monkeypatch):
    provider, agent = two_partners
    original = bulk.insert_lines

    def failing(*, scope_sql, params, month):
        if params.get("scope_first") == agent.pk:
            raise RuntimeError("disk full")
        return original(scope_sql=scope_sql, params=params, month=month)

    monkeypatch.setattr(bulk, "insert_lines", failing)
    width = abs(agent.pk - provider.pk)
    run = settlements_launch(user=cast["paul"], month=LAST, region=territory["sichuan"], chunk_size=width)
    assert run.status == JobStatus.FAILED and "disk full" in run.errors[0]["error"]
    assert list(Settlement.objects.values_list("partner", flat=True)) == [provider.pk]  # the agent's rolled back
    assert Notification.objects.filter(recipient=cast["paul"], kind=NotificationKind.JOB_FAILED).exists()


def test_one_computation_of_a_month_and_territory_at_a_time(api, login, cast, territory, provider):
    running = SettlementJobRun.objects.create(
        triggered_by=cast["paul"], region=territory["sichuan"], period=LAST, chunks_total=3, chunks_done=1
    )
    with pytest.raises(JobBusy):
        settlements_launch(user=cast["paul"], month=LAST, region=territory["sichuan"])
    response = api(cast["paul"]).post("/api/v1/partners/settlements/compute/", {"period": PERIOD}, format="json")
    assert response.status_code == 409 and "四川省" in response.json()["detail"]
    page = login(cast["paul"]).post("/partners/settlements/compute/", {"period": PERIOD}, follow=True)
    assert "四川省" in page.content.decode() and not Settlement.objects.exists()
    # another month is free
    other = settlements_launch(user=cast["paul"], month=BEFORE, region=territory["sichuan"])
    assert other.status == JobStatus.SUCCEEDED and running.pk != other.pk


def test_the_list_follows_a_running_computation(login, cast, territory, provider):
    run = SettlementJobRun.objects.create(
        triggered_by=cast["paul"], region=territory["sichuan"], period=LAST, chunks_total=4, chunks_done=1
    )
    client = login(cast["paul"])
    html = client.get(f"/partners/settlements/?period={PERIOD}").content.decode()
    assert 'data-testid="run-progress"' in html and "data-run-poll" in html and "run-progress.js" in html
    poll = client.get(f"/partners/settlements/?period={PERIOD}&run={run.pk}&poll=1")
    assert poll.status_code == 200 and poll.json()["progress"]["percent"] == 25
    assert login(cast["gd_paul"]).get(f"/partners/settlements/?period={PERIOD}&run={run.pk}&poll=1").status_code == 404
    jobs = client.get("/jobs/").content.decode()
    assert f"settlements-{run.pk}" in jobs


def test_the_computations_api_is_the_provinces(api, client, cast, territory, provider):
    run = SettlementJobRun.objects.create(triggered_by=cast["paul"], region=territory["sichuan"], period=LAST)
    path = f"/api/v1/partners/settlements/runs/{run.pk}/"
    assert api(cast["paul"]).get(path).json()["status"] == "running"
    assert api(cast["hq"]).get(path).status_code == 200
    assert api(cast["gd_paul"]).get(path).status_code == 404
    assert api(cast["alice"]).get(path).status_code == 403
    assert client.get(path).status_code == 401


def test_an_open_month_is_refused_before_anything_is_recorded(api, cast, territory, provider):
    this_month = timezone.localdate().replace(day=1)
    response = api(cast["paul"]).post(
        "/api/v1/partners/settlements/compute/", {"period": f"{this_month:%Y-%m}"}, format="json"
    )
    assert response.status_code == 400 and not SettlementJobRun.objects.exists()


def test_a_computation_whose_workers_died_is_swept(cast, territory, settings):
    run = SettlementJobRun.objects.create(triggered_by=cast["paul"], region=territory["sichuan"], period=LAST)
    SettlementJobRun.objects.filter(pk=run.pk).update(
        started_at=timezone.now() - datetime.timedelta(minutes=settings.JOB_SILENCE_MINUTES + 1)
    )
    assert settlement_runs_sweep() == 1
    run.refresh_from_db()
    assert run.status == JobStatus.FAILED and run.errors
