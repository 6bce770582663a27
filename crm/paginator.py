"""Pagination of lists whose length is already known (`CountedPaginator`), is not counted (`OpenPaginator`), or is
counted exactly only while it is short (`EstimatingPaginator`)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from .models import Region

# A page that skips this many rows of a query set or more reads its keys first, its rows after (`_read_rows`).
DEFERRED_FROM = 1_000


def _counted_page(paginator: CountedPaginator | EstimatingPaginator, number) -> Page:
    """Page `number` of a paginator that knows its count, its rows read as `_read_rows` reads them."""
    number = paginator.validate_number(number)
    bottom = (number - 1) * paginator.per_page
    top = bottom + paginator.per_page
    if top + paginator.orphans >= paginator.count:
        top = paginator.count
    rows = _read_rows(
        paginator.object_list,
        bottom,
        top,
        paginator.territory,
        whole=paginator.whole,
        regions=paginator.regions,
        share=paginator.share,
        keys=paginator.keys,
    )
    return paginator._get_page(rows, number, paginator)


class TerritoryPages(Paginator):
    """A paginator whose list may be a territory's, read region by region (`_read_rows`).

    `territory`: the path of the territory the list is the customers (or rows with a `region`) of, when it is one
    (`crm.visibility.territory_path` of a department head or provincial staff, or a region of it): pages in one of
    `REGION_ORDERS` (customers by code, visits newest first) are then read region by region (`_territory_keys`).
    `whole`: the list is every row of the territory (it is not filtered)."""

    def __init__(self, object_list, per_page, *, territory: str | None = None, whole: bool = False, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.territory = territory
        self.whole = whole
        self._regions: list[str] | None = None
        self._share = 0.0

    def regions(self) -> list[str]:
        """The codes of the territory's regions, read once for the page and the count."""
        if self._regions is None:
            rows = self.object_list
            if not self.territory:
                self._regions = []
            elif _on_postgresql(rows):
                self._regions, self._share = _regions_and_share(rows, self.territory)
            else:
                db = rows.db if isinstance(rows, QuerySet) else "default"
                self._regions = Region.objects.using(db).codes_under(self.territory)
        return self._regions

    # The keys of the whole list in its order, where its count read them (`EstimatingPaginator`).
    keys: list | None = None

    def share(self) -> float:
        """The share of the list's table that the territory's regions hold, as PostgreSQL's statistics of its region
        column estimate it (0 elsewhere, or before the table's first ANALYZE)."""
        if not _on_postgresql(self.object_list):
            return 0.0
        self.regions()
        return self._share


def _on_postgresql(rows) -> bool:
    """Whether `rows` is a query set of a PostgreSQL database (the planner's statistics and estimates are its)."""
    return isinstance(rows, QuerySet) and connections[rows.db].vendor == "postgresql"


