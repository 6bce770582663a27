"""Verified field visits (外勤签到, issue 17 point 4): the distance and verification rules without a database, the
check-in on POST /api/v1/visits/, its bad inputs, the unverified filter, and the customer's location confirmed by
a department head."""

from __future__ import annotations

import math

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Customer
from teams import rules
from teams.models import Visit
from teams.rules import Standard, VisitFact, check_in_verification, distance_m, visit_status
from tests.factories import TeamRoleFactory, VisitFactory

URL = "/api/v1/visits/"
# 天府广场, Chengdu
HOME = (30.657, 104.066)
# One metre north is this many degrees of latitude (on the haversine's sphere).
METRE = 180 / (math.pi * rules.EARTH_RADIUS_M)


def north_of(position: tuple[float, float], metres: float) -> tuple[float, float]:
    return (position[0] + metres * METRE, position[1])


# -- the pure rules ------------------------------------------------------------------------------------------------


def test_distance_of_a_point_to_itself_is_zero():
    assert distance_m(*HOME, *HOME) == 0


def test_distance_of_one_degree_along_the_equator_is_about_111_km():
    assert distance_m(0, 0, 0, 1) == pytest.approx(111_195, abs=1)


def test_distance_is_symmetric_and_metres_north_are_metres():
    there = north_of(HOME, 500)
    assert distance_m(*HOME, *there) == pytest.approx(500, abs=0.01)
    assert distance_m(*HOME, *there) == pytest.approx(distance_m(*there, *HOME))


def test_distance_between_chengdu_and_beijing_is_about_1520_km():
    assert distance_m(*HOME, 39.9042, 116.4074) == pytest.approx(1_520_000, rel=0.01)


def test_antipodes_do_not_fail_on_rounding():
    assert distance_m(0, 0, 0, 180) == pytest.approx(math.pi * rules.EARTH_RADIUS_M)


def _verify(position=HOME, accuracy=20.0, customer=HOME, kind="onsite", radius=500, limit=200):
    return check_in_verification(
        kind=kind,
        position=position,
        accuracy_m=accuracy,
        customer_location=customer,
        radius_m=radius,
        accuracy_limit_m=limit,
    )


def test_an_on_site_check_in_near_the_customer_is_verified():
    result = _verify(position=north_of(HOME, 120))
    assert result == rules.Verification(120.0, True, "")


@pytest.mark.parametrize(("metres", "verified"), [(499.9, True), (500, True), (500.2, False), (2000, False)])
def test_the_radius_is_included(metres, verified):
    result = _verify(position=north_of(HOME, metres))
    assert result.verified is verified
    assert result.reason == ("" if verified else rules.TOO_FAR)


@pytest.mark.parametrize(
    ("accuracy", "reason"), [(0, ""), (200, ""), (200.1, rules.INACCURATE), (1500, rules.INACCURATE)]
)
def test_the_accuracy_limit_is_included(accuracy, reason):
    result = _verify(accuracy=accuracy)
    assert result.reason == reason
    assert result.verified is (reason == "")


def test_a_position_without_accuracy_is_kept_but_not_verified():
    result = _verify(accuracy=None)
    assert result == rules.Verification(0.0, False, rules.NO_ACCURACY)


def test_without_a_position_or_a_customer_location_nothing_is_verified():
    assert _verify(position=None) == rules.Verification(None, False, rules.NO_POSITION)
    assert _verify(customer=None) == rules.Verification(None, False, rules.NO_CUSTOMER_LOCATION)


def test_only_an_on_site_visit_is_verified_though_the_distance_is_given():
    result = _verify(kind="phone", position=north_of(HOME, 10))
    assert (result.verified, result.reason, result.distance_m) == (False, rules.NOT_ONSITE, 10.0)


