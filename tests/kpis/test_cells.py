"""The drill table's cells are marked up in Python (`kpis.views.Cell`): the same HTML `format_html` writes, every
value escaped unless it is already safe."""

import pytest
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

from kpis.views import Cell, Row


def as_format_html(cell: Cell) -> str:
    """What the cell was written as before, by `format_html`."""
    if cell.link:
        shown = format_html(
            '<a class="text-reset" data-drill-count="{}" href="{}">{}</a>', cell.link_count, cell.link, cell.display
        )
    else:
        shown = conditional_escape(cell.display)
    return format_html('<td class="num {}">{}</td>', cell.status, shown)


@pytest.mark.parametrize(
    "cell",
    [
        Cell("—"),
        Cell("87.5%", "text-success"),
        Cell("12", "text-danger fw-semibold", "/customers/?manager=7&tier=A", 12),
        Cell('<b>"x" & y</b>'),
        Cell(mark_safe("<span>1</span>"), "text-success"),
        Cell("3", "", '/customers/?q="<x>"', 3),
    ],
)
def test_a_cell_is_what_format_html_writes(cell):
    assert cell.__html__() == as_format_html(cell)


def test_a_row_joins_its_cells_marked_safe():
    cells = [Cell("<1>"), Cell("2", "text-success", "/c/?a=1&b=2", 2)]
    html = Row(scope=None, url="/", cells=cells).cells_html
    assert html == "".join(as_format_html(cell) for cell in cells)
    assert conditional_escape(html) == html  # safe: not escaped a second time by the template
    assert "&lt;1&gt;" in html and "a=1&amp;b=2" in html
