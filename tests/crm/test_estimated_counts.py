"""Long lists are counted exactly only up to EXACT_COUNT_LIMIT; past it PostgreSQL's planner estimates them, the
pages say "about N" and page on without a last page, and the API says so in a header (issue 19, point 2)."""

import pytest
from django.core.paginator import EmptyPage
from django.db import connection
from django.db.models import Count

from accounts.models import Customer
from crm.paginator import EstimatingPaginator, count_rows
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

ON_POSTGRES = connection.vendor == "postgresql"


@pytest.fixture
def twelve(territory):
    return CustomerFactory.create_batch(12, region=territory["wuhou"])


def test_a_short_list_is_counted_exactly(twelve):
    assert count_rows(Customer.objects.all(), exact_below=12) == (12, False)
    paginator = EstimatingPaginator(Customer.objects.order_by("code"), 5, exact_below=12)
    assert (paginator.count, paginator.estimated, paginator.open, paginator.num_pages) == (12, False, False, 3)
    with pytest.raises(EmptyPage):
        paginator.page(4)


def test_a_long_list_is_estimated_on_postgresql_and_counted_elsewhere(twelve):
    count, estimated = count_rows(Customer.objects.all(), exact_below=5)
    if ON_POSTGRES:
        assert estimated and count >= 5  # the planner's figure, never below what the list is known to pass
    else:
        assert (count, estimated) == (12, False)


@pytest.mark.skipif(not ON_POSTGRES, reason="the planner's estimate is PostgreSQL's")
def test_an_estimated_list_pages_on_its_rows_not_its_estimate(twelve):
    paginator = EstimatingPaginator(Customer.objects.order_by("code"), 5, exact_below=5)
    assert paginator.estimated and paginator.open
    seen, number = [], 1
    while True:
        page = paginator.get_page(number)
        seen += [customer.code for customer in page]
        if not page.has_next():
            break
        number = page.next_page_number()
    assert seen == sorted(customer.code for customer in twelve) and number == 3
    with pytest.raises(EmptyPage):
        paginator.page(4)
    assert paginator.get_page(4).number == 1  # past the end: the first page, as a page that is no number
    assert paginator.get_page("x").number == 1


def test_the_customer_list_says_about_n_past_the_limit(login, cast, twelve, settings):
    settings.EXACT_COUNT_LIMIT = 5
    response = login(cast["paul"]).get("/customers/")
    html = response.content.decode()
    paginator = response.context["page"].paginator
    assert response.status_code == 200
    if ON_POSTGRES:
        assert paginator.estimated and "约 " in html and "估计值" in html
        page = response.context["page"]  # one page of 50 holds the twelve: known from the rows, not the estimate
        assert len(page.object_list) == 12 and not page.has_next() and "末页" not in html
    else:
        assert not paginator.estimated and "共 12 个客户" in html
    settings.EXACT_COUNT_LIMIT = 100
    html = login(cast["paul"]).get("/customers/").content.decode()
    assert "共 12 个客户" in html and "估计值" not in html


def test_the_api_keeps_its_four_keys_and_says_in_a_header(api, cast, twelve, settings):
    settings.EXACT_COUNT_LIMIT = 5
    client = api(cast["paul"])
    response = client.get("/api/v1/customers/", {"page_size": 5})
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert response["X-Count-Estimated"] == ("true" if ON_POSTGRES else "false")
    codes, url = [], "/api/v1/customers/?page_size=5"
    while url:
        page = client.get(url).json()
        codes += [row["code"] for row in page["results"]]
        url = page["next"]
    assert sorted(codes) == sorted(customer.code for customer in twelve)
    assert client.get("/api/v1/customers/", {"page_size": 5, "page": 4}).status_code == 404
    settings.EXACT_COUNT_LIMIT = 100
    response = client.get("/api/v1/customers/", {"page_size": 5})
    assert response["X-Count-Estimated"] == "false" and response.json()["count"] == 12


def test_the_unverified_visits_page_and_the_audit_page_take_the_estimating_paginator(login, cast, settings):
    settings.EXACT_COUNT_LIMIT = 5
    for path in ("/visits/unverified/", "/audit/"):
        response = login(cast["hq"]).get(path)
        assert response.status_code == 200
        assert isinstance(response.context["page"].paginator, EstimatingPaginator)


