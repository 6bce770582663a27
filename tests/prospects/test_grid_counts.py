"""The new customers of the year a grid's page and the grids page count (issue 21, point 3): only among the customers
the reader sees (SPEC §2), and in a fixed number of queries, whatever the number of targets."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Customer
from crm.models import Region
from prospects import selectors
from prospects.models import NewCustomerTarget
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def gina(territory):
    """The grid manager of 春熙路网格."""
    return UserFactory(username="gina", role="grid_manager", region=territory["grid"])


@pytest.fixture
def filed(territory):
    """This year's new customers: one in the grid, two elsewhere in 锦江区, three in 武侯区, one in 绵阳."""
    rows = [("grid", 1), ("jinjiang", 2), ("wuhou", 3), ("fucheng", 1)]
    n = 0
    for key, count in rows:
        for _ in range(count):
            n += 1
            CustomerFactory(code=f"NC{n:04d}", region=territory[key])


def progress_of(response) -> dict[str, int]:
    return {row.region.code: row.achieved for row in response.context["progress"]}


def test_a_grid_manager_sees_their_grids_new_customers_only(login, gina, filed, territory):
    response = login(gina).get(reverse("kpis:grid", args=["510104-G01"]))
    assert response.status_code == 200
    assert progress_of(response) == {"510104-G01": 1}  # not 锦江区's 3, 成都's 6 or 四川's 7


def test_a_department_head_sees_the_grid_and_its_county_counted_but_no_city_or_province(login, cast, filed):
    response = login(cast["dora"]).get(reverse("kpis:grid", args=["510104-G01"]))
    assert progress_of(response) == {"510104-G01": 1, "510104": 3}


def test_the_grid_page_counts_only_what_the_reader_sees_anonymous_and_outsiders_get_nothing(client, login, cast, filed):
    assert client.get(reverse("kpis:grid", args=["510104-G01"])).status_code == 302
    assert login(cast["gd_paul"]).get(reverse("kpis:grid", args=["510104-G01"])).status_code == 404


def test_new_customer_counts_are_among_the_customers_the_user_sees(gina, cast, filed, territory):
    year = timezone.localdate().year
    regions = [territory["grid"], territory["jinjiang"], territory["chengdu"], territory["sichuan"]]
    assert selectors.new_customer_counts(user=cast["paul"], year=year, regions=regions) == {
        "510104-G01": 1,
        "510104": 3,
        "510100": 6,
        "510000": 7,
    }
    assert selectors.new_customer_counts(user=gina, year=year, regions=regions) == {
        "510104-G01": 1,
        "510104": 1,
        "510100": 1,
        "510000": 1,
    }
    assert selectors.new_customer_counts(user=cast["gd_paul"], year=year, regions=regions) == dict.fromkeys(
        ["510104-G01", "510104", "510100", "510000"], 0
    )
    assert selectors.new_customer_counts(user=cast["hq"], year=year - 1, regions=regions) == dict.fromkeys(
        ["510104-G01", "510104", "510100", "510000"], 0
    )


