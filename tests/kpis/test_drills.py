"""Every figure that counts customers links to a customer list of exactly that many (SPEC §7)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from crm.periods import Period
from kpis import selectors
from kpis.drills import DRILLS
from kpis.services import kpi_compute

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("who", "scope"),
    [("paul", {"region": "510000"}), ("dora", {"department": "成都市政企客户部"}), ("bob", {"manager": "bob"})],
)
def test_the_list_behind_each_figure_has_as_many_customers_as_it_says(province, cast, api, who, scope):
    period = Period.of(timezone.localdate())
    kpi_compute(period=period)
    user = cast[who]
    found = selectors.scope_for(user, **scope)
    figures = selectors.figures(found, period)
    counted = 0
    for code, drill in DRILLS.items():
        if drill.count is None:
            continue
        figure = figures[code]
        query = {**found.customer_filter, **drill.filters(period), "page_size": 1}
        response = api(user).get("/api/v1/customers/", query)
        assert response.status_code == 200, response.content
        assert response.json()["count"] == drill.count(figure.numerator, figure.denominator), code
        counted += 1
    assert counted == 10
