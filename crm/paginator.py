"""Pagination of lists whose length is already known (`CountedPaginator`) or is not counted (`OpenPaginator`)."""

from __future__ import annotations

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _


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
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
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