def test_a_province_counting_only_verified_visits_ignores_the_others():
    import datetime

    today = datetime.date(2026, 11, 20)
    standard = Standard(("customer_manager",), "month", 1)
    unverified = VisitFact(datetime.date(2026, 11, 3), "onsite", "customer_manager")
    phone = VisitFact(datetime.date(2026, 11, 4), "phone", "customer_manager", verified=False)
    verified = VisitFact(datetime.date(2026, 11, 5), "onsite", "customer_manager", verified=True)
    assert visit_status(standard, [unverified, phone], today).met
    assert not visit_status(standard, [unverified, phone], today, verified_only=True).met
    assert visit_status(standard, [unverified, verified], today, verified_only=True).met


# -- the API contract ----------------------------------------------------------------------------------------------


@pytest.fixture
def located(customers):
    """alice's customer with an imported location at 天府广场."""
    Customer.objects.filter(pk=customers["alice"].pk).update(
        latitude=HOME[0], longitude=HOME[1], location_source="import"
    )
    customers["alice"].refresh_from_db()
    return customers


def _post(client, language="en", **data):
    body = {"customer": "CD0001", "summary": "上门了解专线扩容需求"} | data
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client.post(URL, body, format="json")


@pytest.mark.django_db
def test_a_check_in_on_site_gives_the_distance_and_verifies_the_visit(api, cast, located):
    near = north_of(HOME, 80)
    response = _post(api(cast["alice"]), latitude=near[0], longitude=near[1], accuracy_m=15)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["latitude"] == pytest.approx(near[0])
    assert body["longitude"] == pytest.approx(near[1])
    assert body["accuracy_m"] == 15
    assert body["distance_m"] == pytest.approx(80, abs=0.1)
    assert body["verified"] is True
    assert body["unverified_reason"] == ""
    assert "Verified on site, 80 m" in body["verification"]
    visit = Visit.objects.get()
    assert (visit.verified, round(visit.distance_m)) == (True, 80)
    assert api(cast["alice"]).get(f"{URL}{visit.pk}/").json()["verified"] is True


@pytest.mark.django_db
def test_a_visit_without_check_in_is_logged_as_before_and_not_verified(api, cast, located):
    response = _post(api(cast["alice"]))
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["latitude"], body["distance_m"], body["verified"]) == (None, None, False)
    assert body["unverified_reason"] == "no_position"


@pytest.mark.django_db
def test_the_check_in_costs_no_query_beyond_a_visit_without_one(api, cast, located):
    """The customer's location comes with the customer the serializer loads: the check-in reads nothing more."""
    client = api(cast["alice"])
    _post(client)  # warm up: the first request loads what every request then has cached
    with CaptureQueriesContext(connection) as plain:
        assert _post(client).status_code == 201
    with CaptureQueriesContext(connection) as checked_in:
        assert _post(client, latitude=HOME[0], longitude=HOME[1], accuracy_m=10).status_code == 201
    assert len(checked_in) == len(plain)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"latitude": 91, "longitude": 104}, "latitude", "between -90 and 90"),
        ({"latitude": -90.5, "longitude": 104}, "latitude", "between -90 and 90"),
        ({"latitude": 30, "longitude": 180.01}, "longitude", "between -180 and 180"),
        ({"latitude": 30, "longitude": "east"}, "longitude", "valid number"),
        ({"latitude": 30}, "longitude", "together with the latitude"),
        ({"longitude": 104}, "latitude", "together with the longitude"),
        ({"latitude": 30, "longitude": 104, "accuracy_m": -1}, "accuracy_m", "0 or more"),
        ({"distance_m": 3}, "distance_m", "read-only"),
        ({"verified": True}, "verified", "read-only"),
    ],
)
def test_a_bad_position_is_a_400_naming_the_field_and_nothing_is_saved(api, cast, located, data, field, message):
    response = _post(api(cast["alice"]), **data)
    assert response.status_code == 400
    assert message in " ".join(response.json()[field]), response.json()
    assert not Visit.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("accuracy", "reason", "said"),
    [
        (None, "no_accuracy", "came without its accuracy"),
        (350, "inaccurate", "accurate to 350 m, worse than the 200 m allowed"),
    ],
)
def test_a_position_without_good_accuracy_is_kept_not_verified_and_said_so(api, cast, located, accuracy, reason, said):
    data = {"latitude": HOME[0], "longitude": HOME[1]} | ({"accuracy_m": accuracy} if accuracy is not None else {})
    response = _post(api(cast["alice"]), **data)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["verified"], body["unverified_reason"], body["distance_m"]) == (False, reason, 0)
    assert said in body["verification"]
    assert Visit.objects.get().latitude == HOME[0]


