"""Opportunities (商机, issue 17): the API contract and its filters, visibility, bad input, stage history, the
weighted forecast, the pages, the customer's timeline and the visit form's seam; and the date of a call back."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone, translation

from accounts import hooks as customer_hooks
from accounts.models import Customer
from campaigns import selectors, services
from campaigns.models import Opportunity, OpportunityStageChange
from campaigns.rules import ForecastMonth, weighted_forecast, weighted_revenue
from crm.models import AuditEntry, User
from teams.models import Visit
from tests.factories import OpportunityFactory, TeamRoleFactory, UserFactory

URL = "/api/v1/opportunities/"
FIELDS = {
    "id",
    "customer",
    "title",
    "products",
    "expected_monthly_revenue",
    "expected_one_off_revenue",
    "stage",
    "probability",
    "expected_close_on",
    "competitor",
    "source",
    "channel",
    "owner",
    "lost_reason",
}


def _later(days: int = 30) -> str:
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


def _body(**fields) -> dict:
    return {"customer": "CD0001", "title": "云视讯会议室改造", "expected_close_on": _later(), **fields}


@pytest.fixture
def opportunities(customers, cast):
    """alice's opportunity at her customer (成都, 锦江), bob's at his (成都, 武侯), carol's in 绵阳."""
    return {
        "alice": OpportunityFactory(customer=customers["alice"], owner=cast["alice"], title="专线扩容"),
        "bob": OpportunityFactory(customer=customers["wuhou"], owner=cast["bob"], title="集团V网"),
        "carol": OpportunityFactory(customer=customers["mianyang"], owner=cast["carol"], title="云桌面"),
    }


# -- the contract ---------------------------------------------------------------------------------------------------


