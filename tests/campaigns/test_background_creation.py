"""A large campaign is created by a worker (issue 19, point 5): confirmed on the page with CAMPAIGN_BACKGROUND_PLANS
plans or more, the page answers at once with the run's page, which follows the creation's progress; the worker
creates it with the checks of an immediate creation (a preview gone stale fails the run, saying to preview again),
links the run to the campaign and tells the planner. A double click lands on the same run; a small campaign is still
created at once; the run's page is its starter's and their territory's planners' only."""

from __future__ import annotations

import datetime
import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from accounts.models import Customer
from campaigns import jobboard as creation_board
from campaigns.models import Campaign, CampaignCreationRun, CustomerPlan
from campaigns.services import creations
from campaigns.tasks import campaign_creations_sweep
from crm import jobboard
from crm.celery import app
from crm.models import AuditEntry, JobStatus, Notification, NotificationKind
from tests.campaigns.test_campaign_pages import _form
from tests.factories import CustomerFactory, TeamRoleFactory

pytestmark = pytest.mark.django_db

NAME = "V网薄覆盖提升"


def _english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def background(settings, monkeypatch):
    """Every campaign is large enough to be created by a worker, and the worker runs here (eager Celery)."""
    settings.CAMPAIGN_BACKGROUND_PLANS = 1
    monkeypatch.setitem(app.conf, "task_always_eager", True)


@pytest.fixture
def queued(settings, monkeypatch):
    """Every campaign is created by a worker, and none is there: the task waits on the queue (never sent here)."""
    settings.CAMPAIGN_BACKGROUND_PLANS = 1
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    monkeypatch.setattr("campaigns.tasks.broker_check", lambda: None)
    sent = []
    monkeypatch.setattr("campaigns.tasks.campaign_creation_run.delay", lambda run_id: sent.append(run_id))
    return sent


def _confirm(client: Client) -> tuple[dict, object]:
    """Preview the campaign, then confirm it as the preview's button does; returns the confirmation's answer."""
    preview = client.post("/campaigns/new/", _form())
    assert preview.status_code == 200
    shown = preview.context["preview"]
    fields = {**_form(), "step": "confirm", "fingerprint": shown.fingerprint, "plans": str(shown.plans)}
    return fields, client.post("/campaigns/new/", fields)


def test_the_preview_posts_its_plan_count_and_says_when_the_campaign_is_created_in_the_background(
    b_tier, cast, login, settings
):
    client = _english(login(cast["dora"]))
    page = client.post("/campaigns/new/", _form()).content.decode()
    assert 'name="plans" value="2"' in page
    assert 'data-testid="preview-background"' not in page  # 2 plans: created at once
    settings.CAMPAIGN_BACKGROUND_PLANS = 2
    page = client.post("/campaigns/new/", _form()).content.decode()
    assert 'data-testid="preview-background"' in page and "created in the background" in page


def test_a_large_campaign_is_recorded_and_the_page_answers_at_once_before_anything_is_created(
    b_tier, cast, login, queued
):
    before = AuditEntry.objects.exclude(action="login").count()
    _fields, response = _confirm(login(cast["dora"]))
    run = CampaignCreationRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/campaigns/creations/{run.pk}/"
    assert queued == [run.pk]  # handed to a worker, which has not run it
    assert not Campaign.objects.exists() and not CustomerPlan.objects.exists()
    assert AuditEntry.objects.exclude(action="login").count() == before
    assert (run.status, run.triggered_by, run.name, run.plans, run.campaign) == (
        JobStatus.RUNNING,
        cast["dora"],
        NAME,
        2,
        None,
    )
    assert (run.region_id, run.department, run.data["target_products"]) == ("510100", cast["dora"].department, ["VPMN"])
    # the run's page says it waits, and follows it
    page = _english(login(cast["dora"])).get(response["Location"])
    assert page.status_code == 200
    text = page.content.decode()
    assert "data-run-poll" in text and "Waiting for a worker" in text
    poll = login(cast["dora"]).get(f"/campaigns/creations/{run.pk}/?poll=1").json()
    assert (poll["status"], poll["running"], poll["campaign_url"]) == (jobboard.RUNNING, True, "")
    assert poll["progress"]["total"] == 2
    # the worker comes: the campaign is created as previewed
    assert creations.creation_execute(run_id=run.pk).status == JobStatus.SUCCEEDED
    campaign = Campaign.objects.get(name=NAME)
    assert campaign.plans.count() == 2


