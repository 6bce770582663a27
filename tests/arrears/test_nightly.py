"""The nightly arrears work (issue 21): thresholds are data, a province's own over the national ones; a lowered
threshold opens cases at night; running it twice changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from arrears.models import ArrearsCase, ArrearsThreshold, CustomerArrears
from arrears.services import arrears_thresholds_set
from arrears.tasks import arrears_cases_nightly

pytestmark = pytest.mark.django_db


@pytest.fixture
def owing(customers, collectors):
    customers["alice"].tier = "B"
    customers["alice"].save()
    CustomerArrears.objects.create(customer=customers["alice"], amount=Decimal("15000"), period=timezone.localdate())
    return customers["alice"]


def test_a_province_lowering_its_threshold_opens_cases_tonight_once(owing, cast, territory):
    assert arrears_cases_nightly() == {"opened": 0, "closed": 0, "updated": 0}  # B: 20 000 nationally
    arrears_thresholds_set(user=cast["paul"], region=territory["sichuan"], amounts={"B": Decimal("12000")})
    assert arrears_cases_nightly()["opened"] == 1
    assert ArrearsCase.objects.get().threshold == Decimal("12000.00")
    assert arrears_cases_nightly() == {"opened": 0, "closed": 0, "updated": 0}


def test_another_provinces_threshold_does_not_apply(owing, cast, territory):
    arrears_thresholds_set(user=cast["gd_paul"], region=territory["guangdong"], amounts={"B": Decimal("1000")})
    assert arrears_cases_nightly()["opened"] == 0


def test_thresholds_are_kept_by_the_right_people(cast, territory):
    with pytest.raises(PermissionDenied):
        arrears_thresholds_set(user=cast["dora"], region=territory["sichuan"], amounts={"A": Decimal("1")})
    with pytest.raises(PermissionDenied):
        arrears_thresholds_set(user=cast["paul"], region=territory["root"], amounts={"A": Decimal("1")})
    with pytest.raises(PermissionDenied):
        arrears_thresholds_set(user=cast["paul"], region=territory["guangdong"], amounts={"A": Decimal("1")})
    arrears_thresholds_set(user=cast["hq"], region=territory["root"], amounts={"A": Decimal("60000")})
    assert ArrearsThreshold.objects.get().amount == Decimal("60000.00")
    with pytest.raises(ValidationError):
        arrears_thresholds_set(user=cast["hq"], region=territory["root"], amounts={"A": Decimal("0")})
    arrears_thresholds_set(user=cast["hq"], region=territory["root"], amounts={"A": None})
    assert not ArrearsThreshold.objects.exists()


def test_the_thresholds_page(cast, login, territory):
    page = login(cast["paul"]).post("/arrears/thresholds/", {"A": "40000", "B": "", "C": "", "A+": ""})
    assert page.status_code == 302
    assert ArrearsThreshold.objects.get(region=territory["sichuan"], tier="A").amount == Decimal("40000")
    refused = login(cast["paul"]).post("/arrears/thresholds/", {"A": "-1"})
    assert refused.status_code == 400
    assert login(cast["alice"]).get("/arrears/thresholds/").status_code == 403
