"""The customer list says whose customers it lists, and shows those who read a territory each customer's manager and
last visit (issue 18, point 10): a department head reads "成都市政企客户部的客户", provincial staff their province's, an
account manager keeps 我的客户 and the narrow table of a phone."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from crm.models import Role
from teams.models import Visit
from tests.factories import CustomerFactory, TeamRoleFactory, UserFactory

pytestmark = pytest.mark.django_db

ON_POSTGRES = connection.vendor == "postgresql"

LIST = "/customers/"


def _visit(customer, visitor, days_ago: int, kind: str = "onsite") -> Visit:
    return Visit.objects.create(
        customer=customer,
        visitor=visitor,
        kind=kind,
        visited_at=timezone.now() - datetime.timedelta(days=days_ago),
        summary="走访",
    )


def _title(response) -> str:
    html = response.content.decode()
    start = html.index('data-testid="customer-list-title">') + len('data-testid="customer-list-title">')
    return html[start : html.index("<small", start)].strip()


@pytest.mark.parametrize(
    ("who", "title"),
    [("alice", "我的客户"), ("dora", "成都市政企客户部的客户"), ("paul", "四川省的客户"), ("hq", "全部客户")],
)
def test_the_list_is_titled_for_its_reader(login, cast, customers, who, title):
    response = login(cast[who]).get(LIST)
    assert _title(response) == title
    assert f"<title>{title} ·" in response.content.decode()


def test_staff_whose_home_is_a_city_are_titled_with_their_province(login, cast, territory, customers):
    staff = UserFactory(username="city_paul", role=Role.PROVINCIAL_STAFF, region=territory["chengdu"])
    assert _title(login(staff).get(LIST)) == "四川省的客户"


def test_english_titles(login, cast, customers):
    client = login(cast["dora"])
    client.cookies["django_language"] = "en"
    assert _title(client.get(LIST, HTTP_ACCEPT_LANGUAGE="en")) == "Customers of 成都市政企客户部"


def test_a_head_sees_each_customers_manager_and_last_visit(login, cast, customers):
    alice_customer = customers["alice"]
    _visit(alice_customer, cast["alice"], days_ago=40)
    latest = _visit(alice_customer, cast["alice"], days_ago=3)
    _visit(alice_customer, cast["alice"], days_ago=1, kind="internal")  # an internal meeting is not a visit
    response = login(cast["dora"]).get(LIST)
    html = response.content.decode()
    assert 'data-testid="col-manager"' in html and 'data-testid="col-last-visit"' in html
    rows = {customer.code: customer for customer in response.context["page"]}
    assert rows["CD0001"].manager_name == cast["alice"].display_name
    assert rows["CD0001"].last_visited_on == timezone.localdate(latest.visited_at)
    assert rows["CD0002"].manager_name == cast["bob"].display_name
    assert rows["CD0002"].last_visited_on is None
    row = html[html.index('href="/customers/CD0001/"') :].split("</tr>")[0]
    assert cast["alice"].display_name in row
    assert timezone.localdate(latest.visited_at).isoformat() in row


def test_a_customer_without_a_manager_shows_a_dash(login, cast, territory, customers):
    CustomerFactory(code="CD0999", name="成都无人客户", region=territory["wuhou"])
    response = login(cast["paul"]).get(LIST, {"search": "CD0999"})
    (customer,) = response.context["page"]
    assert customer.manager_name == "" and customer.last_visited_on is None
    row = response.content.decode().split('href="/customers/CD0999/"')[1].split("</tr>")[0]
    assert 'data-testid="row-manager">—<' in row and 'data-testid="row-last-visit">—<' in row


def test_an_account_manager_keeps_the_narrow_list(login, cast, customers):
    response = login(cast["alice"]).get(LIST)
    html = response.content.decode()
    assert 'data-testid="col-manager"' not in html and 'data-testid="row-last-visit"' not in html


def test_the_columns_cost_one_query_whatever_the_page(login, cast, territory, customers, django_assert_num_queries):
    for number in range(30):
        customer = CustomerFactory(code=f"WH{number:04d}", region=territory["wuhou"], tier="B")
        TeamRoleFactory(customer=customer, user=cast["bob"])
        _visit(customer, cast["bob"], days_ago=number + 1)
    client = login(cast["dora"])
    client.get(LIST)
    # headquarters' 11 (tests/accounts/test_pages.py), plus the provinces that count only verified visits (some of
    # the page's visits are not verified on site); the head's department and region come with her user; on
    # PostgreSQL the planner's estimate before the count, and the page's keys read region by region before its rows
    # (`crm.paginator`)
    with django_assert_num_queries(12 + 2 * ON_POSTGRES):
        response = client.get(LIST)
    listed = [customer for customer in response.context["page"] if customer.code.startswith("WH")]
    assert len(listed) == 30
    assert {customer.manager_name for customer in listed} == {cast["bob"].display_name}
    assert all(customer.last_visited_on is not None for customer in listed)
