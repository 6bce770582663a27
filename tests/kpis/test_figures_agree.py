"""Figures that agree (issue 18, point 5): one customer manager is shown by their own load, never by a share that is
0 % or 100 % by construction; a department's load chart and its overload figure count the same managers; every
figure on the dashboard that links to customers says as many as the list behind the link holds."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from crm.periods import Period
from kpis import selectors
from kpis.services import kpi_compute
from tests.factories import CustomerFactory, TeamRoleFactory, UserFactory

from .conftest import OCTOBER, SINCE

pytestmark = pytest.mark.django_db
URL = "/kpis/"


@pytest.fixture
def outsiders(province, cast, territory):
    """Managers the 成都 department must not count, beside its own alice and bob:
    - erin, of the 绵阳 department, manages a customer in 锦江 (成都 counts her as a region, not as a department);
    - frank, of the 成都 department, manages a customer in 锦江 and one in 涪城 (绵阳): his head does not see all
      of his customers, so he is not one of the managers she is shown;
    - gina, an account manager of the 成都 department, manages no customer (in the demo, the service, product,
      network, billing and second managers of a department are such account managers).
    """
    chengdu, mianyang = cast["dora"].department, cast["carol"].department
    erin = UserFactory(username="erin", department=mianyang, region=territory["fucheng"])
    frank = UserFactory(username="frank", department=chengdu, region=territory["jinjiang"])
    UserFactory(username="gina", department=chengdu, region=territory["jinjiang"])
    for code, region, manager in (("KE01", "jinjiang", erin), ("KF01", "jinjiang", frank), ("KF02", "fucheng", frank)):
        TeamRoleFactory(customer=CustomerFactory(code=code, region=territory[region]), user=manager, starts_on=SINCE)


def _english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _now() -> Period:
    return Period.of(timezone.localdate())


def _computed() -> None:
    kpi_compute(period=OCTOBER)
    kpi_compute(period=_now())


def _section(page: str, testid: str) -> str:
    start = page.index(f'data-testid="{testid}"')
    return page[start : page.index("</table>", start)]


# -- one manager: their own load ------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "customers", "status"), [("bob", "51", "danger"), ("alice", "2", "success")])
def test_an_account_managers_own_dashboard_shows_their_load_not_a_share_of_one(
    province, cast, login, who, customers, status
):
    _computed()
    page = _english(login(cast[who])).get(URL).content.decode()
    assert 'data-testid="kpi-manager_overload_share"' not in page  # 100.0 % 1/1 (or 0.0 % 0/1) by construction
    card = page[page.index('data-testid="kpi-customer_count"') :]
    card = card[: card.index("</div>\n    </div>")]
    assert "Customers managed" in card
    assert re.search(rf'text-{status}" data-testid="kpi-value">{customers}<', card)
    assert "target ≤ 50" in card


def test_a_departments_manager_table_shows_each_managers_load_not_a_share(province, cast, login):
    _computed()
    table = _section(_english(login(cast["dora"])).get(URL).content.decode(), "drill-table")
    header = table[: table.index("</thead>")]
    assert "Overloaded customer managers" not in header
    assert "Customers managed ≤ 50" in header
    bob = table[table.index(">bob<") :].split("</tr>")[0]
    alice = table[table.index(">alice<") :].split("</tr>")[0]
    assert re.search(r'text-danger fw-semibold"><a [^>]*data-drill-count="51"[^>]*>51</a>', bob)
    assert re.search(r'text-success"><a [^>]*data-drill-count="2"[^>]*>2</a>', alice)


def test_the_manager_table_sorts_by_load(province, cast, login):
    _computed()
    client = _english(login(cast["dora"]))
    table = _section(client.get(URL, {"sort": "customer_count", "dir": "desc"}).content.decode(), "drill-table")
    assert table.index(">bob<") < table.index(">alice<")
    table = _section(client.get(URL, {"sort": "customer_count", "dir": "asc"}).content.decode(), "drill-table")
    assert table.index(">alice<") < table.index(">bob<")


def test_a_region_still_shows_the_share_of_its_overloaded_managers(province, cast, login):
    _computed()
    page = _english(login(cast["paul"])).get(URL).content.decode()
    assert 'data-testid="kpi-manager_overload_share"' in page
    assert "Overloaded customer managers" in _section(page, "drill-table")


# -- a department: the load chart and the overload figure count the same managers ---------------------------


def test_a_department_counts_its_own_customer_managers_and_its_region_every_one_serving_it(outsiders, cast, territory):
    _computed()
    department = selectors.scope_for(cast["dora"])
    region = selectors.Scope("region", region=territory["chengdu"], extent=territory["chengdu"])
    by_department = selectors.figures(department, _now())["manager_overload_share"]
    by_region = selectors.figures(region, _now())["manager_overload_share"]
    assert (by_department.numerator, by_department.denominator) == (1, 2)  # bob of alice and bob
    assert (by_region.numerator, by_region.denominator) == (1, 4)  # bob of alice, bob, erin and frank


def test_the_load_chart_counts_the_managers_of_the_overload_figure_and_of_the_manager_table(outsiders, cast, login):
    _computed()
    response = _english(login(cast["dora"])).get(URL)
    context, page = response.context, response.content.decode()
    figure = context["figures"]["manager_overload_share"]
    load = context["load"]
    assert (load.overloaded, load.managers) == (int(figure.numerator), int(figure.denominator)) == (1, 2)
    assert [manager.username for manager, _count in load.busiest] == ["bob", "alice"]
    assert context["chart_data"]["load"]["customers"] == [51, 2]
    assert context["rows_total"] == load.managers
    # the table takes its count from the figure (issue 19): the rows it would count are the same managers
    assert selectors.child_scopes(selectors.scope_for(cast["dora"]), _now())[1] == context["rows_total"]
    assert [row.scope.manager.username for row in context["rows"]] == ["alice", "bob"]
    assert "1 of 2 account managers above the line" in page
    assert re.search(r'data-testid="kpi-manager_overload_share".*?>1 / 2<', page, re.S)


# -- every figure to its list ---------------------------------------------------------------------------------


class _Links(HTMLParser):
    """The page's links to the customer list: (href, data-drill-count or None, the link's text)."""

    def __init__(self, customer_list: str):
        super().__init__()
        self.customer_list = customer_list
        self.links: list[tuple[str, str | None, str]] = []
        self._open: list[list] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            found = dict(attrs)
            href = found.get("href") or ""
            self._open.append([href, found.get("data-drill-count"), ""] if href.startswith(self.customer_list) else [])

    def handle_data(self, data):
        for link in self._open:
            if link:
                link[2] += data

    def handle_endtag(self, tag):
        if tag == "a" and self._open:
            link = self._open.pop()
            if link:
                self.links.append((link[0], link[1], " ".join(link[2].split())))


def _listed(client: Client, href: str) -> int:
    response = client.get(href)
    assert response.status_code == 200, href
    return response.context["page"].paginator.count


@pytest.mark.parametrize(
    ("who", "query", "least"),
    [
        ("dora", {}, 12),  # her department: cards, facts, the load table, each manager's customers
        ("paul", {}, 8),  # the province
        ("paul", {"department": "成都市政企客户部"}, 12),
        ("bob", {}, 8),  # his own figures
        ("dora", {"manager": "bob"}, 8),
    ],
)
def test_every_figure_that_links_to_customers_says_as_many_as_the_list_holds(outsiders, cast, login, who, query, least):
    _computed()
    client = _english(login(cast[who]))
    page = client.get(URL, query).content.decode()
    parser = _Links("/customers/")
    parser.feed(page)
    counted = 0
    for href, count, text in parser.links:
        if count is None:
            # A link without a count names no number ("See the active customers →"): nothing to disagree with.
            assert not re.search(r"\d", text), (href, text)
            continue
        shown = re.match(r"[\d,]+", text)
        if shown is not None:  # the figure is the link's own text; else the link is a name beside it (load table)
            assert int(shown.group().replace(",", "")) == int(count), (href, text)
        assert _listed(client, href) == int(count), (href, text)
        assert urlsplit(href).query, href  # a filtered list, never every customer the user sees by accident
        counted += 1
    assert counted >= least


def test_the_load_tables_links_name_the_count_beside_them(province, cast, login):
    _computed()
    table = _section(_english(login(cast["dora"])).get(URL).content.decode(), "load-table")
    rows = re.findall(r'<a data-drill-count="(\d+)" href="[^"]+">[^<]+</a></td><td class="num">(\d+)</td>', table)
    assert rows == [("51", "51"), ("2", "2")]