@pytest.mark.django_db
def test_a_check_in_far_away_says_how_far(api, cast, located):
    far = north_of(HOME, 1200)
    body = _post(api(cast["alice"]), latitude=far[0], longitude=far[1], accuracy_m=30).json()
    assert (body["verified"], body["unverified_reason"]) == (False, "too_far")
    assert "1200 m from the customer, beyond the 500 m allowed" in body["verification"]


@pytest.mark.django_db
def test_the_messages_are_in_chinese_by_default(api, cast, located):
    body = _post(api(cast["alice"]), language="zh-hans", latitude=HOME[0], longitude=HOME[1]).json()
    assert "未核验" in body["verification"], body["verification"]


@pytest.mark.django_db
def test_the_radius_and_accuracy_limit_are_settings(api, cast, located, settings):
    settings.VISIT_CHECK_IN_RADIUS_M = 50
    settings.VISIT_CHECK_IN_ACCURACY_M = 10
    near = north_of(HOME, 80)
    body = _post(api(cast["alice"]), latitude=near[0], longitude=near[1], accuracy_m=5).json()
    assert body["unverified_reason"] == "too_far"
    body = _post(api(cast["alice"]), latitude=HOME[0], longitude=HOME[1], accuracy_m=15).json()
    assert body["unverified_reason"] == "inaccurate"


@pytest.mark.django_db
def test_the_check_in_is_not_moved_afterwards_but_a_check_out_is_added(api, cast, located):
    client = api(cast["alice"])
    visit_id = _post(client, latitude=HOME[0], longitude=HOME[1], accuracy_m=10).json()["id"]
    moved = client.patch(f"{URL}{visit_id}/", {"latitude": 31.0}, format="json")
    assert moved.status_code == 400
    assert "cannot be changed" in " ".join(moved.json()["latitude"])
    out = client.patch(
        f"{URL}{visit_id}/",
        {"checkout_latitude": HOME[0], "checkout_longitude": HOME[1], "checkout_accuracy_m": 12},
        format="json",
    )
    assert out.status_code == 200, out.content
    assert out.json()["checked_out_at"] is not None
    assert out.json()["verified"] is True


@pytest.mark.django_db
def test_an_unconfirmed_location_from_a_visit_is_not_checked_against(api, cast, located):
    Customer.objects.filter(pk=located["alice"].pk).update(location_source="visit", location_confirmed_at=None)
    body = _post(api(cast["alice"]), latitude=HOME[0], longitude=HOME[1], accuracy_m=10).json()
    assert (body["verified"], body["unverified_reason"]) == (False, "no_customer_location")


# -- department heads see the unverified ones ----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_unverified_filter_lists_on_site_visits_not_verified(api, cast, located):
    customer = located["alice"]
    verified = VisitFactory(customer=customer, visitor=cast["alice"], verified=True, distance_m=10)
    unverified = VisitFactory(customer=customer, visitor=cast["alice"], unverified_reason="too_far")
    VisitFactory(customer=customer, visitor=cast["alice"], kind="phone")
    VisitFactory(customer=located["guangzhou"], visitor=cast["hq"])  # outside dora's territory
    client = api(cast["dora"])
    assert [row["id"] for row in client.get(URL, {"verified": "false"}).json()["results"]] == [unverified.pk]
    assert [row["id"] for row in client.get(URL, {"verified": "true"}).json()["results"]] == [verified.pk]


# -- the customer's location, confirmed by a department head -------------------------------------------------------