@pytest.mark.parametrize("exact_below", [100, 5])
def test_a_deep_page_reads_its_keys_first_and_keeps_the_lists_order(twelve, monkeypatch, exact_below):
    monkeypatch.setattr("crm.paginator.DEFERRED_FROM", 4)  # every page past the first skips 4 rows or more
    listed = Customer.objects.annotate(n=Count("key_persons")).order_by("-code")
    paginator = EstimatingPaginator(listed, 4, exact_below=exact_below)
    pages = [[customer.code for customer in paginator.page(number)] for number in (1, 2, 3)]
    assert sum(pages, []) == sorted((customer.code for customer in twelve), reverse=True)
    assert all(hasattr(customer, "n") for customer in paginator.page(3))  # the list's own columns, read by key


@pytest.mark.skipif(not ON_POSTGRES, reason="the planner's estimate is PostgreSQL's")
def test_a_list_the_planner_puts_far_past_the_limit_is_not_counted(twelve, monkeypatch):
    """Counting the first rows past the limit costs what finding them costs (issue 19, point 3: a city of the last
    province read 2.7 million visits to find 5 001 of its own): an estimate far past the limit stands alone."""
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr("crm.paginator.TRUSTED_FROM", 1)  # twelve rows stand for a long list
    with db.cursor() as cursor:
        cursor.execute("ANALYZE accounts_customer")
    with CaptureQueriesContext(db) as far:
        count, estimated = count_rows(Customer.objects.all(), exact_below=1, estimate_first=True)
    assert estimated and count >= 2
    assert not [query for query in far.captured_queries if "COUNT(" in query["sql"]]
    with CaptureQueriesContext(db) as near:
        assert count_rows(Customer.objects.all(), exact_below=12, estimate_first=True) == (12, False)
    assert [query for query in near.captured_queries if "COUNT(" in query["sql"]]
    with CaptureQueriesContext(db) as short:  # without estimate_first: counted first, estimated past the limit
        assert count_rows(Customer.objects.all(), exact_below=1) == (count, True)
    assert [query["sql"][:7] for query in short.captured_queries] == ["SELECT ", "EXPLAIN"]


def test_a_territorys_filtered_list_is_counted_with_its_regions_named_on_postgresql(cast, territory):
    """The planner cannot tell from a path how many rows lie under it: a small territory's filtered list, counted
    with its regions named, is read from the region index, not the whole table (凉山's two-character search). The
    count is the same; the whole list, estimated first, and SQLite are counted as they were."""
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    from crm.visibility import territory_of_lists

    for index in range(7):
        CustomerFactory(region=territory[("wuhou", "jinjiang", "fucheng")[index % 3]], name=f"天府科技{index}")
    CustomerFactory.create_batch(40, region=territory["tianhe"])  # her territory: a small share of the table
    _analyze()
    dora = cast["dora"]
    path = territory_of_lists(dora)
    rows = Customer.objects.visible_to(dora).filter(name__icontains="科技").order_by("code")
    expected = rows.count()
    assert 0 < expected < Customer.objects.filter(name__icontains="科技").count()  # 绵阳's are not hers
    for whole in (False, True):
        paginator = EstimatingPaginator(rows, 2, territory=path, whole=whole)
        with CaptureQueriesContext(db) as read:
            assert (paginator.count, paginator.estimated) == (expected, False)
        (counted,) = [query["sql"] for query in read.captured_queries if _counts_rows(query["sql"])]
        named = '"accounts_customer"."region_id" IN (' in counted
        assert named == (ON_POSTGRES and not whole), whole


def _counts_rows(sql: str) -> bool:
    """Whether a statement counts a list's rows (not the territory's regions, counted with its statistics)."""
    return "COUNT(" in sql and "pg_stats" not in sql


def _analyze() -> None:
    """The planner's statistics of the customers as the test made them (rolled back with it)."""
    if ON_POSTGRES:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE accounts_customer")