def _regions_and_share(rows: QuerySet, territory: str) -> tuple[list[str], float]:
    """The codes of the regions under `territory`, and the share of the rows of `rows`' table they hold by the
    planner's statistics of the region column, in one query: as PostgreSQL estimates a value's rows, the frequency
    of each of its most common values, and for each other region that holds rows (one probe of the region's index
    each) an even part of what those leave (a province's 193 regions at a million customers, of which the
    statistics name 100: 0.785 by the common ones, 1.0 in all)."""
    meta = rows.model._meta
    quote = connections[rows.db].ops.quote_name
    regions, table, column = quote(Region._meta.db_table), quote(meta.db_table), quote(meta.get_field("region").column)
    with connections[rows.db].cursor() as cursor:
        cursor.execute(
            f"WITH territory AS (SELECT code FROM {regions} WHERE starts_with(path, %s)), "
            "stats AS MATERIALIZED (SELECT most_common_vals::text::text[] AS vals, most_common_freqs AS freqs, "
            "COALESCE(cardinality(most_common_vals::text::text[]), 0) AS common, "
            "null_frac, CASE WHEN n_distinct >= 0 THEN n_distinct "
            "ELSE -n_distinct * (SELECT reltuples FROM pg_class WHERE oid = %s::regclass) END AS kinds FROM pg_stats "
            "WHERE schemaname = current_schema() AND tablename = %s AND attname = %s), "
            "held AS (SELECT COALESCE(SUM(common.freq), 0) AS freq, array_agg(common.code) AS named "
            "FROM stats, unnest(stats.vals, stats.freqs) AS common (code, freq) "
            "WHERE common.code IN (SELECT code FROM territory)) "
            # (a column of values too even for a list of common ones has none: every region is then "the rest")
            "SELECT code, (SELECT LEAST(1, held.freq + CASE WHEN round(stats.kinds) > stats.common "
            "THEN (1 - stats.null_frac - COALESCE((SELECT SUM(freq) FROM unnest(stats.freqs) AS freq), 0)) "
            "* (SELECT COUNT(*) FROM territory WHERE NOT code = ANY(COALESCE(held.named, '{}')) "
            f"AND EXISTS (SELECT FROM {table} WHERE {column} = territory.code)) "
            "/ GREATEST(round(stats.kinds) - stats.common, 1) ELSE 0 END) FROM stats, held) FROM territory",
            [territory, table, meta.db_table, meta.get_field("region").column],
        )
        found = cursor.fetchall()
    return [code for code, _share in found], float(found[0][1] or 0) if found else 0.0