def test_a_grids_new_customers_are_counted_by_the_index_of_region_and_filing_date(gina, cast, filed, territory):
    """A grid and its county count their own regions' year (on PostgreSQL from `customer_region_filed_idx`, not the
    filing date's index, whose year is every region's and grows with the table)."""
    year = timezone.localdate().year
    regions = [territory["grid"], territory["jinjiang"]]
    assert selectors.new_customer_counts(user=cast["paul"], year=year, regions=regions) == {
        "510104-G01": 1,
        "510104": 3,
    }
    assert selectors.new_customer_counts(user=gina, year=year, regions=regions) == {"510104-G01": 1, "510104": 1}
    assert selectors.new_customer_counts(user=cast["paul"], year=year - 1, regions=regions) == {
        "510104-G01": 0,
        "510104": 0,
    }
    if connection.vendor != "postgresql":
        return
    with CaptureQueriesContext(connection) as queries:
        selectors.new_customer_counts(user=cast["paul"], year=year, regions=regions)
    (sql,) = [query["sql"] for query in queries if "COUNT(*)" in query["sql"]]
    # The year's customers mostly elsewhere, as a province's are for a grid, and the grid's county's mostly filed
    # in earlier years: either other index reads hundreds of entries for the county's three of the year.
    Customer.objects.bulk_create(
        CustomerFactory.build(code=f"MY{n:04d}", uscc=None, region=territory["fucheng"]) for n in range(500)
    )
    Customer.objects.bulk_create(
        CustomerFactory.build(code=f"OLD{n:04d}", uscc=None, region=territory["jinjiang"]) for n in range(500)
    )
    Customer.objects.filter(code__startswith="OLD").update(created_at=timezone.now() - datetime.timedelta(days=5 * 366))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE accounts_customer")
        cursor.execute("SET LOCAL enable_seqscan = off")  # a few hundred rows: else read whole
        cursor.execute(f"EXPLAIN {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "customer_region_filed_idx" in plan, plan


def test_the_grids_page_counts_every_target_in_a_fixed_number_of_queries(login, cast, filed, territory):
    year = timezone.localdate().year
    client = login(cast["hq"])
    NewCustomerTarget.objects.create(region=territory["sichuan"], year=year, target=70)
    client.get(reverse("kpis:grids"))  # warm the session and the caches
    with CaptureQueriesContext(connection) as one:
        response = client.get(reverse("kpis:grids"))
    for n, key in enumerate(("chengdu", "jinjiang", "wuhou", "grid", "mianyang", "guangdong")):
        NewCustomerTarget.objects.create(region=territory[key], year=year, target=10 + n)
    extra = Region(code="510104-G02", name="盐市口网格", level="grid", parent=territory["jinjiang"])
    extra.save()
    NewCustomerTarget.objects.create(region=extra, year=year, target=5)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("kpis:grids"))
    assert len(many) == len(one)
    achieved = {row.region.code: row.achieved for row in response.context["targets"]}
    assert achieved == {
        "510000": 7,
        "510100": 6,
        "510104": 3,
        "510104-G01": 1,
        "510104-G02": 0,
        "510107": 3,
        "510700": 1,
        "440000": 0,
    }


def test_the_grids_page_counts_within_a_department_heads_territory(login, cast, filed, territory):
    year = timezone.localdate().year
    for key in ("sichuan", "chengdu", "jinjiang"):
        NewCustomerTarget.objects.create(region=territory[key], year=year, target=10)
    response = login(cast["dora"]).get(reverse("kpis:grids"))
    assert {row.region.code: row.achieved for row in response.context["targets"]} == {"510100": 6, "510104": 3}


def test_the_grid_page_counts_its_customers_visits_and_gaps_in_fifteen_queries(login, cast, territory):
    """A grid's customers by status and by tier (complete profiles among them), its visits of the last 30 days (how
    many, the latest first, none of another grid's or older), its active customers all uncovered by a product none
    holds: counted in at most 15 queries (issue 19)."""
    from tests.factories import VisitFactory

    grid, dora = territory["grid"], cast["dora"]
    a = CustomerFactory(code="G1", region=grid, status="active", tier="A")
    b = CustomerFactory(code="G2", region=grid, status="active", tier="B")
    CustomerFactory(code="G3", region=grid, status="churned", tier="B")
    CustomerFactory(code="G4", region=grid, status="prospect", tier=None)
    elsewhere = CustomerFactory(code="W1", region=territory["wuhou"], status="active", tier="A")
    now = timezone.now()
    older = VisitFactory(customer=a, visitor=dora, visited_at=now - datetime.timedelta(days=3))
    newer = VisitFactory(customer=b, visitor=dora, visited_at=now - datetime.timedelta(days=1))
    VisitFactory(customer=a, visitor=dora, visited_at=now - datetime.timedelta(days=45))  # before the 30 days
    VisitFactory(customer=elsewhere, visitor=dora, visited_at=now)  # another region's
    client = login(dora)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("kpis:grid", args=["510104-G01"]))
    assert response.status_code == 200
    assert len(queries) <= 15, len(queries)
    context = response.context
    assert context["statuses"] == {"active": 2, "churned": 1, "prospect": 1}
    assert (context["customers_total"], context["active"]) == (4, 2)
    assert {row.tier: row.customers for row in context["profiles"] if row.customers} == {"A": 1, "B": 2}
    assert context["visits_count"] == 2
    assert list(context["visits"]) == [newer, older]
    # nobody holds any product: every active customer is a gap of each, none covered
    assert context["coverage"] and all(row["covered"] == 0 for row in context["coverage"])
    assert all(row["gaps"] == 2 for row in context["coverage"]), [row["gaps"] for row in context["coverage"]]