def test_the_worker_creates_the_campaign_links_the_run_and_notifies_the_planner(b_tier, cast, login, background):
    client = login(cast["dora"])
    _fields, response = _confirm(client)
    run = CampaignCreationRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/campaigns/creations/{run.pk}/"
    campaign = Campaign.objects.get(name=NAME)
    assert sorted(campaign.plans.values_list("customer__code", flat=True)) == ["CD0001", "CD0002"]
    assert (run.status, run.campaign, run.plans, run.chunks_done, run.errors) == (
        JobStatus.SUCCEEDED,
        campaign,
        2,
        1,
        [],
    )
    assert run.finished_at is not None
    # the same checks and records as at once: the audit entries of the campaign and of each plan
    assert AuditEntry.objects.filter(object_type="campaigns.campaign", object_id=str(campaign.pk)).count() == 1
    assert AuditEntry.objects.filter(object_type="campaigns.customerplan").count() == 2
    # the planner is told, in the site's language, with a link to the run's page
    note = Notification.objects.get(recipient=cast["dora"], kind=NotificationKind.JOB_FINISHED)
    assert note.title == f"营销活动创建已完成：{NAME} · 成都市"
    assert "方案数 2" in note.body
    assert note.url == f"/campaigns/creations/{run.pk}/"
    # the run's page shows the campaign, and polls no more
    page = _english(client).get(response["Location"]).content.decode()
    assert 'data-testid="creation-done"' in page and f'href="/campaigns/{campaign.pk}/"' in page
    assert "data-run-poll" not in page
    poll = client.get(f"/campaigns/creations/{run.pk}/?poll=1").json()
    assert (poll["status"], poll["running"], poll["campaign_url"]) == (
        jobboard.SUCCEEDED,
        False,
        f"/campaigns/{campaign.pk}/",
    )
    assert poll["counts"] == [["plans", 2]]  # the client reads English


def test_a_preview_gone_stale_fails_the_run_saying_to_preview_again(b_tier, cast, login, queued, territory):
    client = _english(login(cast["dora"]))
    _fields, response = _confirm(client)
    run = CampaignCreationRun.objects.get()
    # before the worker comes, a third B customer appears in 成都
    newcomer = CustomerFactory(code="CD0077", region=territory["jinjiang"])
    Customer.objects.filter(pk=newcomer.pk).update(tier="B")
    TeamRoleFactory(customer=newcomer, user=cast["alice"])
    run = creations.creation_execute(run_id=run.pk)
    assert run.status == JobStatus.FAILED and run.campaign is None
    assert not Campaign.objects.exists() and not CustomerPlan.objects.exists()
    # written in the language the planner confirmed in
    assert run.errors == [
        {
            "error": "The customers or the channel conflicts changed since the preview (2 plans then, 3 now): nothing "
            "was created. Preview the campaign again and confirm it."
        }
    ]
    note = Notification.objects.get(recipient=cast["dora"], kind=NotificationKind.JOB_FAILED)
    assert note.title == f"营销活动创建失败：{NAME} · 成都市"
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="creation-errors"' in page and "Preview the campaign again" in page
    # the page previews it again, with the same fields, in one click
    again = page[page.index('data-testid="creation-again"') :].split("</form>")[0]
    assert 'name="name" value="V网薄覆盖提升"' in again and 'name="tiers" value="B"' in again
    assert 'name="coverage" value="thin"' in again and 'name="target_products" value="VPMN"' in again
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', again))
    fields.update(tiers=["B"], coverage=["thin", "uncovered"], step="preview")
    preview = client.post("/campaigns/new/", fields)
    assert preview.status_code == 200 and preview.context["preview"].plans == 3
    # a delivery again of the run over does nothing
    assert creations.creation_execute(run_id=run.pk).errors == run.errors


def test_a_run_in_chinese_says_it_in_chinese(b_tier, cast, login, queued, territory):
    _confirm(login(cast["dora"]))
    run = CampaignCreationRun.objects.get()
    assert run.language == "zh-hans"
    newcomer = CustomerFactory(code="CD0077", region=territory["jinjiang"])
    Customer.objects.filter(pk=newcomer.pk).update(tier="B")
    run = creations.creation_execute(run_id=run.pk)
    assert "请重新预览" in run.errors[0]["error"]


def test_a_double_confirmation_gives_one_run_and_one_campaign(b_tier, cast, login, queued):
    client = login(cast["dora"])
    fields, first = _confirm(client)
    second = client.post("/campaigns/new/", fields)
    assert first["Location"] == second["Location"]
    assert CampaignCreationRun.objects.count() == 1 and len(queued) == 1
    run = CampaignCreationRun.objects.get()
    creations.creation_execute(run_id=run.pk)
    # once created, the same confirmation again (a reload of the answer) still lands on the run, creating nothing
    third = client.post("/campaigns/new/", fields)
    assert third["Location"] == first["Location"]
    assert Campaign.objects.count() == 1 and CampaignCreationRun.objects.count() == 1 and len(queued) == 1
    # another campaign (another name) is another run
    client.post("/campaigns/new/", {**fields, "name": "另一个活动"})
    assert CampaignCreationRun.objects.count() == 2