@pytest.mark.django_db
def test_a_department_head_makes_a_visits_position_the_customers_location(api, cast, customers):
    there = north_of(HOME, 30)
    body = _post(api(cast["alice"]), latitude=there[0], longitude=there[1], accuracy_m=25).json()
    assert body["unverified_reason"] == "no_customer_location"
    response = api(cast["dora"]).post(f"{URL}{body['id']}/confirm-location/")
    assert response.status_code == 200, response.content
    assert (response.json()["verified"], response.json()["distance_m"]) == (True, 0)
    customer = Customer.objects.get(pk=customers["alice"].pk)
    assert customer.location == pytest.approx(there)
    assert (customer.location_source, customer.location_confirmed_by) == ("visit", cast["dora"])
    assert customer.location_confirmed_at is not None
    # the next visit is checked against it
    near = north_of(there, 100)
    assert _post(api(cast["alice"]), latitude=near[0], longitude=near[1], accuracy_m=25).json()["verified"] is True


@pytest.mark.django_db
def test_an_account_manager_cannot_confirm_a_location(api, cast, customers):
    visit_id = _post(api(cast["alice"]), latitude=HOME[0], longitude=HOME[1], accuracy_m=25).json()["id"]
    response = api(cast["alice"]).post(f"{URL}{visit_id}/confirm-location/")
    assert response.status_code == 403
    assert Customer.objects.get(pk=customers["alice"].pk).latitude is None


@pytest.mark.django_db
def test_a_department_head_of_another_territory_does_not_find_the_visit(api, cast, customers, territory):
    from tests.factories import DepartmentFactory, UserFactory

    dept = DepartmentFactory(name="广州市政企客户部", region=territory["guangzhou"])
    head = UserFactory(username="gz_head", role="department_head", region=territory["guangzhou"], department=dept)
    dept.head = head
    dept.save()
    visit_id = _post(api(cast["alice"]), latitude=HOME[0], longitude=HOME[1], accuracy_m=25).json()["id"]
    assert api(head).post(f"{URL}{visit_id}/confirm-location/").status_code == 404


@pytest.mark.django_db
def test_an_inaccurate_check_in_cannot_become_the_location(api, cast, customers):
    visit_id = _post(api(cast["alice"]), latitude=HOME[0], longitude=HOME[1], accuracy_m=900).json()["id"]
    response = api(cast["dora"]).post(f"{URL}{visit_id}/confirm-location/")
    assert response.status_code == 400
    assert "精度不足" in str(response.json())  # in Chinese, the default language


@pytest.mark.django_db
def test_the_confirm_button_on_the_customer_page(login, cast, customers, api):
    visit_id = _post(api(cast["alice"]), latitude=HOME[0], longitude=HOME[1], accuracy_m=25).json()["id"]
    page = login(cast["dora"]).get("/customers/CD0001/")
    assert f"/visits/{visit_id}/confirm-location/" in page.content.decode()
    assert (
        f"/visits/{visit_id}/confirm-location/" not in login(cast["alice"]).get("/customers/CD0001/").content.decode()
    )
    assert login(cast["alice"]).post(f"/visits/{visit_id}/confirm-location/").status_code == 403
    response = login(cast["dora"]).post(f"/visits/{visit_id}/confirm-location/", {"next": "/customers/CD0001/"})
    assert response.status_code == 302
    assert Customer.objects.get(pk=customers["alice"].pk).location == pytest.approx(HOME)
    page = login(cast["dora"]).get("/customers/CD0001/").content.decode()
    assert 'data-testid="visit-verified"' in page
    assert "来自走访签到，由" in page  # the customer's location, and who confirmed it


@pytest.mark.django_db
def test_the_customer_page_marks_unverified_on_site_visits(login, cast, located):
    TeamRoleFactory(customer=located["alice"], user=cast["bob"], role="service_manager")
    VisitFactory(customer=located["alice"], visitor=cast["bob"], unverified_reason="too_far", distance_m=900)
    page = login(cast["dora"]).get("/customers/CD0001/").content.decode()
    assert 'data-testid="visit-unverified"' in page
    assert "900" in page
