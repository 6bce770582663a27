"""Channels (issue 20, point 1): every plan, opportunity, call list and holding carries its channel; two channels,
departments or partners working the same customer and product in overlapping windows are a conflict, flagged for
both sides; a sale withdrawn near another channel's is flagged; a sale is credited to the first or last touch."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from campaigns.models import (
    CallEntry,
    CallList,
    Campaign,
    ChannelPolicy,
    CustomerPlan,
    CustomerProduct,
    HoldingEnd,
    Opportunity,
)
from campaigns.selectors.channels import channel_conflicts, credits_for, withdrawals
from crm.models import Partner
from tests.factories import DepartmentFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)
VPMN, LINE = "VPMN", "DEDICATED_LINE"


def campaign(cast, territory, *, department=None, products=(VPMN,), starts=-5, ends=25, name="V网推广") -> Campaign:
    made = Campaign.objects.create(
        name=name,
        kind="product_push",
        department=department or cast["dora"].department,
        region=territory["chengdu"],
        starts_on=TODAY + starts * DAY,
        ends_on=TODAY + ends * DAY,
    )
    made.target_products.set(products)
    return made


def desk_list(cast, made: Campaign, customer) -> CallList:
    """The 10000 desk's call list over the campaign, calling one of the customer's numbers."""
    call_list = CallList.objects.create(campaign=made, agent=cast["bob"], channel_id="hotline_10000")
    CallEntry.objects.create(call_list=call_list, customer=customer, name="王总", mobile="13800001111")
    return call_list


def opportunity(cast, customer, *, channel="direct", products=(VPMN,), found=-2, closes=20) -> Opportunity:
    made = Opportunity.objects.create(
        customer=customer,
        title="集团V网扩容",
        owner=cast["alice"],
        channel_id=channel,
        expected_close_on=TODAY + closes * DAY,
    )
    Opportunity.objects.filter(pk=made.pk).update(created_at=timezone.now() + found * DAY)
    made.products.set(products)
    return made


def chengdu_partner(territory) -> Partner:
    return Partner.objects.create(
        name="成都数智方案有限公司",
        uscc="91510100MA6123456W",
        kinds=["sales_agent"],
        region=territory["chengdu"],
        contract_starts_on=TODAY - 30 * DAY,
        contract_ends_on=TODAY + 300 * DAY,
    )


def test_the_desk_calling_a_customer_the_manager_is_selling_to_is_a_conflict_seen_by_both_sides(
    api, cast, customers, territory
):
    made = campaign(cast, territory)
    CustomerPlan.objects.create(campaign=made, customer=customers["alice"], objective="V网", owner=cast["alice"])
    calls = desk_list(cast, made, customers["alice"])
    deal = opportunity(cast, customers["alice"])

    for caller in ("alice", "dora", "paul", "hq"):  # the manager, her head, the province, headquarters
        rows = api(cast[caller]).get("/api/v1/channel-conflicts/").json()["results"]
        pairs = {(row["first"]["kind"], row["first"]["id"], row["second"]["kind"], row["second"]["id"]) for row in rows}
        assert pairs == {("call_list", calls.pk, "opportunity", deal.pk)}, (caller, rows)
        [row] = rows
        assert row["customer"] == "CD0001" and row["products"] == [VPMN]
        assert (row["first"]["channel"], row["second"]["channel"]) == ("hotline_10000", "direct")
        assert row["overlap_from"] == str(TODAY) and row["overlap_to"] == str(TODAY + 20 * DAY)  # the list began today
    # The campaign's own plan and its own call list are one effort: no conflict between them.
    # Outsiders see nothing of it; a customer they do not see is 404.
    assert api(cast["carol"]).get("/api/v1/channel-conflicts/").json()["results"] == []
    assert api(cast["gd_paul"]).get("/api/v1/channel-conflicts/?region=510000").json()["results"] == []
    assert api(cast["carol"]).get("/api/v1/channel-conflicts/?customer=CD0001").status_code == 404
    assert api(cast["dora"]).get("/api/v1/channel-conflicts/?customer=CD0001").json()["count"] == 1
    assert api(cast["dora"]).get("/api/v1/channel-conflicts/?region=510107").json()["count"] == 0  # 武侯: not there


def test_anonymous_callers_get_401(client):
    assert client.get("/api/v1/channel-conflicts/").status_code == 401


def test_bad_filters_are_named(api, cast, customers):
    response = api(cast["paul"]).get("/api/v1/channel-conflicts/?region=999999&department=x&page_size=9999")
    assert response.status_code == 400
    assert set(response.json()) == {"region", "department", "page_size"}


def test_two_departments_overlapping_on_a_customer_and_product_conflict_and_only_then(cast, customers, territory):
    other = DepartmentFactory(name="省政企客户部", region=territory["sichuan"])
    ours = campaign(cast, territory, products=(VPMN, LINE))
    theirs = campaign(cast, territory, department=other, products=(LINE,), name="专线推广")
    late = campaign(cast, territory, department=other, products=(VPMN,), starts=40, ends=60, name="明年V网")
    for made in (ours, theirs, late):
        CustomerPlan.objects.create(campaign=made, customer=customers["wuhou"], objective="推广")
    [conflict] = channel_conflicts(customers["wuhou"].__class__.objects.all())
    assert conflict.products == [LINE]  # VPMN: the other department's campaign starts after ours ends
    assert {conflict.first.ref, conflict.second.ref} == {
        CustomerPlan.objects.get(campaign=ours).pk,
        CustomerPlan.objects.get(campaign=theirs).pk,
    }
    assert conflict.party(conflict.first) in {"成都市政企客户部", "省政企客户部"}


def test_a_plan_given_to_a_partner_conflicts_with_the_desk_of_the_same_campaign(cast, customers, territory):
    partner = chengdu_partner(territory)
    made = campaign(cast, territory)
    CustomerPlan.objects.create(
        campaign=made, customer=customers["alice"], objective="V网", partner=partner, channel_id="partner"
    )
    desk_list(cast, made, customers["alice"])
    [conflict] = channel_conflicts(customers["alice"].__class__.objects.all())
    assert {conflict.first.channel, conflict.second.channel} == {"partner", "hotline_10000"}
    assert conflict.party(conflict.first if conflict.first.partner_id else conflict.second) == partner.name


@pytest.mark.parametrize(("days", "flagged"), [(30, True), (5, False)])
def test_a_sale_withdrawn_near_another_channels_sale_is_flagged(cast, customers, territory, days, flagged):
    ChannelPolicy.objects.create(province=territory["sichuan"], withdrawal_days=days)
    customer = customers["alice"]
    HoldingEnd.objects.create(
        customer=customer,
        product_id=VPMN,
        channel_id="hotline_10000",
        subscribed_on=TODAY - 20 * DAY,
        ended_on=TODAY - 12 * DAY,
    )
    CustomerProduct.objects.create(customer=customer, product_id=VPMN, subscribed_on=TODAY - 2 * DAY)  # direct
    found = withdrawals(customer.__class__.objects.all(), region=territory["chengdu"])
    assert bool(found) is flagged
    if flagged:
        [withdrawal] = found
        assert (withdrawal.ended.channel_id, withdrawal.other_channel) == ("hotline_10000", "direct")


@pytest.mark.parametrize(("rule", "credited"), [("first_touch", "hotline_10000"), ("last_touch", "direct")])
def test_an_opening_is_credited_by_the_provinces_rule(cast, customers, territory, rule, credited):
    ChannelPolicy.objects.create(province=territory["sichuan"], attribution=rule)
    made = campaign(cast, territory, starts=-2)  # the plan works the customer from two days ago
    plan = CustomerPlan.objects.create(
        campaign=made, customer=customers["alice"], objective="V网", owner=cast["alice"], stage="opened"
    )
    CallList.objects.filter(pk=desk_list(cast, made, customers["alice"]).pk).update(created_at=timezone.now() - 4 * DAY)
    opportunity(cast, customers["alice"], found=-1)
    CustomerPlan.objects.filter(pk=plan.pk).update(stage_changed_at=timezone.now())
    plan = CustomerPlan.objects.select_related("customer__region").get(pk=plan.pk)
    credit = credits_for([plan])[plan.pk]
    assert credit.rule == rule
    # The desk called four days ago, the plan began two days ago, the opportunity was found yesterday.
    assert credit.work is not None and credit.work.channel == credited


def test_a_holding_names_its_channel_and_a_partners_sale_its_partner(api, cast, customers, territory):
    url = "/api/v1/customers/CD0001/products/VPMN/"
    body = {"active_users": 10, "monthly_revenue": "500.00", "subscribed_on": str(TODAY)}
    response = api(cast["alice"]).put(url, {**body, "channel": "partner"}, format="json")
    assert response.status_code == 400 and "partner" in response.json()
    response = api(cast["alice"]).put(url, {**body, "channel": "no_such"}, format="json")
    assert response.status_code == 400 and "channel" in response.json()
    partner = chengdu_partner(territory)
    response = api(cast["alice"]).put(url, {**body, "channel": "partner", "partner": partner.pk}, format="json")
    assert response.status_code == 400 and "partner" in response.json()  # it may not sell V网 yet
    partner.products.add(VPMN)
    response = api(cast["alice"]).put(url, {**body, "channel": "partner", "partner": partner.pk}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["channel"] == "partner" and response.json()["partner"] == partner.pk
    assert api(cast["alice"]).delete(url).status_code == 204
    ended = HoldingEnd.objects.get()
    assert (ended.channel_id, ended.partner_id, ended.ended_on) == ("partner", partner.pk, TODAY)


def test_an_opportunity_takes_its_channel(api, cast, customers):
    body = {"customer": "CD0001", "title": "专线", "expected_close_on": str(TODAY + 10 * DAY), "products": [LINE]}
    response = api(cast["alice"]).post("/api/v1/opportunities/", {**body, "channel": "hall"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["channel"] == "hall"
    assert Opportunity.objects.get().channel_id == "hall"
    response = api(cast["alice"]).post("/api/v1/opportunities/", {**body, "channel": "fax"}, format="json")
    assert response.status_code == 400 and "channel" in response.json()
    response = api(cast["alice"]).post("/api/v1/opportunities/", body, format="json")
    assert response.json()["channel"] == "direct"


def test_the_conflicts_page_and_the_customer_page_flag_both_sides_in_chinese(login, cast, customers, territory):
    made = campaign(cast, territory)
    CustomerPlan.objects.create(campaign=made, customer=customers["alice"], objective="V网", owner=cast["alice"])
    desk_list(cast, made, customers["alice"])
    opportunity(cast, customers["alice"])
    for who in ("alice", "dora", "paul"):
        html = login(cast[who]).get("/campaigns/conflicts/").content.decode()
        assert "渠道冲突" in html and html.count('data-testid="conflict-row"') == 1, who
        assert "10000号" in html and "直销（客户经理）" in html and "集团V网" in html
        page = login(cast[who]).get("/customers/CD0001/").content.decode()
        assert 'data-testid="customer-channel-conflicts"' in page, who
    html = login(cast["carol"]).get("/campaigns/conflicts/").content.decode()
    assert 'data-testid="conflict-row"' not in html
    assert login(cast["carol"]).get("/campaigns/conflicts/?region=440100").status_code == 404  # not her province
    assert login(cast["dora"]).get("/campaigns/conflicts/?region=510107").content.decode().count("conflict-row") == 0
    page = login(cast["alice"]).get("/customers/CD0002/")  # bob's: not hers
    assert page.status_code == 404


def test_the_campaign_page_shows_who_is_credited_beside_an_opening(login, cast, customers, territory):
    made = campaign(cast, territory, starts=-2)
    CustomerPlan.objects.create(
        campaign=made, customer=customers["alice"], objective="V网", owner=cast["alice"], stage="opened"
    )
    CustomerPlan.objects.create(campaign=made, customer=customers["wuhou"], objective="V网", owner=cast["bob"])
    CallList.objects.filter(pk=desk_list(cast, made, customers["alice"]).pk).update(created_at=timezone.now() - 1 * DAY)
    html = login(cast["dora"]).get(f"/campaigns/{made.pk}/").content.decode()
    assert html.count('data-testid="credited"') == 1  # the opened plan only
    assert "10000号" in html.split('data-testid="credited"')[1][:300]  # last touch: the desk's, after the plan began


def test_the_holding_form_records_a_partners_sale(login, cast, customers, territory):
    partner = chengdu_partner(territory)
    partner.products.add(VPMN)
    url = f"/campaigns/customers/CD0001/products/{VPMN}/"
    client = login(cast["alice"])
    form = client.get(url).content.decode()
    assert "成都数智方案有限公司" in form and "10000号" in form  # the partners that may sell it, the channels
    body = {"active_users": "5", "monthly_revenue": "100.00", "subscribed_on": str(TODAY), "channel": "partner"}
    response = client.post(url, body)
    assert response.status_code == 200 and "合作伙伴" in response.content.decode()  # no partner named: refused
    assert not CustomerProduct.objects.exists()
    response = client.post(url, {**body, "partner": partner.pk})
    assert response.status_code == 302
    holding = CustomerProduct.objects.get()
    assert (holding.channel_id, holding.partner_id) == ("partner", partner.pk)


def test_an_activity_records_its_channel(login, cast, territory):
    from campaigns.models import Activity

    body = {"department": cast["dora"].department_id, "held_on": str(TODAY), "place": "天府软件园", "attendance": "30"}
    body.update({"new_subscriptions": "0", "revenue": "0"})
    client = login(cast["dora"])
    assert client.post("/campaigns/activities/new/", {**body, "channel": "hall"}).status_code == 302
    assert client.post("/campaigns/activities/new/", body).status_code == 302
    assert sorted(Activity.objects.values_list("channel_id", flat=True)) == ["direct", "hall"]


def test_two_opportunities_of_different_channels_conflict_on_the_customer_page_without_a_campaign(
    login, client, cast, customers, territory, django_assert_max_num_queries
):
    """No campaign works the customer: the hall's opportunity and the manager's on the same product still conflict,
    on the report and on the customer page of every side; outsiders get 404, anonymous callers the sign-in."""
    opportunity(cast, customers["alice"], channel="direct")
    opportunity(cast, customers["alice"], channel="hall", found=-1, closes=10)
    opportunity(cast, customers["alice"], channel="electronic", products=(LINE,))  # another product: no conflict
    report = login(cast["dora"]).get("/campaigns/conflicts/").content.decode()
    assert report.count('data-testid="conflict-row"') == 1
    for who in ("alice", "dora", "paul", "hq"):
        page = login(cast[who]).get("/customers/CD0001/").content.decode()
        assert 'data-testid="customer-channel-conflicts"' in page and "营业厅" in page, who
    assert login(cast["carol"]).get("/customers/CD0001/").status_code == 404
    assert client.get("/customers/CD0001/").status_code == 302
    # the conflict costs the page its own few queries only: the page stays within its budget
    reader = login(cast["alice"])
    reader.get("/customers/CD0001/")
    with django_assert_max_num_queries(15):
        reader.get("/customers/CD0001/")


def test_opportunities_of_one_channel_and_party_cost_the_customer_page_no_conflict_query(
    login, cast, customers, territory, django_assert_max_num_queries
):
    opportunity(cast, customers["alice"])
    opportunity(cast, customers["alice"], found=-1)
    page = login(cast["alice"]).get("/customers/CD0001/")
    assert page.context["channel_conflicts"] == [] and len(page.context["open_opportunities"]) == 2


def test_a_lost_opportunity_does_not_conflict(login, cast, customers, territory):
    opportunity(cast, customers["alice"], channel="direct")
    lost = opportunity(cast, customers["alice"], channel="hall")
    Opportunity.objects.filter(pk=lost.pk).update(stage="lost", lost_reason="客户放弃")
    page = login(cast["alice"]).get("/customers/CD0001/")
    assert page.context["channel_conflicts"] == [] and [item.pk for item in page.context["open_opportunities"]] != [
        lost.pk
    ]