def test_a_repeat_long_after_is_a_new_run(b_tier, cast, login, queued):
    client = login(cast["dora"])
    fields, _first = _confirm(client)
    run = CampaignCreationRun.objects.get()
    creations.creation_execute(run_id=run.pk)
    CampaignCreationRun.objects.filter(pk=run.pk).update(
        started_at=timezone.now() - creations.REPEAT_WINDOW - datetime.timedelta(minutes=1)
    )
    client.post("/campaigns/new/", fields)
    assert CampaignCreationRun.objects.count() == 2


def test_a_delivery_again_of_a_committed_creation_creates_nothing_more(b_tier, cast, login, queued):
    _confirm(login(cast["dora"]))
    run = CampaignCreationRun.objects.get()
    creations.creation_execute(run_id=run.pk)
    # the worker died after committing, before acknowledging: the run is still running for the broker
    CampaignCreationRun.objects.filter(pk=run.pk).update(status=JobStatus.RUNNING)
    creations.creation_execute(run_id=run.pk)
    assert Campaign.objects.count() == 1 and CustomerPlan.objects.count() == 2


def test_a_small_campaign_is_still_created_at_once(b_tier, cast, login, settings):
    settings.CAMPAIGN_BACKGROUND_PLANS = 3  # the campaign has 2
    _fields, response = _confirm(login(cast["dora"]))
    campaign = Campaign.objects.get(name=NAME)
    assert response.status_code == 302 and response["Location"] == f"/campaigns/{campaign.pk}/"
    assert not CampaignCreationRun.objects.exists()


def test_a_confirmation_without_its_preview_count_is_created_at_once(b_tier, cast, login, settings):
    settings.CAMPAIGN_BACKGROUND_PLANS = 1
    client = login(cast["dora"])
    shown = client.post("/campaigns/new/", _form()).context["preview"]
    response = client.post("/campaigns/new/", {**_form(), "step": "confirm", "fingerprint": shown.fingerprint})
    assert response["Location"] == f"/campaigns/{Campaign.objects.get().pk}/"
    assert not CampaignCreationRun.objects.exists()