@pytest.mark.skipif(not ON_POSTGRES, reason="the planner's statistics are PostgreSQL's")
def test_a_territorys_share_counts_the_regions_its_statistics_do_not_name(cast, territory):
    """A province's 193 regions at a million customers, of which the statistics name 100: its share is what the
    planner would estimate (1.0), not the named regions' alone (0.785), which kept its deep pages merging 193
    regions where the code's index reads them in a third of the time."""
    from crm.paginator import TerritoryPages
    from crm.visibility import territory_of_lists

    regions = ["wuhou", "jinjiang", "fucheng", "chengdu", "mianyang", "tianhe"]
    for index, name in enumerate(regions):
        CustomerFactory.create_batch(index + 1, region=territory[name])
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no ALTER TABLE with foreign keys' checks pending
        cursor.execute("ALTER TABLE accounts_customer ALTER COLUMN region_id SET STATISTICS 2")
        _analyze()
        cursor.execute(
            "SELECT cardinality(most_common_vals::text::text[]) FROM pg_stats "
            "WHERE tablename = 'accounts_customer' AND attname = 'region_id'"
        )
        assert cursor.fetchone()[0] < len(regions)  # some regions are not named
    everyone = Customer.objects.all()
    inside = everyone.filter(region__path__startswith=territory["sichuan"].path).count()
    share = TerritoryPages(everyone, 10, territory=territory_of_lists(cast["paul"])).share()
    assert share == pytest.approx(inside / everyone.count(), abs=0.05)
    tianhe = TerritoryPages(everyone, 10, territory=territory["tianhe"].path).share()
    assert tianhe == pytest.approx(6 / everyone.count(), abs=0.05)


@pytest.mark.skipif(not ON_POSTGRES, reason="the planner's statistics are PostgreSQL's")
def test_a_territory_that_is_most_of_the_table_is_counted_without_its_regions_named(cast, territory):
    """Named, a large territory's hundreds of codes are tested on every row PostgreSQL reads whole anyway (a
    province's staff searching for a rare two-character word: the count took half again as long): a territory
    holding a large share of the table by the planner's statistics is counted by its path alone, to the same
    count; before any statistics, its regions are named."""
    from django.test.utils import CaptureQueriesContext

    from crm.visibility import territory_of_lists

    for index in range(30):
        CustomerFactory(region=territory[("wuhou", "jinjiang", "fucheng")[index % 3]], name=f"天府科技{index}")
    CustomerFactory.create_batch(3, region=territory["tianhe"], name="广州科技")
    paul = cast["paul"]
    path = territory_of_lists(paul)
    rows = Customer.objects.visible_to(paul).filter(name__contains="科技").order_by("code")
    for analyzed in (False, True):
        if analyzed:
            _analyze()
        paginator = EstimatingPaginator(rows, 2, territory=path, estimate_first=True)
        with CaptureQueriesContext(connection) as read:
            assert (paginator.count, paginator.estimated) == (30, False)
        (counted,) = [
            query["sql"]
            for query in read.captured_queries
            if "科技" in query["sql"] and not query["sql"].startswith("EXPLAIN")
        ]
        assert ('"accounts_customer"."region_id" IN (' in counted) == (not analyzed)
        assert (paginator.share() > 0.8) == analyzed


def test_an_empty_page_of_a_territorys_list_reads_no_rows(cast, territory):
    """A filtered list counted empty shows its empty page without reading the territory's rows for it."""
    from django.test.utils import CaptureQueriesContext

    from crm.visibility import territory_of_lists

    CustomerFactory.create_batch(5, region=territory["wuhou"])
    paul = cast["paul"]
    rows = Customer.objects.visible_to(paul).filter(name__contains="霹雳").order_by("code")
    paginator = EstimatingPaginator(rows, 2, territory=territory_of_lists(paul), estimate_first=True)
    with CaptureQueriesContext(connection) as read:
        page = paginator.get_page(1)
        assert list(page) == [] and paginator.count == 0
    sqls = [query["sql"] for query in read.captured_queries]
    assert not any("UNION ALL" in sql for sql in sqls)  # no walk of its regions
    # PostgreSQL: the planner's estimate, the territory's regions, the count; SQLite: the count
    assert len(sqls) == (3 if ON_POSTGRES else 1), sqls


