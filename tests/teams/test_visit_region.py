"""Each visit carries its customer's region, kept by the database (migration teams 0010), so that a territory's
visits are read region by region, newest first (issue 19, point 3: 凉山's unverified visits walked every other
territory's visits first, 32 ms at one province and 94 ms at three)."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Customer
from crm import paginator as module
from crm.paginator import EstimatingPaginator, OpenPaginator
from crm.visibility import territory_of_lists
from teams.filters import VisitFilter
from teams.models import Visit
from teams.selectors import unverified_visits, visits_visible
from tests.factories import CustomerFactory, VisitFactory

pytestmark = pytest.mark.django_db

ON_POSTGRES = connection.vendor == "postgresql"


def _region_of(visit: Visit) -> str | None:
    return Visit.objects.filter(pk=visit.pk).values_list("region_id", flat=True).get()


def test_a_visit_takes_its_customers_region_and_follows_a_customer_that_moves(cast, territory):
    customer = CustomerFactory(region=territory["wuhou"])
    other = CustomerFactory(region=territory["fucheng"])
    visit = VisitFactory(customer=customer, visitor=cast["alice"])
    assert _region_of(visit) == territory["wuhou"].code  # set by the database, whatever wrote the row
    # given another region by hand, or a stale copy saved whole: the customer's stays
    Visit.objects.filter(pk=visit.pk).update(region_id=territory["tianhe"].code)
    assert _region_of(visit) == territory["wuhou"].code
    visit.summary = "改了小结"
    visit.save()
    assert _region_of(visit) == territory["wuhou"].code
    # the customer moves (a page, the API, an import: any UPDATE): its visits move with it
    Customer.objects.filter(pk=customer.pk).update(region=territory["jinjiang"])
    assert _region_of(visit) == territory["jinjiang"].code
    # a visit moved to another customer takes that one's region
    Visit.objects.filter(pk=visit.pk).update(customer=other)
    assert _region_of(visit) == territory["fucheng"].code
    # a customer saved without moving leaves its visits alone
    other.name = "新名称"
    other.save()
    assert _region_of(visit) == territory["fucheng"].code


def _visits(cast, territory, count: int) -> None:
    regions = ["wuhou", "jinjiang", "chengdu", "fucheng", "tianhe"]
    customers = [CustomerFactory(region=territory[name]) for name in regions]
    start = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)
    for index in range(count):
        VisitFactory(
            customer=customers[(index * 7) % len(customers)],
            visitor=cast["alice"],
            # some at the very same time: the id breaks the tie, as the list orders
            visited_at=start + datetime.timedelta(hours=(index * 5) % (count // 2)),
            kind="onsite" if index % 3 else "phone",
        )


@pytest.mark.parametrize("which", ["all", "unverified", "unverified, one reason"])
def test_a_territorys_visits_page_region_by_region_as_they_page_whole(cast, territory, monkeypatch, which):
    """A department head's or provincial staff's visits, newest first: on PostgreSQL read from the territory's
    regions merged in time order (the whole list) or merged and checked row by row (a filtered one); the same
    visits, in the same order, page after page, as the list read whole. Past the rows it may check, a filter is
    read as it is, to the same rows."""
    _visits(cast, territory, 40)
    for who in ("paul", "dora"):
        user = cast[who]
        query = {"all": {}, "unverified": {}, "unverified, one reason": {"reason": "no_check_in"}}[which]
        source = visits_visible(user) if which == "all" else unverified_visits(user)
        filterset = VisitFilter(query, queryset=source.order_by("-visited_at", "-id"))
        rows = filterset.qs
        path, unfiltered = filterset.territory_of_list(user)
        assert path == territory_of_lists(user) and unfiltered == (not query)
        whole = unfiltered and which == "all"  # the unverified visits are a filtered list (the page says so)
        expected = list(rows.values_list("pk", flat=True))
        assert len(expected) > 8, (who, which)
        for cap in (10_000, 1):  # a cap of one row: a filtered list read as it is
            monkeypatch.setattr(module, "CHECKED_MAX", cap)
            monkeypatch.setattr(module, "CHECKED_PER_ROW", 0 if cap == 1 else 20)
            paginator = OpenPaginator(rows, 4, territory=path, whole=whole)
            read, number = [], 1
            while True:
                with CaptureQueriesContext(connection) as queries:
                    page = paginator.page(number)
                read += [visit.pk for visit in page]
                merged = any("UNION ALL" in query["sql"] for query in queries.captured_queries)
                assert merged == ON_POSTGRES, (who, which, number, cap)  # tried first; past the cap, read as is
                if not page.has_next():
                    break
                number += 1
            assert read == expected, (who, which, cap)


def test_the_visit_filter_says_which_lists_are_read_region_by_region(cast, territory):
    def read(who: str, query: dict):
        user = cast[who]
        return VisitFilter(query, queryset=visits_visible(user)).territory_of_list(user)

    dora_path = territory["chengdu"].path
    assert read("dora", {}) == (dora_path, True)
    assert read("dora", {"verified": "false"}) == (dora_path, False)
    assert read("dora", {"month": "2026-11"}) == (dora_path, False)
    assert read("dora", {"customer": "CD0001"}) == (None, False)  # one customer's visits: its own index
    assert read("dora", {"visitor": "alice"}) == (None, False)
    assert read("dora", {"month": "2026-13"}) == (None, False)  # invalid
    assert read("paul", {}) == (territory["sichuan"].path, True)
    assert read("alice", {}) == (None, False)  # an account manager's visits are her teams'
    assert read("hq", {}) == (None, False)  # headquarters read the whole table as it is


def test_the_unverified_visits_page_of_a_head_lists_her_territorys_newest_first(login, cast, territory):
    _visits(cast, territory, 30)
    dora = cast["dora"]
    response = login(dora).get("/visits/unverified/")
    assert response.status_code == 200
    shown = [visit.pk for visit in response.context["page"]]
    expected = list(unverified_visits(dora).values_list("pk", flat=True)[: len(shown)])
    assert shown == expected and shown
    assert isinstance(response.context["page"].paginator, EstimatingPaginator)
    assert response.context["page"].paginator.territory == territory["chengdu"].path
