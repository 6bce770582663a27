"""The scope a user keeps (`crm.permissions.kept_scope`): the national root for headquarters, their province for
provincial staff, none for anyone else — asked by the thresholds, targets, commission rules and settlement runs
instead of each re-reading roles; a member of staff without a home region gets a refusal, never a server error."""

from __future__ import annotations

import pytest

from crm.permissions import kept_scope
from partners.forms import rule_scopes
from partners.selectors import settlement_runs_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_kept_scope(cast, territory):
    assert kept_scope(cast["hq"]) == territory["root"]
    assert kept_scope(cast["paul"]) == territory["sichuan"]
    assert kept_scope(cast["gd_paul"]) == territory["guangdong"]
    assert kept_scope(cast["dora"]) is None and kept_scope(cast["alice"]) is None


def test_rule_scopes_and_settlement_runs(cast, territory):
    assert set(rule_scopes(cast["paul"])) == {territory["sichuan"]}
    assert set(rule_scopes(cast["hq"])) == {territory["root"], territory["sichuan"], territory["guangdong"]}
    assert not rule_scopes(cast["dora"]).exists()
    assert not settlement_runs_for(cast["dora"]).exists()


@pytest.fixture
def homeless(territory):
    return UserFactory(username="nomad", role="provincial_staff", region=None)


@pytest.mark.parametrize("url", ["/arrears/thresholds/", "/kpis/targets/", "/kpis/product-targets/"])
def test_staff_without_a_home_region_are_refused_not_crashed(homeless, login, url):
    assert login(homeless).get(url).status_code in (403, 404)


def test_the_arrears_admin_without_a_home_region(homeless, customers):
    from django.contrib.admin.sites import site
    from django.test import RequestFactory

    from arrears.models import ArrearsCase, ArrearsThreshold

    request = RequestFactory().get("/admin/")
    request.user = homeless
    assert list(site._registry[ArrearsCase].get_queryset(request)) == []
    assert list(site._registry[ArrearsThreshold].get_queryset(request)) == []
    assert not rule_scopes(homeless).exists() and not settlement_runs_for(homeless).exists()