@pytest.mark.parametrize(
    "shape, slack", [("LATERAL", 1.5), ("UNION ALL", 1.5), ('"region_id" = ANY(', 1.5), ("UNION ALL", 1e-6)]
)
def test_a_territorys_list_in_code_order_pages_region_by_region_as_it_pages_whole(
    login, cast, territory, monkeypatch, shape, slack
):
    """A department head's or provincial staff's list in code order is read region by region on PostgreSQL (issue
    19: the territories whose codes come last no longer walk every other territory's rows): the same rows, in the
    same order, page after page, as the list read whole — its first pages from each region's first rows, deeper
    ones from the regions merged, or, for a territory that holds a large share of the table, from the code's index
    from the territory's first code, each row's region looked up; a walk that does not find its page within its
    bound (here none does) leaves it to the merge."""
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    from accounts.selectors import customer_list
    from crm import paginator as module
    from crm.visibility import territory_of_lists

    if shape != "LATERAL":
        monkeypatch.setattr(module, "WHOLE_TOP_MAX", 0)
    monkeypatch.setattr(module, "WALK_SHARE", 0.0 if "ANY" in shape or slack < 1 else 2.0)
    monkeypatch.setattr(module, "WALK_SLACK", slack)
    for index, region in enumerate(["wuhou", "fucheng", "jinjiang", "mianyang", "chengdu", "tianhe"] * 3):
        CustomerFactory(region=territory[region], code=f"ZZ{(index * 7) % 18:04d}")
    if ON_POSTGRES:  # the territories' shares of the table, which bound the walk
        with db.cursor() as cursor:
            cursor.execute("ANALYZE accounts_customer")
    for who in ("paul", "dora"):
        user = cast[who]
        territory = territory_of_lists(user)
        assert territory
        whole = EstimatingPaginator(customer_list(user=user), 4)
        by_region = EstimatingPaginator(customer_list(user=user), 4, territory=territory, whole=True)
        assert whole.count == by_region.count > 4
        for number in range(1, whole.num_pages + 1):
            with CaptureQueriesContext(db) as read:
                codes = [customer.code for customer in by_region.page(number)]
            assert codes == [customer.code for customer in whole.page(number)], (who, number)
            assert any(shape in query["sql"] for query in read.captured_queries) == ON_POSTGRES
            if slack < 1:  # the walk tried first, its page not found within the bound
                assert any("unnest(" in query["sql"] for query in read.captured_queries) == ON_POSTGRES
    assert territory_of_lists(cast["alice"]) is None and territory_of_lists(cast["hq"]) is None
    html = login(cast["dora"]).get("/customers/").content.decode()
    assert "ZZ0000" in html