class CountedPaginator(TerritoryPages):
    """A paginator told how many objects the list holds, for lists whose length the caller has counted more cheaply
    than `COUNT(*)` of the list's own query could."""

    def __init__(self, object_list, per_page, *, count: int, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count

    def page(self, number) -> Page:
        return _counted_page(self, number) if self.territory else super().page(number)


class OpenPage(Page):
    """A page of an `OpenPaginator`: whether another follows is known from the row read past its end."""

    def __init__(self, object_list, number, paginator, *, more: bool):
        super().__init__(object_list, number, paginator)
        self.more = more

    def has_next(self) -> bool:
        return self.more


class OpenPaginator(TerritoryPages):
    """A paginator that never counts the list: each page reads one row more than it shows, to know whether another
    page follows. For a live list whose length is known only roughly (a nightly count, said as of when) or would
    cost a pass over a territory to count: no page is promised that the list does not hold, none is hidden.
    Its pages say their number, not of how many (`includes/pagination.html`: `paginator.open`)."""

    open = True

    def validate_number(self, number) -> int:
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(_("That page number is not an integer")) from None
        if number < 1:
            raise EmptyPage(_("That page number is less than 1"))
        return number

    def page(self, number) -> OpenPage:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = _read_rows(
            self.object_list,
            bottom,
            bottom + self.per_page + 1,
            self.territory,
            whole=self.whole,
            regions=self.regions,
            share=self.share,
        )
        if not rows and number > 1:
            raise EmptyPage(_("That page contains no results"))
        return OpenPage(rows[: self.per_page], number, self, more=len(rows) > self.per_page)

    def get_page(self, number) -> OpenPage:
        """The page asked for; the first for a number that is none; the first as well past the list's end (its
        last page is not known without counting)."""
        try:
            return self.page(number)
        except (PageNotAnInteger, EmptyPage):
            return self.page(1)


def _read_rows(
    rows,
    bottom: int,
    top: int,
    territory: str | None,
    *,
    whole: bool,
    regions: Callable[[], list[str]],
    share: Callable[[], float],
    keys: list | None = None,
) -> list:
    """The rows `bottom` to `top` of the list `rows`, region by region for a `territory` (`_territory_keys`). Deep in
    a query set (`DEFERRED_FROM` rows skipped or more), the keys of the page are found first and its rows read after
    by key: PostgreSQL computes the columns of every row an `OFFSET` skips, and a list's columns can be subqueries (a
    customer's profile checks, 50 000 of them on page 1 000). Keys come from the list's indexes alone."""
    if top <= bottom:  # an empty page (a list counted empty): nothing to read
        return []
    if keys is not None:  # the whole list's keys, in order, read by its count
        keys = keys[bottom:top]
    elif territory:
        keys = _territory_keys(rows, territory, bottom, top, whole=whole, regions=regions, share=share)
    if keys is None:
        if bottom < DEFERRED_FROM or not isinstance(rows, QuerySet):
            return list(rows[bottom:top])
        keys = list(rows.values_list("pk", flat=True)[bottom:top])
    found = rows.order_by().in_bulk(keys)
    return [found[key] for key in keys if key in found]


# A filtered list's pages are read region by region while they end within this many rows of the list (twenty pages
# of 50 and the row past them); deeper, the list's own walk. A whole list's at any depth.
TERRITORY_TOP_MAX = 1_001
# A territory's whole list (no filter) takes the first rows of each region while pages end within this many rows
# (five pages of 50): one branch to plan; deeper, `top` rows of each region would outgrow the merge.
WHOLE_TOP_MAX = 250
# Of a territory's rows, at most CHECKED_MAX + CHECKED_PER_ROW × the page's end are checked against a filtered list:
# a filter sparser than that (a name searched, one manager's customers) finds its rows sooner through its own indexes.
CHECKED_MAX = 10_000
CHECKED_PER_ROW = 20
# Values no region and no row have, standing in a list's query for each region of a territory or each row read.
_EACH_REGION = "\x00region"
_EACH_ROW = -7_390_211_553


def _territory_keys(
    rows,
    territory: str,
    bottom: int,
    top: int,
    *,
    whole: bool,
    regions: Callable[[], list[str]],
    share: Callable[[], float],
) -> list | None:
    """The keys of the rows `bottom` to `top` of a territory's list in code order, read region by region from the
    index on (region, code). None where this does not apply (another order, another database, a deep page, a
    sparse filter), and the list is read as it is.

    A territory's list read in code order walks every row of the territories whose codes come before its own
    (issue 19: 凉山's head, the last city of a province, waited 490 ms for a page of customers that 成都's head read
    in 2 ms, and 2 s for the incomplete teams). `whole`: the list is every row of the territory (no filter)."""
    if not isinstance(rows, QuerySet) or (top > TERRITORY_TOP_MAX and not whole):
        return None
    if connections[rows.db].vendor != "postgresql" or not hasattr(rows.model, "region_id"):
        return None
    order = _region_order(rows)
    if order is None:
        return None
    try:
        # Each region's first rows by LATERAL for customers alone: for visits that branch is the list's query,
        # which joins each visit to its customer for the visibility rule; they merge their regions instead.
        if whole and order == [("code", False)]:
            if top <= WHOLE_TOP_MAX:
                return _first_of_each_region(rows, territory, bottom, top)
            if share() >= WALK_SHARE:
                walked = _walked(rows, regions(), bottom, top, share())
                if walked is not None:
                    return walked
        return _merged_regions(rows, regions(), bottom, top, order, whole=whole)
    except EmptyResultSet:  # a list that can hold nothing
        return []


# The orders a territory's list is read in region by region, each served by an index on (region, …) in that order:
# customers by code (`customer_region_code_tier_idx`), visits newest first (`visit_region_when_idx`).
REGION_ORDERS = (("code",), ("-visited_at", "-id"))


def _region_order(rows: QuerySet) -> list[tuple[str, bool]] | None:
    """The list's order as (column, descending) pairs when it is one of REGION_ORDERS; else None."""
    ordering = _ordering(rows)
    if ordering not in REGION_ORDERS:
        return None
    meta = rows.model._meta
    try:
        return [(str(meta.get_field(name.lstrip("-")).column), name.startswith("-")) for name in ordering]
    except LookupError:
        return None


def _ordering(rows: QuerySet) -> tuple:
    """The list's order as the query set gives it (field names, "-" before those descending)."""
    return tuple(rows.query.order_by or (rows.model._meta.ordering if rows.query.default_ordering else ()))


def _order_sql(names: list[str], order: list[tuple[str, bool]]) -> str:
    pairs = zip(names, order, strict=True)
    return ", ".join(f"{name} DESC" if descending else name for name, (_column, descending) in pairs)


def _first_of_each_region(rows, territory: str, bottom: int, top: int) -> list | None:
    """Each region's first `top` rows of the list in code order (`LATERAL`, once per region under `territory`), the
    page cut from them by code: at most `top` rows of each region (凉山's nine: 2 ms; a province's 193: 10–15 ms),
    one branch to plan."""
    branch = rows.filter(region_id=_EACH_REGION).order_by("code").values_list("pk", "code")[:top]
    compiled = _with_column(branch, _EACH_REGION, "each.code")
    if compiled is None:
        return None
    each_sql, each_params = compiled
    region = connections[rows.db].ops.quote_name(Region._meta.db_table)
    with connections[rows.db].cursor() as cursor:
        cursor.execute(
            f"SELECT page.col1 FROM (SELECT code FROM {region} WHERE starts_with(path, %s)) AS each (code) "
            f"CROSS JOIN LATERAL ({each_sql}) AS page (col1, col2) ORDER BY page.col2 LIMIT %s OFFSET %s",
            [territory, *each_params, top - bottom, bottom],
        )
        return [key for (key,) in cursor.fetchall()]


# A territory holding this share of the table or more (a province's staff) has its whole list's deep pages walked in
# the table's code order from the territory's first code (`_walked`), reading at most WALK_SLACK times the rows its
# share would put before the page's end; a territory whose rows lie further apart than that is merged instead.
WALK_SHARE = 0.25
WALK_SLACK = 1.5


def _walked(rows, regions: list[str], bottom: int, top: int, share: float) -> list | None:
    """The keys of the rows `bottom` to `top` of a territory's whole list in code order, read through the code's
    index from the territory's first code (one probe of each region's (region, code) index), each row's region
    looked up among the territory's (a hashed list); None where the page was not found within the walk's bound
    (`WALK_SLACK`), or the list ends before it, for the merge of its regions to read.

    Where a territory's codes run together, as an operator's BOSS numbers a province's customers, the walk reads
    its own rows and no other's: page 1 000 of a province's million in 16 ms, where merging its 193 regions takes
    50–90 ms (10 of them to plan), at a million customers as at three (issue 19, point 3). Where they are spread
    evenly among other territories' codes, it reads 1 / share rows for each of its own, at most WALK_SLACK times
    that before it gives up."""
    if not regions or share <= 0:
        return None
    connection = connections[rows.db]
    quote = connection.ops.quote_name
    meta = rows.model._meta
    table, key, code = quote(meta.db_table), quote(meta.pk.column), quote("code")
    region = quote(meta.get_field("region").column)
    bound = math.ceil(top / min(share, 1.0) * WALK_SLACK)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT walk.{key} FROM (SELECT {key}, {region}, {code} FROM {table} "
            f"WHERE {code} >= (SELECT min(first.{code}) FROM unnest(%s::text[]) AS each (region) "
            f"CROSS JOIN LATERAL (SELECT {code} FROM {table} WHERE {region} = each.region ORDER BY {code} LIMIT 1) "
            f"AS first) ORDER BY {code} LIMIT %s) AS walk "
            f"WHERE walk.{region} = ANY(%s) ORDER BY walk.{code} LIMIT %s OFFSET %s",
            [regions, bound, regions, top - bottom, bottom],
        )
        keys = [key for (key,) in cursor.fetchall()]
    return keys if len(keys) == top - bottom else None


def _merged_regions(
    rows, regions: list[str], bottom: int, top: int, order: list[tuple[str, bool]], *, whole: bool
) -> list | None:
    """The territory's rows in the list's `order`, its regions merged as they are read (`Merge Append`, a branch per
    region, a few index pages each, from the index alone). A whole list takes them as they come, at any depth (a
    province's page 1 000 at 3 M customers: 50 000 index entries, where the walk read the two other provinces
    first). A filtered list checks each against its own query by key (its filters and visibility, `LATERAL`) until
    the page is found: the cost is the territory's rows up to the page's end, however far apart the filter's rows
    lie in the whole table (凉山's incomplete teams at a million customers: 31 ms where the walk took 2 s). At most
    CHECKED_MAX + CHECKED_PER_ROW × `top` rows are checked: None past them, for a filter that sparse."""
    check_sql, check_params = "", []
    if not whole:
        # One row of the list by its key; LIMIT 1 keeps it a check per row (as a join, the planner reads the
        # territory's rows whole and sorts them when it takes the filter to be rare).
        compiled = _with_column(rows.filter(pk=_EACH_ROW).order_by().values("pk")[:1], _EACH_ROW, "each.pk")
        if compiled is None:
            return None
        check_sql, check_params = compiled
    if not regions:
        return []
    connection = connections[rows.db]
    quote = connection.ops.quote_name
    meta = rows.model._meta
    # Each branch's first rows, as many as the merge can take of it: what keeps the planner reading it in index
    # order rather than sorting the region whole.
    columns = [f"o{number}" for number in range(len(order))]
    ordered = _order_sql(columns, order)
    branch = (
        f"(SELECT {quote(meta.pk.column)}, {', '.join(quote(column) for column, _descending in order)} "
        f"FROM {quote(meta.db_table)} WHERE {quote(meta.get_field('region').column)} = %s "
        f"ORDER BY {_order_sql([str(n + 2) for n in range(len(order))], order)} LIMIT %s)"
    )
    merged = " UNION ALL ".join([branch] * len(regions))
    named = f"merged (pk, {', '.join(columns)})"
    cap = top if whole else CHECKED_MAX + CHECKED_PER_ROW * top
    branches = [param for region in regions for param in (region, cap)]
    with connection.cursor() as cursor:
        if whole:
            cursor.execute(
                f"SELECT pk FROM ({merged}) AS {named} ORDER BY {ordered} LIMIT %s OFFSET %s",
                [*branches, top - bottom, bottom],
            )
            return [key for (key,) in cursor.fetchall()]
        # The territory's first `cap` rows in the list's order, numbered: those the list holds, and the last, which
        # says that all `cap` were read.
        # Ordered outside by the list's own columns, whose order the planner carries up from the merge (by the row
        # numbers, it would check every one of the `cap` rows and sort them).
        cursor.execute(
            f"SELECT each.pk, listed.pk IS NOT NULL, each.n = %s FROM ("
            f"SELECT pk, {', '.join(columns)}, row_number() OVER (ORDER BY {ordered}) FROM ({merged}) AS {named} "
            f"ORDER BY {ordered} LIMIT %s) AS each (pk, {', '.join(columns)}, n) "
            f"LEFT JOIN LATERAL ({check_sql}) AS listed (pk) ON true "
            f"WHERE listed.pk IS NOT NULL OR each.n = %s ORDER BY {_order_sql([f'each.{c}' for c in columns], order)} "
            "LIMIT %s",
            [cap, *branches, cap, *check_params, cap, top + 1],
        )
        read = cursor.fetchall()
    keys = [key for key, listed, _ in read if listed]
    if len(keys) < top and any(last for _, _, last in read):
        return None  # `cap` rows read and the page not found: a sparse filter, for the list's own plan
    return keys[bottom:top]


def _with_column(rows: QuerySet, stand_in, column: str) -> tuple[str, list] | None:
    """The SQL and parameters of `rows`, the one parameter `stand_in` replaced by `column` (of the query it is
    set in); None where the stand-in is not found once. Raises EmptyResultSet for a list that can hold nothing."""
    sql, params = rows.query.sql_with_params()
    pieces = sql.split("%s")
    where = [index for index, param in enumerate(params) if param == stand_in]
    if len(where) != 1 or len(pieces) != len(params) + 1 or "%%" in sql:
        return None
    column_sql = "".join(piece + (column if index == where[0] else "%s") for index, piece in enumerate(pieces[:-1]))
    return column_sql + pieces[-1], [param for index, param in enumerate(params) if index != where[0]]


def lists_are_long(user) -> bool:
    """Whether the customer-wide lists a user reads (customers, visits) are long as a rule, a territory's or the
    whole country's: their count asks the planner's estimate first (`count_rows`). An account manager's are the
    customers of their own teams, short, and counted at once."""
    return not getattr(user, "sees_own_customers_only", True)


class EstimatingPaginator(OpenPaginator):
    """A paginator that counts a list exactly up to `EXACT_COUNT_LIMIT` rows (`count_rows`) and, past it, takes
    PostgreSQL's estimate: a territory's million customers or visits are not counted row by row on every page.

    An exact count pages as Django's `Paginator` does (page N of M, a last page). An estimate says so
    (`estimated`, shown as "about N") and pages as an `OpenPaginator`: each page reads one row past its end, so no
    page is promised that the list does not hold, none hidden.
    """

    def __init__(
        self, object_list, per_page, *, exact_below: int | None = None, estimate_first: bool = False, **kwargs
    ):
        """`estimate_first`: for a territory's lists, long as a rule (`count_rows`); an account manager's are short
        and counted at once, without the planner's query."""
        super().__init__(object_list, per_page, **kwargs)
        self.exact_below = settings.EXACT_COUNT_LIMIT if exact_below is None else exact_below
        self.estimate_first = estimate_first

    @cached_property
    def _counted(self) -> tuple[int, bool]:
        rows = self.object_list
        # A filtered list of a territory is counted with the territory's regions named (`count_rows`).
        # Not a territory that is a large share of the table, which PostgreSQL reads whole either way: there each
        # row's test against the territory's hundreds of codes costs more than the filter itself (a province's
        # staff searching for a rare two-character word: 360 → 200 ms while the machine was busy).
        named = (
            self.territory
            and not self.whole
            and isinstance(rows, QuerySet)
            and hasattr(rows.model, "region_id")
            and self.share() < LARGE_SHARE
        )
        return _count(
            rows,
            exact_below=self.exact_below,
            estimate_first=self.estimate_first,
            regions=self.regions if named else None,
            with_keys=not self.whole,
        )

    @property
    def count(self) -> int:  # type: ignore[override]
        return self._counted[0]

    @property  # type: ignore[override]
    def keys(self) -> list | None:
        return self._counted[2]

    @property
    def estimated(self) -> bool:
        return self._counted[1]

    @property  # type: ignore[override]
    def open(self) -> bool:
        return self.estimated

    def validate_number(self, number) -> int:
        return super().validate_number(number) if self.estimated else Paginator.validate_number(self, number)

    def page(self, number) -> Page:
        return super().page(number) if self.estimated else _counted_page(self, number)

    def get_page(self, number) -> Page:
        return super().get_page(number) if self.estimated else Paginator.get_page(self, number)


# A territory holding this share of a list's table or more is counted without its regions named (`count_rows`).
LARGE_SHARE = 0.25

# A planner's estimate this many times past the limit, and of this many rows at least, is taken without counting:
# the list is long. (Its estimates of the territories' lists at a million customers: 0.5–1.2 times the rows; of a
# table never analysed, a guess of a few dozen rows, which the floor keeps from standing for a count.)
FAR_PAST = 2
TRUSTED_FROM = 10_000


def count_rows(
    rows, *, exact_below: int, estimate_first: bool = False, regions: Callable[[], list[str]] | None = None
) -> tuple[int, bool]:
    """How many rows a list holds, and whether that is an estimate (`_count`)."""
    count, estimated, _keys = _count(rows, exact_below=exact_below, estimate_first=estimate_first, regions=regions)
    return count, estimated


def _count(
    rows,
    *,
    exact_below: int,
    estimate_first: bool = False,
    regions: Callable[[], list[str]] | None = None,
    with_keys: bool = False,
) -> tuple[int, bool, list | None]:
    """How many rows a list holds, whether that is an estimate, and, `with_keys`, the list's keys in its order
    where they were read to count it (else None).

    On PostgreSQL, with `estimate_first`, the planner's estimate of the list's own query (`EXPLAIN`, a millisecond),
    rounded to three significant figures, is asked first: FAR_PAST times `exact_below` or more (and TRUSTED_FROM
    rows at least), it stands for the count.
    Otherwise the count is exact up to `exact_below` rows, read by a `COUNT(*)` over at most `exact_below + 1` rows;
    past it, the estimate again, never below `exact_below`, which the list is known to pass. Elsewhere (the embedded
    SQLite of a demo) the list is counted.

    Counting the first rows is quick when they come early, not when the territory's rows come last in the order
    the plan reads them (a city of the third province of three: 1.2 s to find 5 001 of its visits past the two
    other provinces' 2.7 million; 0.7 s for 凉山's, the last city of one province, where counting all of its 24 937
    took 0.16 s), hence the estimate first.

    A list the estimate puts within `exact_below` rows, in one of REGION_ORDERS, has its keys read in its order
    to count it (`_keys_in_order`), and its page is then read by them: its few rows lie anywhere in the order of
    the index that serves it, and for the first of them PostgreSQL would walk that index over most of the table
    (headquarters searching for a rare two-character word, 109 customers of a million: the count 100 ms, then the
    code index walked for 300 ms).
    """
    if not isinstance(rows, QuerySet):
        return len(rows), False, None
    if rows.query.is_empty():  # `.none()`: nothing to ask the database
        return 0, False, None
    listed = rows
    rows = rows.order_by().values("pk")  # the list's own columns (subqueries, some) are not needed to count it
    connection = connections[rows.db]
    postgresql = connection.vendor == "postgresql"
    estimate = planned_rows(rows) if postgresql and estimate_first else None
    if estimate is not None and estimate >= max(exact_below * FAR_PAST, TRUSTED_FROM):
        return estimate, True, None
    # `regions`: the codes of the territory whose rows these are. Named in the count, they hold the same rows, and
    # the planner, which cannot tell from a path how many rows lie under it, reads a small territory's few matches
    # from the region index rather than the whole table (凉山's customers searched for a two-character word: 290 →
    # 30 ms). Only to count: a large territory's estimate (asked first) comes out the same either way.
    counted = rows.filter(region_id__in=regions()) if regions is not None and postgresql else rows
    keys = None
    if with_keys and estimate is not None and estimate <= exact_below:
        keys = _keys_in_order(listed, counted, exact_below + 1)
    capped = counted[: exact_below + 1].count() if keys is None else len(keys)
    if capped <= exact_below:
        return capped, False, keys
    if not postgresql:
        return rows.count(), False, None
    return max(planned_rows(rows) if estimate is None else estimate, exact_below), True, None


def _keys_in_order(listed: QuerySet, counted: QuerySet, limit: int) -> list | None:
    """The keys of `counted`, the rows of the list `listed`, in the list's order: at most `limit` of them, found
    as the plan finds them, then sorted. None for a list in none of REGION_ORDERS."""
    order = _region_order(listed)
    if order is None:
        return None
    names = [name.lstrip("-") for name in _ordering(listed)]
    try:
        sql, params = counted.values_list("pk", *names)[:limit].query.sql_with_params()
    except EmptyResultSet:
        return []
    columns = [f"o{number}" for number in range(len(order))]
    with connections[counted.db].cursor() as cursor:
        cursor.execute(
            f"SELECT pk FROM ({sql}) AS few (pk, {', '.join(columns)}) ORDER BY {_order_sql(columns, order)}", params
        )
        return [key for (key,) in cursor.fetchall()]


def planned_rows(rows: QuerySet) -> int:
    """The planner's estimate of how many rows a query returns, to three significant figures (PostgreSQL)."""
    try:
        sql, params = rows.query.sql_with_params()
    except EmptyResultSet:
        return 0
    with connections[rows.db].cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(float(f"{plan[0]['Plan']['Plan Rows']:.3g}"))
