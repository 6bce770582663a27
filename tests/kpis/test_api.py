"""GET /api/v1/kpis/ (SPEC §8.2): one scope's KPIs of a month from the snapshots, under the visibility of §2."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from crm.periods import Period
from kpis.metrics import METRICS
from kpis.models import KpiSnapshot, KpiTarget
from kpis.services import kpi_compute

from .conftest import OCTOBER

pytestmark = pytest.mark.django_db
URL = "/api/v1/kpis/"


@pytest.fixture
def computed(province):
    kpi_compute(period=OCTOBER)
    return province


def _items(response) -> dict[str, dict]:
    assert response.status_code == 200, response.content
    return {item["metric"]: item for item in response.json()["results"]}


def test_items_carry_value_numerator_denominator_and_target(computed, cast, api):
    items = _items(api(cast["paul"]).get(URL, {"region": "510000", "period": "2026-10"}))
    assert list(items) == [metric.code for metric in METRICS]
    assert items["stability_rate"] == {
        "metric": "stability_rate",
        "label": "客户稳定率",
        "value": 0.833333,
        "numerator": 5,
        "denominator": 6,
        "target": 0.7,
        "on_target": True,
    }
    assert items["informatization_revenue"] | {"label": ""} == {
        "metric": "informatization_revenue",
        "label": "",
        "value": 1500.5,
        "numerator": 1500.5,
        "denominator": None,
        "target": None,
        "on_target": None,
    }
    assert items["tier_share_a"]["target"] == 0.05  # the quota of the rule set in force
    assert items["manager_overload_share"]["on_target"] is False  # 1 of 3 against a target of 0


def test_a_province_target_overrides_the_national_one(computed, cast, api, territory):
    KpiTarget.objects.create(metric="stability_rate", region=territory["root"], value="0.9")
    items = _items(api(cast["paul"]).get(URL, {"region": "510000", "period": "2026-10"}))
    assert (items["stability_rate"]["target"], items["stability_rate"]["on_target"]) == (0.9, False)
    KpiTarget.objects.create(metric="stability_rate", region=territory["sichuan"], value="0.8")
    items = _items(api(cast["paul"]).get(URL, {"region": "510000", "period": "2026-10"}))
    assert (items["stability_rate"]["target"], items["stability_rate"]["on_target"]) == (0.8, True)


def test_the_period_defaults_to_the_latest_month_and_the_scope_to_the_callers_own(computed, cast, api):
    department = _items(api(cast["dora"]).get(URL))  # dora heads the 成都 department
    assert department["tier_share_c"]["denominator"] == 5
    own = _items(api(cast["bob"]).get(URL))  # an account manager: their own customers
    assert own["stability_rate"]["denominator"] == 3
    province = _items(api(cast["paul"]).get(URL))
    assert province["tier_share_c"]["denominator"] == 6


def test_a_department_is_found_by_id_or_by_name(computed, cast, api):
    department = cast["dora"].department
    by_id = _items(api(cast["dora"]).get(URL, {"department": department.pk}))
    by_name = _items(api(cast["dora"]).get(URL, {"department": department.name}))
    assert by_id == by_name


@pytest.mark.parametrize(
    ("who", "query", "status"),
    [
        ("hq", {"region": "000000"}, 200),
        ("paul", {"region": "510000"}, 200),
        ("paul", {"manager": "carol"}, 200),
        ("paul", {"region": "000000"}, 404),  # the nation is more than his province
        ("gd_paul", {"region": "510000"}, 404),  # another province
        ("dora", {"region": "510100"}, 200),
        ("dora", {"region": "510104-G01"}, 200),
        ("dora", {"manager": "bob"}, 200),  # all bob's customers lie in 武侯, in her city
        ("dora", {"region": "510700"}, 404),  # another city
        ("dora", {"region": "510000"}, 404),
        ("dora", {"department": "绵阳市政企客户部"}, 404),
        ("dora", {"manager": "carol"}, 404),
        ("alice", {"manager": "alice"}, 200),  # the owner of her figures
        ("alice", {"manager": "bob"}, 404),  # a colleague of the same department
        ("alice", {"region": "510104"}, 404),  # her own county: she sees her customers, not all of it
        ("carol", {"department": "成都市政企客户部"}, 404),
        ("paul", {"region": "999999"}, 404),
        ("paul", {"manager": "nobody"}, 404),
    ],
)
def test_scopes_follow_the_visibility_rule(computed, cast, api, who, query, status):
    response = api(cast[who]).get(URL, {**query, "period": "2026-10"})
    assert response.status_code == status, response.content


def test_an_anonymous_caller_is_refused(computed):
    assert APIClient().get(URL, {"region": "510000"}).status_code == 401


@pytest.mark.parametrize(
    ("query", "status", "field", "message"),
    [
        ({"period": "2026-13"}, 400, "period", "A period is a month written YYYY-MM"),
        ({"period": "2999-01"}, 400, "period", "2999-01 is in the future"),
        ({"period": "2025-01"}, 404, "period", "There are no KPI snapshots of 2025-01"),
        ({"region": "510000", "manager": "bob"}, 400, "region", "Give one scope"),
    ],
)
def test_bad_input_names_the_field_and_the_rule(computed, cast, api, query, status, field, message):
    client = api(cast["paul"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(URL, query)
    assert response.status_code == status
    assert message in response.json()[field][0]


def test_chinese_by_default(computed, cast, api):
    response = api(cast["paul"]).get(URL, {"period": "2999-01"})
    assert "未来" in response.json()["period"][0]


def test_a_managers_month_that_reached_beyond_the_viewers_territory_is_not_shown(computed, cast, api, territory):
    kpi_compute(period=Period.of(timezone.localdate()))  # today all of bob's customers lie in 武侯
    KpiSnapshot.objects.filter(manager=cast["bob"], period=OCTOBER.start).update(extent=territory["sichuan"])
    dora = api(cast["dora"])
    assert dora.get(URL, {"manager": "bob"}).status_code == 200
    assert dora.get(URL, {"manager": "bob", "period": "2026-10"}).status_code == 404
    assert api(cast["paul"]).get(URL, {"manager": "bob", "period": "2026-10"}).status_code == 200


def test_the_endpoint_reads_a_fixed_number_of_queries(computed, cast, api, django_assert_num_queries):
    client = api(cast["paul"])
    # token, the scope's region, the latest month, the KPI targets, the tier
    # quotas, the snapshots, and the user's home region for the visibility check
    with django_assert_num_queries(7):
        assert client.get(URL, {"region": "510100"}).status_code == 200
