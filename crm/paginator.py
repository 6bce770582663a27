"""Pagination of lists whose length is already known (`CountedPaginator`), is not counted (`OpenPaginator`), or is
counted exactly only while it is short (`EstimatingPaginator`)."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from .models import Region

# A page that skips this many rows of a query set or more reads its keys first, its rows after (`OpenPaginator._rows`).
DEFERRED_FROM = 1_000


class CountedPaginator(Paginator):
    """A paginator told how many objects the list holds, for lists whose length the caller has counted more cheaply
    than `COUNT(*)` of the list's own query could."""

    def __init__(self, object_list, per_page, *, count: int, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


class OpenPage(Page):
    """A page of an `OpenPaginator`: whether another follows is known from the row read past its end."""

    def __init__(self, object_list, number, paginator, *, more: bool):
        super().__init__(object_list, number, paginator)
        self.more = more

    def has_next(self) -> bool:
        return self.more


class OpenPaginator(Paginator):
    """A paginator that never counts the list: each page reads one row more than it shows, to know whether another
    page follows. For a live list whose length is known only roughly (a nightly count, said as of when) or would
    cost a pass over a territory to count: no page is promised that the list does not hold, none is hidden.
    Its pages say their number, not of how many (`includes/pagination.html`: `paginator.open`)."""

    open = True

    def __init__(self, object_list, per_page, *, territory: str | None = None, **kwargs):
        """`territory`: the path of the territory the list is the customers (or rows with a `region`) of, when it is
        one (`crm.visibility.territory_path` of a department head or provincial staff): pages in code order are
        then read region by region (`_territory_keys`)."""
        super().__init__(object_list, per_page, **kwargs)
        self.territory = territory

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
        rows = self._rows(bottom, bottom + self.per_page + 1)
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

    def _rows(self, bottom: int, top: int) -> list:
        """The rows `bottom` to `top` of the list. Deep in a query set (`DEFERRED_FROM` rows skipped or more), the
        keys of the page are found first and its rows read after by key: PostgreSQL computes the columns of every
        row an `OFFSET` skips, and a list's columns can be subqueries (a customer's profile checks, 50 000 of them
        on page 1 000). Keys come from the list's indexes alone."""
        rows = self.object_list
        keys = _territory_keys(rows, self.territory, bottom, top) if self.territory else None
        if keys is None:
            if bottom < DEFERRED_FROM or not isinstance(rows, QuerySet):
                return list(rows[bottom:top])
            keys = list(rows.values_list("pk", flat=True)[bottom:top])
        found = rows.order_by().in_bulk(keys)
        return [found[key] for key in keys if key in found]


# Pages are read region by region while they end within this many rows of the list (five pages of 50): deeper,
# `top` rows of each region would outgrow the list's own walk.
TERRITORY_TOP_MAX = 250
# A value no region has, standing in one region's query for each region of the territory in turn.
_EACH_REGION = "\x00region"


def _territory_keys(rows, territory: str, bottom: int, top: int) -> list | None:
    """The keys of the rows `bottom` to `top` of a list in code order, read region by region: each region's first
    `top` rows from the index on (region, code) (`LATERAL`, once per region under `territory`), the page cut from
    them by code. None where this does not apply (another order, another database, a deep page), and the list is
    read as it is.

    A territory's list read in code order and filtered by territory walks every row of the territories whose codes
    come before its own (issue 19: 凉山's head, the last city of a province, waited 490 ms for a page that 成都's
    head read in 2 ms); region by region it reads at most `top` rows of each of its regions (凉山's nine: 2 ms; a
    province's 193: 10–15 ms)."""
    if not isinstance(rows, QuerySet) or top > TERRITORY_TOP_MAX:
        return None
    ordering = rows.query.order_by or (rows.model._meta.ordering if rows.query.default_ordering else ())
    if list(ordering) != ["code"]:
        return None
    connection = connections[rows.db]
    if connection.vendor != "postgresql" or not hasattr(rows.model, "region_id"):
        return None
    branch = rows.filter(region_id=_EACH_REGION).order_by("code").values_list("pk", "code")[:top]
    try:
        sql, params = branch.query.sql_with_params()
    except EmptyResultSet:  # a list that can hold nothing, e.g. of a territory without regions
        return []
    pieces = sql.split("%s")
    where = [index for index, param in enumerate(params) if param == _EACH_REGION]
    if len(where) != 1 or len(pieces) != len(params) + 1 or "%%" in sql:
        return None
    # the region's placeholder becomes the region of the row of `each` (a column, not a parameter)
    each_sql = "".join(piece + ("each.code" if index == where[0] else "%s") for index, piece in enumerate(pieces[:-1]))
    each_sql += pieces[-1]
    each_params = [param for index, param in enumerate(params) if index != where[0]]
    region = connection.ops.quote_name(Region._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT page.col1 FROM (SELECT code FROM {region} WHERE starts_with(path, %s)) AS each (code) "
            f"CROSS JOIN LATERAL ({each_sql}) AS page (col1, col2) ORDER BY page.col2 LIMIT %s OFFSET %s",
            [territory, *each_params, top - bottom, bottom],
        )
        return [key for (key,) in cursor.fetchall()]


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
        return count_rows(self.object_list, exact_below=self.exact_below, estimate_first=self.estimate_first)

    @property
    def count(self) -> int:  # type: ignore[override]
        return self._counted[0]

    @property
    def estimated(self) -> bool:
        return self._counted[1]

    @property  # type: ignore[override]
    def open(self) -> bool:
        return self.estimated

    def validate_number(self, number) -> int:
        return super().validate_number(number) if self.estimated else Paginator.validate_number(self, number)

    def page(self, number) -> Page:
        if self.estimated:
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return self._get_page(self._rows(bottom, top), number, self)

    def get_page(self, number) -> Page:
        return super().get_page(number) if self.estimated else Paginator.get_page(self, number)


# A planner's estimate this many times past the limit, and of this many rows at least, is taken without counting:
# the list is long. (Its estimates of the territories' lists at a million customers: 0.5–1.2 times the rows; of a
# table never analysed, a guess of a few dozen rows, which the floor keeps from standing for a count.)
FAR_PAST = 2
TRUSTED_FROM = 10_000


def count_rows(rows, *, exact_below: int, estimate_first: bool = False) -> tuple[int, bool]:
    """How many rows a list holds, and whether that is an estimate.

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
    """
    if not isinstance(rows, QuerySet):
        return len(rows), False
    if rows.query.is_empty():  # `.none()`: nothing to ask the database
        return 0, False
    rows = rows.order_by().values("pk")  # the list's own columns (subqueries, some) are not needed to count it
    connection = connections[rows.db]
    postgresql = connection.vendor == "postgresql"
    estimate = _planned_rows(rows) if postgresql and estimate_first else None
    if estimate is not None and estimate >= max(exact_below * FAR_PAST, TRUSTED_FROM):
        return estimate, True
    capped = rows[: exact_below + 1].count()
    if capped <= exact_below:
        return capped, False
    if not postgresql:
        return rows.count(), False
    return max(_planned_rows(rows) if estimate is None else estimate, exact_below), True


def _planned_rows(rows: QuerySet) -> int:
    """The planner's estimate of how many rows a query returns, to three significant figures."""
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
