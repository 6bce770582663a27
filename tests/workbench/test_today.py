"""The workbench (今日工作台): the account manager's day in the right order, the department head's team, and who
may see what."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from accounts.models import Customer
from campaigns.models import CallEntry, Campaign, CustomerPlan, Opportunity
from crm.periods import Period
from kpis.services import kpi_compute
from teams.models import Visit
from tests.factories import (
    CustomerFactory,
    KeyPersonFactory,
    NotificationFactory,
    OpportunityFactory,
    TeamRoleFactory,
)

TODAY = "/today/"


def _visit(customer, user, on: datetime.date, next_visit_on: datetime.date | None = None, role="customer_manager"):
    at = timezone.make_aware(datetime.datetime.combine(on, datetime.time(10)))
    return Visit.objects.create(
        customer=customer,
        visitor=user,
        visitor_role=role,
        visited_at=at,
        kind="onsite",
        summary="拜访",
        next_visit_on=next_visit_on,
    )


def _customer(code: str, tier: str, user, territory, name: str | None = None) -> Customer:
    customer = CustomerFactory(code=code, name=name or f"客户{code}", region=territory["jinjiang"])
    Customer.objects.filter(pk=customer.pk).update(tier=tier)
    TeamRoleFactory(customer=customer, user=user)
    customer.refresh_from_db()
    return customer


@pytest.mark.django_db
def test_home_is_the_workbench_for_account_managers_and_heads_and_the_customers_for_the_others(login, cast):
    assert login(cast["alice"]).get("/")["Location"] == TODAY
    assert login(cast["dora"]).get("/")["Location"] == TODAY
    assert login(cast["paul"]).get("/")["Location"] == "/customers/"
    assert login(cast["hq"]).get("/")["Location"] == "/customers/"


@pytest.mark.django_db
def test_anonymous_is_sent_to_the_login_page(client):
    response = client.get(TODAY)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.django_db
def test_due_visits_come_by_urgency_then_tier_then_the_oldest_last_visit(login, cast, territory):
    alice = cast["alice"]
    today = timezone.localdate()
    seen_long_ago = _customer("WB0001", "B", alice, territory, "三月见过")
    never_seen = _customer("WB0002", "B", alice, territory, "从未见过")
    higher_tier = _customer("WB0003", "A", alice, territory, "A级客户")
    lower_tier = _customer("WB0004", "C", alice, territory, "C级客户")
    # A visit last year's March: it counts for no period of this year, and only tells when the customer was last seen.
    _visit(seen_long_ago, alice, today.replace(year=today.year - 1, month=3, day=2))
    response = login(alice).get(TODAY)
    assert response.status_code == 200
    order = [item.customer.code for item in response.context["day"].due]
    ranked = [code for code in order if code.startswith("WB")]
    # A needs its visits soonest; then the two B (same days left) by last visit, never seen first; C last.
    assert ranked.index(higher_tier.code) < ranked.index(never_seen.code) < ranked.index(seen_long_ago.code)
    assert ranked[-1] == lower_tier.code
    html = response.content.decode()
    assert html.index("从未见过") < html.index("三月见过")
    assert f"/customers/{never_seen.code}/visits/new/" in html  # one tap to log the visit


@pytest.mark.django_db
def test_planned_visits_follow_the_last_visits_next_date_with_the_overdue_ones_first(login, cast, territory):
    alice = cast["alice"]
    today = timezone.localdate()
    late = _customer("PV0001", "C", alice, territory)
    soon = _customer("PV0002", "C", alice, territory)
    revisited = _customer("PV0003", "C", alice, territory)
    far = _customer("PV0004", "C", alice, territory)
    _visit(late, alice, today - datetime.timedelta(days=20), next_visit_on=today - datetime.timedelta(days=2))
    _visit(soon, alice, today - datetime.timedelta(days=1), next_visit_on=today + datetime.timedelta(days=3))
    # Visited again after planning: the plan is done, nothing is planned any more.
    _visit(revisited, alice, today - datetime.timedelta(days=9), next_visit_on=today - datetime.timedelta(days=1))
    _visit(revisited, alice, today - datetime.timedelta(hours=30))
    _visit(far, alice, today - datetime.timedelta(days=1), next_visit_on=today + datetime.timedelta(days=30))
    response = login(alice).get(TODAY)
    day = response.context["day"]
    assert [(item.customer.code, item.days_late) for item in day.planned] == [("PV0001", 2), ("PV0002", 0)]
    assert [item.customer.code for item in day.overdue_planned] == ["PV0001"]
    week = {slot.day: [visit.customer.code for visit in slot.visits] for slot in day.week}
    assert len(week) == 7 and week[today + datetime.timedelta(days=3)] == ["PV0002"]
    assert response.content.decode().count('data-testid="count-overdue-planned">1<') == 1


@pytest.mark.django_db
def test_idle_plans_are_mine_in_a_running_campaign_not_moved_for_the_idle_days(login, cast, customers, settings):
    settings.PLAN_IDLE_DAYS = 14
    today = timezone.localdate()
    campaign = Campaign.objects.create(
        name="企业宽带季度营销",
        kind="product_push",
        department=cast["alice"].department,
        region=customers["alice"].region.parent,
        starts_on=today - datetime.timedelta(days=40),
        ends_on=today + datetime.timedelta(days=40),
    )
    idle = CustomerPlan.objects.create(
        campaign=campaign, customer=customers["alice"], objective="开通", owner=cast["alice"]
    )
    on_my_team = CustomerFactory(code="CD0078", region=customers["alice"].region)
    TeamRoleFactory(customer=on_my_team, user=cast["alice"])
    moving = CustomerPlan.objects.create(
        campaign=campaign,
        customer=on_my_team,
        objective="开通",
        owner=cast["alice"],
    )
    others = CustomerPlan.objects.create(
        campaign=campaign, customer=CustomerFactory(code="CD0077", region=customers["alice"].region), objective="开通"
    )
    CustomerPlan.objects.filter(pk__in=[idle.pk, others.pk]).update(
        stage_changed_at=timezone.now() - datetime.timedelta(days=20)
    )
    CustomerPlan.objects.filter(pk=moving.pk).update(stage_changed_at=timezone.now() - datetime.timedelta(days=2))
    day = login(cast["alice"]).get(TODAY).context["day"]
    assert [plan.pk for plan in day.idle_plans] == [idle.pk] and day.idle_plan_count == 1
    settings.PLAN_IDLE_DAYS = 1
    day = login(cast["alice"]).get(TODAY).context["day"]
    assert {plan.pk for plan in day.idle_plans} == {idle.pk, moving.pk}


@pytest.mark.django_db
def test_a_head_sees_the_team_furthest_behind_first_and_a_manager_does_not(login, cast, territory, customers):
    today = timezone.localdate()
    for code in ("TB0001", "TB0002"):
        _customer(code, "B", cast["bob"], territory)
    met = _customer("TA0001", "B", cast["alice"], territory)
    Customer.objects.filter(pk=customers["alice"].pk).update(tier="B")
    _visit(met, cast["alice"], today)
    kpi_compute(period=Period(today.replace(day=1)), as_of=today)
    response = login(cast["dora"]).get(TODAY)
    rows = response.context["team"]
    assert [row.manager.username for row in rows] == ["bob", "alice"]
    bob, alice = rows
    assert (bob.visit_base, bob.visit_met, bob.behind) == (2, 0, 2)
    assert (alice.visit_base, alice.visit_met) == (2, 1) and alice.compliance == 50
    assert 'data-testid="workbench-team"' in response.content.decode()
    assert "team" not in login(cast["alice"]).get(TODAY).context


@pytest.mark.django_db
def test_the_workbench_shows_only_the_users_own_customers(login, cast, territory, customers):
    _customer("OWN001", "B", cast["alice"], territory, "爱丽丝的客户")
    _customer("BOB001", "B", cast["bob"], territory, "鲍勃的客户")
    html = login(cast["alice"]).get(TODAY).content.decode()
    assert "爱丽丝的客户" in html and "鲍勃的客户" not in html


@pytest.mark.django_db
def test_the_workbench_reads_a_fixed_number_of_queries_whatever_the_portfolio(
    login, cast, territory, django_assert_max_num_queries
):
    alice = cast["alice"]
    today = timezone.localdate()
    for number in range(30):
        customer = _customer(f"QC{number:04d}", "B", alice, territory)
        _visit(customer, alice, today - datetime.timedelta(days=40), next_visit_on=today + datetime.timedelta(days=2))
    client = login(alice)
    client.get(TODAY)
    with django_assert_max_num_queries(15):
        response = client.get(TODAY)
    assert len(response.context["day"].planned) == 30


@pytest.mark.django_db
def test_call_backs_due_are_those_of_my_open_lists_agreed_for_today_or_before(login, cast, customers, territory):
    from campaigns import services as campaign_services

    today = timezone.localdate()
    KeyPersonFactory(customer=customers["alice"], name="回访甲", mobile="13900000001")
    KeyPersonFactory(customer=customers["alice"], name="回访乙", mobile="13900000002")
    campaign = Campaign.objects.create(
        name="政企专线外呼",
        kind="outbound_call",
        department=cast["alice"].department,
        region=territory["chengdu"],
        starts_on=today - datetime.timedelta(days=5),
        ends_on=today + datetime.timedelta(days=30),
    )
    CustomerPlan.objects.create(campaign=campaign, customer=customers["alice"], objective="回访", owner=cast["alice"])
    call_list = campaign_services.call_list_build(user=cast["alice"], campaign=campaign, source="key_persons")
    entries = {entry.name: entry for entry in call_list.entries.all()}
    for name in ("回访甲", "回访乙"):
        campaign_services.call_outcome_record(
            user=cast["alice"],
            entry=entries[name],
            outcome="call_back",
            call_back_at=timezone.now() + datetime.timedelta(minutes=5),
        )
    CallEntry.objects.filter(pk=entries["回访甲"].pk).update(call_back_on=today)
    CallEntry.objects.filter(pk=entries["回访乙"].pk).update(call_back_on=today + datetime.timedelta(days=2))
    day = login(cast["alice"]).get(TODAY).context["day"]
    assert [entry.name for entry in day.call_backs] == ["回访甲"] and day.call_back_count == 1
    # bob is not the agent of alice's list: nothing for him
    assert login(cast["bob"]).get(TODAY).context["day"].call_back_count == 0
    campaign_services.call_list_close(user=cast["alice"], call_list=call_list)
    assert login(cast["alice"]).get(TODAY).context["day"].call_back_count == 0


@pytest.mark.django_db
def test_idle_opportunities_are_my_open_ones_whose_stage_has_not_moved(login, cast, customers, settings):
    settings.PLAN_IDLE_DAYS = 14
    idle = OpportunityFactory(customer=customers["alice"], owner=cast["alice"], title="专线扩容")
    OpportunityFactory(customer=customers["alice"], owner=cast["alice"], title="刚推进")
    won = OpportunityFactory(customer=customers["alice"], owner=cast["alice"], title="已签约", stage="won")
    long_ago = timezone.now() - datetime.timedelta(days=30)
    Opportunity.objects.filter(pk__in=[idle.pk, won.pk]).update(stage_changed_at=long_ago)
    response = login(cast["alice"]).get(TODAY)
    day = response.context["day"]
    assert [opportunity.title for opportunity in day.idle_opportunities] == ["专线扩容"]
    assert f"/campaigns/opportunities/{idle.pk}/" in response.content.decode()
    # the head's team row counts it
    rows = {row.manager.username: row for row in login(cast["dora"]).get(TODAY).context["team"]}
    assert rows["alice"].idle_opportunities == 1 and rows["bob"].idle_opportunities == 0


@pytest.mark.django_db
def test_the_newest_unread_notifications_are_on_the_workbench(login, cast):
    for number in range(7):
        NotificationFactory(recipient=cast["alice"], title=f"提醒{number}")
    NotificationFactory(recipient=cast["alice"], title="已读的", read_at=timezone.now())
    NotificationFactory(recipient=cast["bob"], title="鲍勃的")
    response = login(cast["alice"]).get(TODAY)
    shown = [notification.title for notification in response.context["day"].notifications]
    assert len(shown) == 5 and "已读的" not in shown and "鲍勃的" not in shown
    assert "7 条未读" in response.content.decode() or "7 unread" in response.content.decode()


@pytest.mark.django_db
def test_a_heads_team_shows_the_furthest_behind_and_links_to_the_whole_department(login, cast, settings, monkeypatch):
    from tests.factories import UserFactory
    from workbench import selectors

    monkeypatch.setattr(selectors, "TEAM_SHOWN", 2)
    UserFactory(username="zed", department=cast["alice"].department, region=cast["alice"].region)
    response = login(cast["dora"]).get(TODAY)
    assert len(response.context["team"]) == 2 and response.context["team_count"] == 3
    assert 'data-testid="team-all"' in response.content.decode()


@pytest.mark.django_db
def test_a_heads_team_is_ranked_in_the_database_whatever_its_size(cast, customers, django_assert_num_queries):
    """Issue 19: 成都's department has 6 562 managers at a million customers; the rows shown are all that is read."""
    from tests.factories import UserFactory
    from workbench import selectors

    today = timezone.localdate()
    kpi_compute(period=Period(today.replace(day=1)), as_of=today)
    selectors.team_rows(cast["dora"], today)  # warm up
    with django_assert_num_queries(3):  # the latest period, the ranked rows, the department's count
        small = selectors.team_rows(cast["dora"], today)
    for n in range(30):
        UserFactory(username=f"m{n:02}", department=cast["alice"].department, region=cast["alice"].region)
    with django_assert_num_queries(3):
        large = selectors.team_rows(cast["dora"], today)
    assert large.count == small.count + 30 and len(large.rows) == selectors.TEAM_SHOWN
    assert large.as_of == small.as_of == today
