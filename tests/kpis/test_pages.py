"""The dashboard page (SPEC §7): any scope the user sees, read from the snapshots, figures linked to customers."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from crm.periods import Period
from kpis.models import KpiJobRun
from kpis.services import kpi_chunk_failed, kpi_compute, kpi_run_finish, kpi_run_start

from .conftest import OCTOBER

pytestmark = pytest.mark.django_db
URL = "/kpis/"


@pytest.fixture
def computed(province):
    kpi_compute(period=OCTOBER)
    return kpi_compute(period=Period.of(timezone.localdate()))


def _english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_a_department_head_lands_on_her_departments_dashboard(computed, cast, login):
    response = _english(login(cast["dora"])).get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="scope-label">成都市政企客户部<' in page
    assert 'data-testid="kpi-team_completeness_rate"' in page
    assert "plotly/plotly-basic.min" in page  # charts from our own static files, the partial bundle (issue 18)
    assert "plotly/plotly.min" not in page
    assert 'data-testid="load-table"' in page  # manager load, against the 50 line
    assert "bob" in page and 'class="overloaded"' in page  # 51 customers
    assert 'data-testid="drill-table"' in page  # her managers, to drill down to
    assert "Data as of" in page


def test_the_province_overview_shows_its_cities_side_by_side_sortable(computed, cast, login):
    client = _english(login(cast["paul"]))
    page = client.get(URL, {"sort": "tier_share_c", "dir": "desc"}).content.decode()
    table = page[page.index('data-testid="drill-table"') :]
    assert table.index("成都市") < table.index("绵阳市")  # 成都 60 % C, 绵阳 0 %
    page = client.get(URL, {"sort": "tier_share_c", "dir": "asc"}).content.decode()
    table = page[page.index('data-testid="drill-table"') :]
    assert table.index("绵阳市") < table.index("成都市")
    assert "Tier quota report" in page


def test_drilling_down_goes_city_county_grid(computed, cast, login):
    client = _english(login(cast["paul"]))
    city = client.get(URL, {"region": "510100"}).content.decode()
    assert "锦江区" in city and "成都市政企客户部" in city  # counties and the city's department
    county = client.get(URL, {"region": "510104"}).content.decode()
    assert "春熙路网格" in county
    department = client.get(URL, {"department": "成都市政企客户部"}).content.decode()
    assert "manager=bob" in department


def test_an_earlier_month_is_history_without_links(computed, cast, login):
    page = _english(login(cast["dora"])).get(URL, {"period": "2026-10"}).content.decode()
    assert "An earlier month" in page
    assert 'data-testid="kpi-link"' not in page


@pytest.mark.parametrize(
    ("who", "query"),
    [
        ("dora", {"region": "510700"}),
        ("dora", {"manager": "carol"}),
        ("alice", {"manager": "bob"}),
        ("gd_paul", {"region": "510000"}),
    ],
)
def test_a_scope_the_user_does_not_see_is_not_found(computed, cast, login, who, query):
    assert login(cast[who]).get(URL, query).status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in(computed):
    response = Client().get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize(
    ("period", "message"),
    [("2026-13", "A period is a month written YYYY-MM"), ("2999-01", "2999-01 is in the future")],
)
def test_a_bad_period_is_refused_with_its_reason(computed, cast, login, period, message):
    response = _english(login(cast["dora"])).get(URL, {"period": period})
    assert response.status_code == 400
    assert message in response.content.decode()


def test_a_failed_night_keeps_the_figures_and_says_so(computed, cast, login):
    run = kpi_run_start(period=Period(computed.period), as_of=computed.as_of, source="nightly", chunks_total=1)
    kpi_chunk_failed(run_id=run.pk, first_id=1, last_id=9, error="OperationalError()")
    kpi_run_finish(run_id=run.pk, results=[])
    page = _english(login(cast["dora"])).get(URL).content.decode()
    assert 'data-testid="job-failed"' in page
    assert f"Data as of {computed.as_of:%Y-%m-%d}" in page
    assert 'data-testid="kpi-team_completeness_rate"' in page
    assert KpiJobRun.objects.filter(status="failed").count() == 1


def test_the_dashboard_reads_a_fixed_number_of_queries(computed, cast, login, django_assert_max_num_queries):
    client = login(cast["dora"])
    with django_assert_max_num_queries(25):
        assert client.get(URL).status_code == 200


def test_an_account_manager_sees_her_own_figures_on_her_home_page(province, cast, login):
    response = login(cast["alice"]).get("/customers/")
    mine = response.context["mine"]
    # alice manages c1 (A, whole team, 3 of 200 handsets' members on net) and c2 (B, no service manager, 1 of 100)
    assert (mine.totals["customers"], mine.totals["tier_a"], mine.totals["tier_b"], mine.totals["tier_c"]) == (
        2,
        1,
        1,
        0,
    )
    assert mine.team_gaps == 1
    assert mine.coverage == "1.3%" and mine.coverage_target == "27.0%"
    page = response.content.decode()
    assert 'data-testid="my-figures"' in page and 'data-testid="my-team-gaps">1<' in page


def test_other_roles_have_no_figures_strip(province, cast, login):
    assert login(cast["dora"]).get("/customers/").context["mine"] is None