def test_a_territorys_filtered_list_pages_region_by_region_as_it_pages_whole(cast, territory, monkeypatch):
    """A filtered list of a territory in code order (a tier, the incomplete teams) is read on PostgreSQL from its
    regions merged in code order, each row checked against the list (issue 19: the filtered lists of the last
    territories seeded walked every other territory's rows): the same rows, in the same order, page after page, as
    the list read whole; past the rows it may check, a sparse filter is read as it is, to the same rows."""
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    from crm import paginator as module
    from crm.paginator import OpenPaginator
    from crm.visibility import territory_of_lists
    from teams.selectors import incomplete_teams

    regions = ["wuhou", "fucheng", "jinjiang", "mianyang", "chengdu", "tianhe"]
    for index in range(60):
        made = CustomerFactory(region=territory[regions[index % 6]], code=f"ZZ{(index * 13) % 60:04d}")
        Customer.objects.filter(pk=made.pk).update(tier="ABC"[(index // 6) % 3])
    for who in ("paul", "dora"):
        user = cast[who]
        territory_path = territory_of_lists(user)
        lists = {
            "tier A": Customer.objects.visible_to(user).filter(tier="A").order_by("code"),
            "incomplete": incomplete_teams(user).order_by("code"),
        }
        for name, rows in lists.items():
            whole = list(rows.values_list("code", flat=True))
            assert len(whole) > 6, (who, name)
            for cap in (10_000, 1):  # a cap of one row: every page read as the list is
                monkeypatch.setattr(module, "CHECKED_MAX", cap)
                monkeypatch.setattr(module, "CHECKED_PER_ROW", 0 if cap == 1 else 20)
                by_region = OpenPaginator(rows, 3, territory=territory_path)
                codes, number = [], 1
                while True:
                    with CaptureQueriesContext(db) as read:
                        page = by_region.page(number)
                    codes += [customer.code for customer in page]
                    merged = any("UNION ALL" in query["sql"] for query in read.captured_queries)
                    assert merged == ON_POSTGRES, (who, name, number)
                    if not page.has_next():
                        break
                    number += 1
                assert codes == whole, (who, name, cap)


def test_the_customer_filter_says_which_lists_are_read_region_by_region(cast, territory):
    """Region by region: a territory's list unfiltered (whole) or filtered by tier (checked row by row), a region's
    within it (whole), a search too short for the trigram indexes; never a sparse filter's (a longer search, a
    manager), an invalid one's or an account manager's."""
    from django.http import QueryDict
    from django.test import RequestFactory

    from accounts.filters import CustomerFilter
    from accounts.selectors import customer_list

    def read(who: str, query: str):
        request = RequestFactory().get("/customers/")
        request.user = user = cast[who]
        filterset = CustomerFilter(QueryDict(query), queryset=customer_list(user=user), request=request)
        return filterset.territory_of_list(user)

    dora_path = territory["chengdu"].path
    assert read("dora", "") == (dora_path, True)
    assert read("dora", "ordering=code") == (dora_path, True)
    assert read("dora", "tier=A") == (dora_path, False)
    assert read("dora", f"region={territory['wuhou'].code}") == (territory["wuhou"].path, True)
    assert read("dora", f"region={territory['wuhou'].code}&status=active") == (territory["wuhou"].path, False)
    assert read("dora", "search=天府科技") == (None, False)  # three characters or more: the trigram indexes find it
    assert read("dora", "search=天府") == (dora_path, False)  # shorter: no index finds it, read like a tier's
    assert read("dora", "search=%20天府%20%20") == (dora_path, False)
    assert read("dora", "manager=alice") == (None, False)
    assert read("dora", "tier=Z") == (None, False)
    assert read("dora", f"region={territory['fucheng'].code}") == (None, False)  # outside her territory: invalid
    assert read("paul", "") == (territory["sichuan"].path, True)
    assert read("alice", "") == (None, False)


def test_a_search_for_a_code_prefix_that_begins_many_codes_is_read_region_by_region(cast, territory, monkeypatch):
    """A word of three characters or more that begins most customers' codes (280 in the seeded province) is no
    sparse filter: its list keeps the code's order and is read region by region, not its million matches found and
    sorted (2.5 s). A rare prefix, a name's word, and SQLite, as before; the rows are the same either way."""
    from django.http import QueryDict
    from django.test import RequestFactory

    from accounts import filters
    from accounts.filters import CustomerFilter
    from accounts.selectors import customer_list

    for index in range(12):
        CustomerFactory(region=territory[("wuhou", "jinjiang")[index % 2]], code=f"PX{index:04d}")
    CustomerFactory(region=territory["wuhou"], code="QY0001")
    _analyze()
    monkeypatch.setattr(filters, "COMMON_PREFIX_ROWS", 10)  # twelve codes stand for a province's million

    def read(query: str):
        request = RequestFactory().get("/customers/")
        request.user = user = cast["dora"]
        filterset = CustomerFilter(QueryDict(query), queryset=customer_list(user=user), request=request)
        return filterset.territory_of_list(user)[0], [customer.code for customer in filterset.qs]

    common_path, common = read("search=px0")
    assert common_path == (territory["chengdu"].path if ON_POSTGRES else None)
    assert common == [f"PX{index:04d}" for index in range(12)]  # in code order either way
    assert read("search=QY0") == (None, ["QY0001"])  # rare: found by the index
    assert read("search=天府科技")[0] is None
    # an account manager's few customers: sorted at once, the planner not asked
    from django.test.utils import CaptureQueriesContext

    request = RequestFactory().get("/customers/")
    request.user = alice = cast["alice"]
    with CaptureQueriesContext(connection) as asked:
        list(CustomerFilter(QueryDict("search=px0"), queryset=customer_list(user=alice), request=request).qs)
    assert not any(query["sql"].startswith("EXPLAIN") for query in asked.captured_queries)


def test_the_customers_api_reads_a_territorys_list_region_by_region_unless_the_filter_is_sparse(
    api, cast, territory, monkeypatch
):
    """`GET /api/v1/customers/` as a department head: the whole list and a tier's read region by region on
    PostgreSQL (`crm.api.pagination` asks the filter set), a search as it is (but for a word of two characters,
    which no index finds); the same codes in code order. The lists as long as a territory's (the planner's
    estimate past the limit), not short enough to be read by their keys."""
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    from crm import paginator as module

    monkeypatch.setattr(module, "planned_rows", lambda rows: 1_000_000)

    for index in range(12):
        made = CustomerFactory(region=territory[("wuhou", "jinjiang")[index % 2]], code=f"ZZ{(index * 5) % 12:04d}")
        Customer.objects.filter(pk=made.pk).update(tier="AB"[index % 3 // 2], name=f"天府科技{index}")
    client = api(cast["dora"])
    for query, shape in (
        ("", "LATERAL"),
        ("?tier=A", "UNION ALL"),
        ("?search=天府科技", None),
        ("?search=科技", "UNION ALL"),
    ):
        with CaptureQueriesContext(db) as read:
            body = client.get(f"/api/v1/customers/{query}&page_size=5".replace("/&", "/?")).json()
        codes = [row["code"] for row in body["results"]]
        assert codes == sorted(codes) and len(codes) == 5, query
        region_by_region = any(("LATERAL" in q["sql"] or "UNION ALL" in q["sql"]) for q in read.captured_queries)
        assert region_by_region == (ON_POSTGRES and shape is not None), query
        if ON_POSTGRES and shape:
            assert any(shape in q["sql"] for q in read.captured_queries), query


@pytest.mark.skipif(not ON_POSTGRES, reason="the planner's estimate is PostgreSQL's")
def test_a_long_list_the_planner_puts_within_the_limit_is_counted_by_its_keys_and_paged_by_them(
    cast, territory, monkeypatch
):
    """A territory's or the country's list that the planner puts within the exact count's limit (a rare word
    searched) has its keys read in the list's order to count it, in one query, and its pages are read by them: the
    same rows in the same order as the list read whole, page after page, no count and no walk of the index's order
    besides; customers in code order, visits newest first."""
    import datetime

    from django.test.utils import CaptureQueriesContext

    from crm import paginator as module
    from crm.visibility import territory_of_lists
    from teams.models import Visit
    from tests.factories import VisitFactory

    monkeypatch.setattr(module, "planned_rows", lambda rows: 3)
    start = datetime.datetime(2026, 11, 2, 9, tzinfo=datetime.UTC)
    regions = ("wuhou", "fucheng", "jinjiang", "tianhe")
    for index in range(16):
        customer = CustomerFactory(region=territory[regions[index % 4]], code=f"ZZ{(index * 7) % 16:04d}")
        for _visit in range(index % 3):
            VisitFactory(
                customer=customer, visitor=cast["alice"], visited_at=start + datetime.timedelta(hours=index % 5)
            )
    for who in ("paul", "hq"):
        user = cast[who]
        lists = {
            "customers": Customer.objects.visible_to(user).filter(code__startswith="ZZ").order_by("code"),
            "visits": Visit.objects.filter(customer__in=Customer.objects.visible_to(user)),
        }
        for name, rows in lists.items():
            whole = list(rows.values_list("pk", flat=True))
            assert len(whole) > 6, (who, name)
            paginator = EstimatingPaginator(rows, 4, territory=territory_of_lists(user), estimate_first=True)
            with CaptureQueriesContext(connection) as counted:
                assert (paginator.count, paginator.estimated) == (len(whole), False)
            sqls = [query["sql"] for query in counted.captured_queries]
            assert not any(_counts_rows(sql) for sql in sqls), (who, name)
            read = []
            for number in paginator.page_range:
                with CaptureQueriesContext(connection) as paged:
                    read += [row.pk for row in paginator.page(number)]
                assert len(paged.captured_queries) == 1, (who, name)  # the page's rows by their keys
            assert read == whole, (who, name)