def test_the_api_still_creates_at_once(b_tier, cast, api, settings):
    settings.CAMPAIGN_BACKGROUND_PLANS = 1
    today = timezone.localdate()
    response = api(cast["dora"]).post(
        "/api/v1/campaigns/",
        {
            "name": NAME,
            "kind": "product_push",
            "region": "510100",
            "starts_on": today.isoformat(),
            "ends_on": (today + datetime.timedelta(days=30)).isoformat(),
            "target_products": ["VPMN"],
            "segment": {"tiers": ["B"]},
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert Campaign.objects.get(name=NAME).plans.count() == 2
    assert not CampaignCreationRun.objects.exists()


def test_a_broker_down_refuses_at_once_and_records_nothing_running(b_tier, cast, login, settings, monkeypatch):
    from crm.jobs import BrokerUnavailable, broker_down_message

    settings.CAMPAIGN_BACKGROUND_PLANS = 1
    monkeypatch.setitem(app.conf, "task_always_eager", False)

    def down():
        raise BrokerUnavailable(broker_down_message())

    monkeypatch.setattr("campaigns.tasks.broker_check", down)
    _fields, response = _confirm(_english(login(cast["dora"])))
    assert response.status_code == 503
    assert "The job queue (Redis) cannot be reached" in response.content.decode()
    assert not CampaignCreationRun.objects.exists() and not Campaign.objects.exists()


def test_the_run_is_on_the_jobs_board_with_its_progress(b_tier, cast, login, queued):
    _confirm(login(cast["dora"]))
    run = CampaignCreationRun.objects.get()
    creations.progress_set(run, "writing", 1, 2)
    row = creation_board.KIND.row(CampaignCreationRun.objects.select_related("region", "triggered_by").get())
    assert (row.status, row.scope) == (jobboard.RUNNING, f"{NAME} · 成都市")
    assert (row.progress.done, row.progress.total) == (1, 2)
    assert row.progress.percent == 50 and row.progress.text == "正在写入方案：1 / 2"
    assert row.url == f"/campaigns/creations/{run.pk}/"
    # provincial staff see it on the jobs page; staff of another province do not
    page = _english(login(cast["paul"])).get("/jobs/?kind=campaigns")
    assert page.status_code == 200
    assert f'data-job="campaigns-{run.pk}"' in page.content.decode()
    assert "Campaign creation" in page.content.decode()
    page = login(cast["gd_paul"]).get("/jobs/?kind=campaigns").content.decode()
    assert f'data-job="campaigns-{run.pk}"' not in page
    progress = login(cast["paul"]).get(f"/jobs/progress/?runs=campaigns-{run.pk}").json()
    assert progress["runs"][f"campaigns-{run.pk}"]["progress"]["percent"] == 50
    assert login(cast["gd_paul"]).get(f"/jobs/progress/?runs=campaigns-{run.pk}").json()["runs"] == {}


def test_the_progress_moves_through_its_steps(b_tier, cast, login, queued, monkeypatch):
    _confirm(login(cast["dora"]))
    run = CampaignCreationRun.objects.get()
    seen = []
    original = creations.progress_set

    def spy(run, step, done=0, total=0):
        seen.append((step, done, total))
        original(run, step, done, total)

    monkeypatch.setattr(creations, "progress_set", spy)
    creations.creation_execute(run_id=run.pk)
    steps = [step for step, _done, _total in seen]
    assert steps == ["planning", "writing", "writing", "recording", "done"]
    assert seen[-1] == ("done", 2, 2)


def test_the_plans_written_are_reported_as_they_go(b_tier, cast, monkeypatch):
    from campaigns.services import campaigns as campaign_services

    monkeypatch.setattr(campaign_services, "PROGRESS_EVERY", 1)
    heard = []
    data = creations.creation_data(creations.creation_data_dump(_service_data(cast)))
    campaign_services.campaign_create(user=cast["dora"], data=data, progress=lambda *step: heard.append(step))
    assert heard == [("planning", 0), ("writing", 0), ("writing", 1), ("writing", 2), ("writing", 2), ("recording", 2)]


def _service_data(cast) -> dict:
    from campaigns.forms import CampaignForm

    form = CampaignForm(_form(), user=cast["dora"])
    assert form.is_valid(), form.errors
    return form.service_data()


def test_the_run_keeps_the_campaign_as_confirmed(b_tier, cast):
    data = _service_data(cast)
    again = creations.creation_data(creations.creation_data_dump(data))
    assert (again["name"], again["kind"], again["department"]) == (NAME, "product_push", None)
    assert (again["region"], again["target_products"], again["segment"]) == (
        data["region"],
        list(data["target_products"]),
        data["segment"],
    )
    assert (again["starts_on"], again["ends_on"], again["goal_openings"], again["goal_revenue"]) == (
        data["starts_on"],
        data["ends_on"],
        data["goal_openings"],
        data["goal_revenue"],
    )


def test_a_run_whose_worker_died_is_swept(b_tier, cast, login, queued, settings):
    _confirm(login(cast["dora"]))
    run = CampaignCreationRun.objects.get()
    CampaignCreationRun.objects.filter(pk=run.pk).update(
        started_at=timezone.now() - datetime.timedelta(minutes=settings.JOB_SILENCE_MINUTES + 1)
    )
    assert campaign_creations_sweep() == 1
    run.refresh_from_db()
    assert run.status == JobStatus.FAILED and run.finished_at is not None
    assert Notification.objects.filter(recipient=cast["dora"], kind=NotificationKind.JOB_FAILED).exists()
    assert campaign_creations_sweep() == 0


@pytest.mark.parametrize("who", ["gd_paul", "carol", "alice"])
def test_outsiders_do_not_see_the_run(b_tier, cast, login, queued, who):
    _confirm(login(cast["dora"]))
    run = CampaignCreationRun.objects.get()
    assert login(cast[who]).get(f"/campaigns/creations/{run.pk}/").status_code == 404
    assert login(cast[who]).get(f"/campaigns/creations/{run.pk}/?poll=1").status_code == 404


def test_planners_of_the_territory_see_the_run_and_the_anonymous_are_sent_to_log_in(b_tier, cast, login, queued):
    _confirm(login(cast["dora"]))
    run = CampaignCreationRun.objects.get()
    assert login(cast["paul"]).get(f"/campaigns/creations/{run.pk}/").status_code == 200
    assert login(cast["hq"]).get(f"/campaigns/creations/{run.pk}/").status_code == 200
    response = Client().get(f"/campaigns/creations/{run.pk}/?poll=1")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_admin_lists_the_runs_of_the_territory_read_only(b_tier, cast, login, queued):
    _confirm(login(cast["dora"]))
    run = CampaignCreationRun.objects.get()
    for name in ("paul", "gd_paul"):
        cast[name].is_staff = True
        cast[name].save()
    page = login(cast["paul"]).get("/admin/campaigns/campaigncreationrun/")
    assert page.status_code == 200 and NAME in page.content.decode()
    assert login(cast["paul"]).get("/admin/campaigns/campaigncreationrun/add/").status_code == 403
    assert NAME not in login(cast["gd_paul"]).get("/admin/campaigns/campaigncreationrun/").content.decode()
    outside = login(cast["gd_paul"]).get(f"/admin/campaigns/campaigncreationrun/{run.pk}/change/")
    assert outside.status_code == 302 and NAME not in outside.content.decode()  # "not found", back to the list