def test_an_account_manager_records_an_opportunity_with_the_stage_defaults(customers, cast, api):
    response = api(cast["alice"]).post(
        URL,
        _body(products=["VPMN"], expected_monthly_revenue="1200.50", competitor="ctcc", source="inbound"),
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == FIELDS
    assert body == {
        "id": body["id"],
        "customer": "CD0001",
        "title": "云视讯会议室改造",
        "products": ["VPMN"],
        "expected_monthly_revenue": "1200.50",
        "expected_one_off_revenue": "0.00",
        "stage": "found",
        "probability": 10,
        "expected_close_on": _later(),
        "competitor": "ctcc",
        "source": "inbound",
        "channel": "direct",
        "owner": "alice",  # the recorder, on the team
        "lost_reason": "",
    }
    created = AuditEntry.objects.get(object_type="campaigns.opportunity", action="create")
    assert (created.customer_code, created.changes["owner"]) == ("CD0001", [None, "alice"])


def test_a_department_head_records_one_for_the_customer_manager(customers, cast, api):
    body = api(cast["dora"]).post(URL, _body(stage="proposal"), format="json").json()
    assert (body["owner"], body["probability"]) == ("alice", 30)
    opportunity = Opportunity.objects.get(pk=body["id"])
    assert list(opportunity.changes.values_list("from_stage", "to_stage", "changed_by__username")) == [
        ("found", "proposal", "dora")
    ]


def test_the_list_filters_by_customer_owner_stage_and_closing_month(opportunities, customers, cast, api):
    client = api(cast["dora"])
    Opportunity.objects.filter(pk=opportunities["bob"].pk).update(stage="proposal")
    Opportunity.objects.filter(pk=opportunities["alice"].pk).update(expected_close_on=datetime.date(2031, 5, 31))

    def titles(**query) -> list[str]:
        response = client.get(URL, query)
        assert response.status_code == 200, response.content
        return sorted(item["title"] for item in response.json()["results"])

    assert titles() == ["专线扩容", "集团V网"]  # carol's is in 绵阳
    assert titles(customer="CD0002") == ["集团V网"]
    assert titles(owner="alice") == ["专线扩容"]
    assert titles(stage="proposal") == ["集团V网"]
    assert titles(closing="2031-05") == ["专线扩容"]
    assert titles(closing="2031-06") == []


@pytest.mark.parametrize("month", ["2031-13", "2031-5", "May", "0000-01"])
def test_a_bad_closing_month_is_a_400_naming_the_field(opportunities, cast, api, month):
    response = api(cast["dora"]).get(URL, {"closing": month})
    assert response.status_code == 400
    assert list(response.json()) == ["closing"]


@pytest.mark.parametrize(
    ("who", "status"),
    [("alice", 200), ("bob", 404), ("carol", 404), ("dora", 200), ("paul", 200), ("gd_paul", 404), ("hq", 200)],
)
def test_who_sees_an_opportunity(opportunities, cast, api, who, status):
    """The owner, the department head and provincial staff see it; a colleague of the same department who is not on
    the customer's team, a manager of another city and another province's staff do not: 404."""
    url = f"{URL}{opportunities['alice'].pk}/"
    assert api(cast[who]).get(url).status_code == status
    listed = [item["id"] for item in api(cast[who]).get(URL).json()["results"]]
    assert (opportunities["alice"].pk in listed) == (status == 200)


def test_the_anonymous_are_refused(opportunities):
    from rest_framework.test import APIClient

    assert APIClient().get(URL).status_code == 401
    assert APIClient().get(f"{URL}{opportunities['alice'].pk}/").status_code == 401
    assert APIClient().post(URL, _body(), format="json").status_code == 401


def test_an_outsider_cannot_record_one_at_a_customer_they_do_not_see(customers, cast, api):
    response = api(cast["carol"]).post(URL, _body(), format="json")
    assert response.status_code == 400
    assert "customer" in response.json()
    assert not Opportunity.objects.exists()


def test_the_idempotency_key_gives_the_first_answer_again(customers, cast, api):
    client = api(cast["alice"])
    first = client.post(URL, _body(), format="json", HTTP_IDEMPOTENCY_KEY="opp-1")
    again = client.post(URL, _body(), format="json", HTTP_IDEMPOTENCY_KEY="opp-1")
    assert (first.status_code, again.status_code, again["Idempotent-Replayed"]) == (201, 201, "true")
    assert first.json() == again.json()
    assert Opportunity.objects.count() == 1


# -- bad input ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"owner": "bob"}, "owner", "holds no role on the team"),
        ({"expected_close_on": "2020-01-31"}, "expected_close_on", "is in the past"),
        ({"stage": "lost"}, "lost_reason", "Say why the opportunity was lost."),
        ({"probability": 101}, "probability", "a percentage from 0 to 100"),
        ({"probability": -1}, "probability", "a percentage from 0 to 100"),
        ({"expected_monthly_revenue": "-1.00"}, "expected_monthly_revenue", "monthly revenue cannot be negative"),
        ({"expected_one_off_revenue": "-0.01"}, "expected_one_off_revenue", "one-off revenue cannot be negative"),
        ({"products": ["NOPE"]}, "products", "No product has the code NOPE."),
        ({"competitor": "att"}, "competitor", ""),
    ],
)
def test_bad_input_is_refused_naming_the_field(customers, cast, api, fields, field, words):
    client = api(cast["alice"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(URL, _body(**fields), format="json")
    assert response.status_code == 400, response.content
    errors = response.json()
    assert list(errors) == [field]
    assert words in " ".join(errors[field])
    assert not Opportunity.objects.exists()


def test_the_messages_are_in_chinese_by_default(customers, cast, api):
    response = api(cast["alice"]).post(URL, _body(owner="bob"), format="json")
    assert "团队" in response.json()["owner"][0]
    response = api(cast["alice"]).post(URL, _body(expected_close_on="2020-01-31"), format="json")
    assert "已过" in response.json()["expected_close_on"][0]


def test_an_overdue_opportunity_can_still_be_moved_on_or_lost(opportunities, cast, api):
    opportunity = opportunities["alice"]
    Opportunity.objects.filter(pk=opportunity.pk).update(expected_close_on=datetime.date(2020, 1, 31))
    client = api(cast["alice"])
    url = f"{URL}{opportunity.pk}/"
    assert client.patch(url, {"stage": "proposal"}, format="json").status_code == 200
    refused = client.patch(url, {"expected_close_on": "2020-02-29"}, format="json")
    assert list(refused.json()) == ["expected_close_on"]
    lost = client.patch(url, {"stage": "lost", "lost_reason": "客户选择了友商"}, format="json").json()
    assert (lost["stage"], lost["probability"], lost["lost_reason"]) == ("lost", 0, "客户选择了友商")
    reopened = client.patch(url, {"stage": "found"}, format="json")
    assert list(reopened.json()) == ["expected_close_on"]  # reopening asks for a date ahead


# -- changes, history, versions -------------------------------------------------------------------------------------


def test_stage_moves_are_kept_with_who_and_when(opportunities, cast, api):
    opportunity = opportunities["alice"]
    client = api(cast["alice"])
    url = f"{URL}{opportunity.pk}/"
    moved = client.patch(url, {"stage": "negotiation"}, format="json").json()
    assert (moved["stage"], moved["probability"]) == ("negotiation", 60)
    kept = client.patch(url, {"stage": "won", "probability": 80}, format="json").json()
    assert (kept["stage"], kept["probability"]) == ("won", 80)
    client.patch(url, {"title": "专线扩容二期"}, format="json")  # no move: no history
    changes = list(
        OpportunityStageChange.objects.filter(opportunity=opportunity).values_list(
            "from_stage", "to_stage", "changed_by__username"
        )
    )
    assert changes == [("found", "negotiation", "alice"), ("negotiation", "won", "alice")]
    opportunity.refresh_from_db()
    assert timezone.now() - opportunity.stage_changed_at < datetime.timedelta(minutes=1)
    updates = AuditEntry.objects.filter(object_type="campaigns.opportunity", action="update").order_by("id")
    assert [entry.changes.get("stage") for entry in updates] == [["found", "negotiation"], ["negotiation", "won"], None]


def test_a_change_on_a_stale_version_is_refused(opportunities, cast, api):
    opportunity = opportunities["alice"]
    url = f"{URL}{opportunity.pk}/"
    alice, dora = api(cast["alice"]), api(cast["dora"])
    etag = alice.get(url)["ETag"]
    assert dora.patch(url, {"title": "改了"}, format="json", HTTP_IF_MATCH=etag).status_code == 200
    stale = alice.patch(url, {"title": "也改了"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert stale.json()["changed_by"] == "dora"


def test_who_may_change_an_opportunity(opportunities, customers, cast):
    opportunity = opportunities["alice"]
    TeamRoleFactory(customer=customers["alice"], user=cast["bob"], role="service_manager")
    services.opportunity_update(user=cast["bob"], opportunity=opportunity, data={"title": "团队成员改"})
    services.opportunity_update(user=cast["dora"], opportunity=opportunity, data={"title": "部门经理改"})
    with pytest.raises(PermissionDenied):
        services.opportunity_update(user=cast["carol"], opportunity=opportunity, data={"title": "外人改"})


def test_an_opportunity_stays_with_its_customer(opportunities, customers, cast, api):
    response = api(cast["dora"]).patch(f"{URL}{opportunities['alice'].pk}/", {"customer": "CD0002"}, format="json")
    assert (response.status_code, list(response.json())) == (400, ["customer"])


# -- the forecast and the board -------------------------------------------------------------------------------------


def test_the_weighted_forecast_sums_revenue_times_probability_by_month():
    may, june = datetime.date(2031, 5, 1), datetime.date(2031, 6, 1)
    rows = [
        (may, 10, 2, Decimal("1000.00")),
        (may, 60, 1, Decimal("333.33")),
        (june, 100, 1, Decimal("50.00")),
    ]
    assert weighted_forecast(rows) == [
        ForecastMonth(may, 3, Decimal("1333.33"), Decimal("300.00")),  # 1000 × 10 % + 333.33 × 60 % = 299.998
        ForecastMonth(june, 1, Decimal("50.00"), Decimal("50.00")),
    ]
    assert weighted_revenue(Decimal("333.33"), 60) == Decimal("200.00")


def test_the_forecast_of_opportunities_reads_the_database(customers, cast):
    today = datetime.date(2031, 5, 10)
    make = OpportunityFactory
    make(customer=customers["alice"], owner=cast["alice"], expected_close_on=datetime.date(2031, 5, 31),
         expected_monthly_revenue=Decimal("1000"), probability=10)  # fmt: skip
    make(customer=customers["alice"], owner=cast["alice"], expected_close_on=datetime.date(2031, 5, 2),
         expected_monthly_revenue=Decimal("500"), probability=60)  # fmt: skip
    make(customer=customers["alice"], owner=cast["alice"], expected_close_on=datetime.date(2031, 7, 1),
         expected_monthly_revenue=Decimal("200"), probability=90, stage="won")  # fmt: skip
    make(customer=customers["alice"], owner=cast["alice"], expected_close_on=datetime.date(2031, 7, 1),
         expected_monthly_revenue=Decimal("9999"), probability=0, stage="lost", lost_reason="价格")  # fmt: skip
    make(customer=customers["alice"], owner=cast["alice"], expected_close_on=datetime.date(2031, 4, 30),
         expected_monthly_revenue=Decimal("7777"), probability=50)  # fmt: skip  # before this month
    forecast = selectors.opportunity_forecast(selectors.opportunities_for(cast["alice"]), today=today)
    assert [(row.month, row.count, row.monthly_revenue, row.weighted_revenue) for row in forecast] == [
        (datetime.date(2031, 5, 1), 2, Decimal("1500.00"), Decimal("400.00")),
        (datetime.date(2031, 7, 1), 1, Decimal("200.00"), Decimal("180.00")),
    ]


def test_the_board_counts_every_stage_and_shows_the_soonest_cards(customers, cast):
    for day in range(1, 5):
        OpportunityFactory(
            customer=customers["alice"], owner=cast["alice"], expected_close_on=datetime.date(2031, 5, day)
        )
    OpportunityFactory(customer=customers["alice"], owner=cast["alice"], stage="lost", lost_reason="预算")
    board = selectors.opportunity_board(selectors.opportunities_for(cast["alice"]), cards=3)
    found = board.columns[0]
    assert (found.stage, found.count, found.more, found.monthly_revenue) == ("found", 4, 1, Decimal("4000.00"))
    assert [card.expected_close_on.day for card in found.cards] == [1, 2, 3]
    assert [column.stage for column in board.columns] == ["found", "proposal", "negotiation", "won", "opened"]
    assert (board.lost.count, board.count) == (1, 5)


def _everyone(cast, territory) -> dict:
    """The cast, a superuser, a department head without a department and the anonymous."""
    return {
        **cast,
        "root": UserFactory(username="root", is_superuser=True, region=territory["jinjiang"]),
        "headless": UserFactory(username="headless", role="department_head", region=territory["chengdu"]),
        "anonymous": AnonymousUser(),
    }


def test_the_opportunities_a_user_sees_are_those_of_the_customers_they_see(opportunities, customers, cast, territory):
    """`opportunities_for` asks the visibility rule its own way for a territory (each opportunity's customer's
    region): it gives exactly the opportunities of `Customer.objects.visible_to`, for every kind of reader."""
    OpportunityFactory(customer=customers["guangzhou"], owner=cast["gd_paul"], title="广州专线")
    # dora holds a role on a team outside her department: heads see their territory, not their teams.
    TeamRoleFactory(customer=customers["mianyang"], user=cast["dora"], role="service_manager")
    for name, user in _everyone(cast, territory).items():
        expected = Opportunity.objects.filter(customer__in=Customer.objects.visible_to(user))
        assert sorted(o.title for o in selectors.opportunities_for(user)) == sorted(o.title for o in expected), name
    titles = {name: sorted(o.title for o in selectors.opportunities_for(user)) for name, user in cast.items()}
    assert titles["dora"] == ["专线扩容", "集团V网"]  # her department's, the grid below a county included
    assert titles["carol"] == ["云桌面"] and titles["gd_paul"] == ["广州专线"]
    assert titles["alice"] == ["专线扩容"] and titles["bob"] == ["集团V网"]
    assert titles["paul"] == ["专线扩容", "云桌面", "集团V网"]
    assert len(titles["hq"]) == 4


def test_an_opportunity_follows_its_customer_to_another_region(opportunities, customers, cast, territory):
    Customer.objects.filter(pk=customers["wuhou"].pk).update(region=territory["fucheng"])
    assert [o.title for o in selectors.opportunities_for(cast["dora"])] == ["专线扩容"]
    assert sorted(o.title for o in selectors.opportunities_for(cast["carol"])) == ["云桌面"]  # not on that team


def test_the_board_and_forecast_agree_with_counting_every_opportunity(customers, cast):
    """Against a reckoning over every opportunity in Python: the counts and sums of each stage, its first cards
    (the soonest to close, the newest first on the same day), and the forecast by month."""
    today = timezone.localdate()
    stages = ["found", "found", "proposal", "negotiation", "won", "opened", "lost"]
    for index in range(40):
        stage = stages[index % len(stages)]
        OpportunityFactory(
            customer=customers["alice" if index % 3 else "wuhou"],
            owner=cast["alice" if index % 3 else "bob"],
            stage=stage,
            lost_reason="预算" if stage == "lost" else "",
            probability=(10, 30, 60, 90)[index % 4],
            expected_monthly_revenue=Decimal(index * 37) + Decimal("0.25"),
            # five days, 100 days apart (the last beyond the forecast): a column's first cards tie on the day
            expected_close_on=today + datetime.timedelta(days=index % 5 * 100),
        )
    OpportunityFactory(customer=customers["mianyang"], owner=cast["carol"])  # not dora's
    mine = selectors.opportunities_for(cast["dora"])
    totals = selectors.opportunity_totals(mine)
    board = selectors.opportunity_board(mine, cards=3, totals=totals)
    everything = sorted(
        Opportunity.objects.exclude(customer=customers["mianyang"]), key=lambda o: (o.expected_close_on, -o.pk)
    )
    for column in [*board.columns, board.lost]:
        in_stage = [o for o in everything if o.stage == column.stage]
        assert column.count == len(in_stage), column.stage
        assert column.monthly_revenue == sum((o.expected_monthly_revenue for o in in_stage), Decimal("0"))
        assert [card.pk for card in column.cards] == [o.pk for o in in_stage[:3]], column.stage
    assert len({card.expected_close_on for card in board.columns[0].cards}) == 1  # three found on one day
    assert board.count == 40
    end = datetime.date(today.year + 1, today.month, 1)  # twelve months from this one
    expected = weighted_forecast(
        [
            (o.expected_close_on, o.probability, 1, o.expected_monthly_revenue)
            for o in everything
            if o.stage != "lost" and o.expected_close_on < end
        ]
    )
    assert expected and sum(month.count for month in expected) < 40  # some lost, some too far ahead
    assert selectors.opportunity_forecast(mine, today=today, totals=totals) == expected
    assert selectors.opportunity_forecast(mine, today=today) == expected  # reading the totals itself


def test_an_empty_board_asks_for_no_cards(cast, django_assert_num_queries):
    with django_assert_num_queries(2):  # the territory's regions, the totals
        board = selectors.opportunity_board(selectors.opportunities_for(cast["dora"]))
    assert board.count == 0 and all(not column.cards for column in board.columns)


def test_the_list_endpoint_runs_a_fixed_number_of_queries(customers, cast, api, django_assert_num_queries):
    for _ in range(12):
        OpportunityFactory.create(customer=customers["alice"], owner=cast["alice"]).products.set(
            ["VPMN", "CLOUD_VIDEO"]
        )
    client = api(cast["alice"])
    # the token and its user, the count, the page, its products: as many for 12 as for 1
    with django_assert_num_queries(4):
        response = client.get(URL)
    assert response.json()["count"] == 12


def test_the_board_page_runs_a_fixed_number_of_queries(customers, cast, login, django_assert_max_num_queries):
    for _ in range(12):
        OpportunityFactory(customer=customers["alice"], owner=cast["alice"])
    client = login(cast["dora"])
    client.get("/campaigns/opportunities/")  # warm the session
    # session, user, the territory's regions, totals (and forecast), cards, owners; the page's own frame
    # (notifications, the menu's rules) beside
    with django_assert_max_num_queries(14):
        response = client.get("/campaigns/opportunities/")
    assert response.status_code == 200
    assert response.context["board"].count == 12


# -- pages ----------------------------------------------------------------------------------------------------------


def test_the_board_shows_a_manager_her_own_and_a_head_her_department(opportunities, cast, login):
    alice = login(cast["alice"]).get("/campaigns/opportunities/")
    assert alice.status_code == 200
    assert alice.context["board"].count == 1 and "专线扩容" in alice.content.decode()
    dora = login(cast["dora"])
    assert dora.get("/campaigns/opportunities/").context["board"].count == 2
    assert dora.get("/campaigns/opportunities/", {"owner": "bob"}).context["board"].count == 1
    bad = dora.get("/campaigns/opportunities/", {"closing": "2031-13"})
    assert bad.status_code == 400


def test_a_head_picks_the_owner_as_she_types_and_the_board_takes_a_person_as_the_picker_shows_one(
    opportunities, cast, login, api
):
    bob = cast["bob"]
    User.objects.filter(pk=bob.pk).update(last_name="王", first_name="建国")
    dora = login(cast["dora"])
    page = dora.get("/campaigns/opportunities/").content.decode()
    # The staff picker, not a list of every member of staff: its search is asked as she types.
    assert 'name="owner"' in page and 'data-staff-picker="one"' in page
    assert re.search(r'<select[^>]*name="owner"', page) is None
    assert "js/staff-picker.js" in page
    for named in ("bob", "王建国 (bob)", "王建国"):
        board = dora.get("/campaigns/opportunities/", {"owner": named}).context["board"]
        assert [card.title for column in board.columns for card in column.cards] == ["集团V网"], named
    assert dora.get("/campaigns/opportunities/", {"owner": "nobody"}).context["board"].count == 0
    # The API's filter reads the owner the same way.
    assert api(cast["dora"]).get(URL, {"owner": "王建国 (bob)"}).json()["count"] == 1
    # An account manager keeps her two buttons: her own, or all of her customers'.
    assert "data-staff-picker" not in login(cast["alice"]).get("/campaigns/opportunities/").content.decode()


def test_an_opportunity_is_found_on_a_visit_in_one_tap(customers, cast, login):
    visit = Visit.objects.create(
        customer=customers["alice"],
        visited_at=timezone.now(),
        visitor=cast["alice"],
        summary="走访",
        opportunities="云视讯会议室\n另外一条",
    )
    client = login(cast["alice"])
    page = client.get("/customers/CD0001/")
    assert "/campaigns/opportunities/new/?customer=CD0001&amp;visit=latest" in page.content.decode()
    url = "/campaigns/opportunities/new/?customer=CD0001&visit=latest"  # the reader's latest visit of the week
    form = client.get(url)
    assert form.status_code == 200 and form.context["form"].initial["title"] == "云视讯会议室"
    # the same from the visit's own page, by its id
    by_id = client.get(f"/campaigns/opportunities/new/?customer=CD0001&visit={visit.pk}")
    assert by_id.context["form"].initial["title"] == "云视讯会议室"
    # a visit of more than a week ago, or someone else's, is not the one found on
    Visit.objects.filter(pk=visit.pk).update(visited_at=timezone.now() - datetime.timedelta(days=8))
    assert client.get(url).context["form"].initial.get("title", "") == ""
    Visit.objects.filter(pk=visit.pk).update(visited_at=timezone.now(), visitor=cast["bob"])
    assert client.get(url).context["form"].initial.get("title", "") == ""
    Visit.objects.filter(pk=visit.pk).update(visitor=cast["alice"])
    response = client.post(
        url,
        {
            "title": "云视讯会议室",
            "stage": "found",
            "expected_monthly_revenue": "800",
            "expected_one_off_revenue": "0",
            "expected_close_on": _later(),
            "source": "visit",
            "products": ["VPMN"],
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    opportunity = Opportunity.objects.get()
    assert (opportunity.source, opportunity.source_visit, opportunity.owner) == ("visit", visit, cast["alice"])
    page = client.get("/customers/CD0001/")
    assert "云视讯会议室" in page.content.decode()


def test_the_form_shows_bad_input_on_its_field(customers, cast, login):
    client = login(cast["alice"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(
        "/campaigns/opportunities/new/?customer=CD0001",
        {
            "title": "x",
            "stage": "found",
            "expected_monthly_revenue": "1",
            "expected_one_off_revenue": "0",
            "expected_close_on": "2020-01-01",
            "source": "visit",
        },
    )
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["expected_close_on"]


def test_the_edit_page_is_404_to_an_outsider_and_saves_for_the_owner(opportunities, cast, login):
    opportunity = opportunities["alice"]
    url = f"/campaigns/opportunities/{opportunity.pk}/"
    assert login(cast["carol"]).get(url).status_code == 404
    assert login(cast["bob"]).get(url).status_code == 404
    client = login(cast["alice"])
    form = client.get(url).context["form"]
    data = {key: value for key, value in form.initial.items() if key not in ("products", "owner")}
    data.update(stage="proposal", expected_close_on=_later(), owner=cast["alice"].pk, probability="")
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    opportunity.refresh_from_db()
    assert (opportunity.stage, opportunity.probability) == ("proposal", 30)
    assert "stage-history" in client.get(url).content.decode()


# -- the timeline and the visit form's seam -------------------------------------------------------------------------


def test_the_timeline_gives_opportunities_calls_and_plan_moves_newest_first(customers, cast):
    customer = customers["alice"]
    opportunity = services.opportunity_create(
        user=cast["alice"], customer=customer, data={"title": "专线", "expected_close_on": timezone.localdate()}
    )
    services.opportunity_update(user=cast["alice"], opportunity=opportunity, data={"stage": "proposal"})
    with translation.override("en"):
        (entries,) = [
            result
            for result in customer_hooks.customer_timeline(customer=customer, user=cast["alice"], before=None, limit=10)
            if result and result[0].kind == "opportunity"
        ]
    assert [entry.title for entry in entries] == ["Opportunity 专线: Found → Proposal", "Opportunity found: 专线"]
    assert entries[0].actor == cast["alice"].display_name
    assert entries[0].url == f"/campaigns/opportunities/{opportunity.pk}/"
    from campaigns.extensions import customer_timeline

    assert len(customer_timeline(customer=customer, user=cast["alice"], before=None, limit=1)) == 1
    assert customer_timeline(customer=customer, user=cast["alice"], before=entries[1].at, limit=10) == []


def test_the_visit_form_seam_records_an_opportunity_from_a_visit(customers, cast):
    visit = Visit.objects.create(
        customer=customers["alice"], visited_at=timezone.now(), visitor=cast["alice"], summary="走访"
    )
    opportunity = services.opportunity_create_from_visit(
        user=cast["alice"], visit=visit, title="物联网卡", expected_monthly_revenue=Decimal("300")
    )
    assert (opportunity.source, opportunity.source_visit, opportunity.stage, opportunity.probability) == (
        "visit",
        visit,
        "found",
        10,
    )
    assert opportunity.expected_close_on >= timezone.localdate()


def test_a_link_to_another_customer_is_refused(customers, cast):
    visit = Visit.objects.create(
        customer=customers["wuhou"], visited_at=timezone.now(), visitor=cast["bob"], summary="走访"
    )
    with pytest.raises(ValidationError) as refusal:
        services.opportunity_create(
            user=cast["dora"],
            customer=customers["alice"],
            data={"title": "x", "expected_close_on": timezone.localdate(), "source_visit": visit},
        )
    assert list(refusal.value.message_dict) == ["source_visit"]


def test_the_anonymous_are_sent_to_log_in_from_the_pages():
    assert Client().get("/campaigns/opportunities/")["Location"].startswith("/login/")
    assert Client().get("/campaigns/opportunities/new/")["Location"].startswith("/login/")


def test_the_demo_seeds_opportunities_in_every_department(customers, cast):
    from demo.seed import seed_opportunities

    assert seed_opportunities() == 3  # alice's and bob's customers in 成都, carol's in 绵阳
    for code in ("CD0001", "CD0002", "MY0001"):
        assert Opportunity.objects.filter(customer__code=code).exists()
    assert all(opportunity.owner.username in ("alice", "bob", "carol") for opportunity in Opportunity.objects.all())
