"""The unverified visits page (外勤签到, issue 17 point 4): the on-site visits of the customers one sees that their
check-in did not verify, for department heads, provincial staff and headquarters to review, with the reason, how far
off, and where the customer has no location yet, the button that makes an accurate check-in its location."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Customer
from teams.models import Visit
from tests.factories import VisitFactory

PAGE = "/visits/unverified/"

pytestmark = pytest.mark.django_db

ON_POSTGRES = connection.vendor == "postgresql"


def _days_ago(days: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


@pytest.fixture
def checked(cast, customers):
    """Check-ins across the territory: the Chengdu department's unverified ones (too far at alice's CD0001; no
    customer location yet at bob's CD0002, where a department head may set it), and around them what the page leaves
    out (a verified visit, a call) or shows only to those who see further (绵阳, 广州)."""
    alice, bob = cast["alice"], cast["bob"]
    Customer.objects.filter(pk=customers["alice"].pk).update(latitude=30.657, longitude=104.066)  # an imported one
    return {
        "too_far": VisitFactory(
            customer=customers["alice"],
            visitor=alice,
            visited_at=_days_ago(3),
            latitude=30.66,
            longitude=104.07,
            accuracy_m=30,
            distance_m=912.4,
            unverified_reason="too_far",
        ),
        "no_location": VisitFactory(
            customer=customers["wuhou"],
            visitor=bob,
            visited_at=_days_ago(1),
            latitude=30.64,
            longitude=104.04,
            accuracy_m=20,
            unverified_reason="no_customer_location",
        ),
        "no_check_in": VisitFactory(customer=customers["alice"], visitor=alice, visited_at=_days_ago(40)),
        "verified": VisitFactory(
            customer=customers["wuhou"],
            visitor=bob,
            visited_at=_days_ago(2),
            latitude=30.64,
            longitude=104.04,
            accuracy_m=15,
            distance_m=40,
            verified=True,
        ),
        "call": VisitFactory(
            customer=customers["alice"], visitor=alice, kind="phone", visited_at=_days_ago(0), unverified_reason=""
        ),
        "mianyang": VisitFactory(
            customer=customers["mianyang"],
            visitor=cast["carol"],
            visited_at=_days_ago(2),
            unverified_reason="no_position",
        ),
        "guangzhou": VisitFactory(
            customer=customers["guangzhou"],
            visitor=cast["gd_paul"],
            visited_at=_days_ago(2),
            unverified_reason="no_position",
        ),
    }


def _shown(response) -> list[int]:
    return [visit.pk for visit in response.context["page"]]


def test_a_department_head_sees_the_unverified_on_site_visits_of_the_department_newest_first(login, cast, checked):
    response = login(cast["dora"]).get(PAGE)
    assert response.status_code == 200
    assert _shown(response) == [checked["no_location"].pk, checked["too_far"].pk, checked["no_check_in"].pk]
    html = response.content.decode()
    assert "成都锦程科技有限公司" in html and "成都蜀道物流有限公司" in html
    assert 'href="/customers/CD0001/"' in html


def test_verified_visits_and_calls_are_left_out(login, cast, checked):
    shown = _shown(login(cast["dora"]).get(PAGE))
    assert checked["verified"].pk not in shown and checked["call"].pk not in shown


def test_another_departments_visits_are_not_shown_to_a_head(login, cast, checked):
    html = login(cast["dora"]).get(PAGE).content.decode()
    assert checked["mianyang"].pk not in _shown(login(cast["dora"]).get(PAGE))
    assert "绵阳长虹电子有限公司" not in html and "广州天河商贸有限公司" not in html


def test_provincial_staff_see_their_province_and_headquarters_every_one(login, cast, checked):
    sichuan = set(_shown(login(cast["paul"]).get(PAGE)))
    assert checked["mianyang"].pk in sichuan and checked["guangzhou"].pk not in sichuan
    assert set(_shown(login(cast["gd_paul"]).get(PAGE))) == {checked["guangzhou"].pk}
    assert len(_shown(login(cast["hq"]).get(PAGE))) == 5


def test_an_account_manager_is_refused(login, cast, checked):
    assert login(cast["alice"]).get(PAGE).status_code == 403


def test_anonymous_is_sent_to_the_login_page(client, checked):
    response = client.get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_reasons_filter_the_list(login, cast, checked):
    client = login(cast["dora"])
    assert _shown(client.get(PAGE, {"reason": "too_far"})) == [checked["too_far"].pk]
    assert _shown(client.get(PAGE, {"reason": "no_customer_location"})) == [checked["no_location"].pk]
    # a visit logged before check-ins existed was never checked: no reason stored
    assert _shown(client.get(PAGE, {"reason": "no_check_in"})) == [checked["no_check_in"].pk]
    assert _shown(client.get(PAGE, {"reason": "inaccurate"})) == []


def test_a_reason_not_offered_shows_the_error_and_no_row(login, cast, checked):
    response = login(cast["dora"]).get(PAGE, {"reason": "not_onsite"})
    assert response.context["filter"].errors.get("reason")
    assert _shown(response) == []


def test_the_dates_filter_the_list_by_local_day_both_included(login, cast, checked):
    client = login(cast["dora"])
    today = timezone.localdate()
    three_days_ago = timezone.localdate(checked["too_far"].visited_at)
    one_day_ago = timezone.localdate(checked["no_location"].visited_at)
    assert _shown(client.get(PAGE, {"visited_from": three_days_ago.isoformat()})) == [
        checked["no_location"].pk,
        checked["too_far"].pk,
    ]
    assert _shown(client.get(PAGE, {"visited_to": three_days_ago.isoformat()})) == [
        checked["too_far"].pk,
        checked["no_check_in"].pk,
    ]
    both = {"visited_from": one_day_ago.isoformat(), "visited_to": today.isoformat(), "reason": "too_far"}
    assert _shown(client.get(PAGE, both)) == []


def test_a_day_out_of_range_is_an_error_on_the_field(login, cast, checked):
    response = login(cast["dora"]).get(PAGE, {"visited_from": "0001-01-01"})
    assert response.status_code == 200
    assert response.context["filter"].errors.get("visited_from")
    assert _shown(response) == []


def test_each_row_tells_why_and_how_far_in_chinese(login, cast, checked):
    html = login(cast["dora"]).get(PAGE, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "距客户过远" in html and "912 米" in html and "30 米" in html
    assert "客户尚无位置" in html and "未签到" in html


def test_a_customer_without_a_location_offers_its_visits_position(login, cast, customers, checked):
    response = login(cast["dora"]).get(PAGE)
    html = response.content.decode()
    assert f'action="/visits/{checked["no_location"].pk}/confirm-location/"' in html
    # CD0001 has a confirmed location: its too-far visit does not replace it
    assert f'action="/visits/{checked["too_far"].pk}/confirm-location/"' not in html
    # the visit without a position has nothing to offer
    assert f'action="/visits/{checked["no_check_in"].pk}/confirm-location/"' not in html


def test_confirming_a_location_returns_to_the_list_and_verifies_the_visit(login, cast, customers, checked):
    client = login(cast["dora"])
    visit = checked["no_location"]
    response = client.post(f"/visits/{visit.pk}/confirm-location/", {"next": PAGE + "?reason=no_customer_location"})
    assert response.status_code == 302 and response["Location"] == PAGE + "?reason=no_customer_location"
    visit.refresh_from_db()
    assert visit.verified is True
    assert visit.pk not in _shown(client.get(PAGE))


def test_an_inaccurate_position_is_not_offered_as_the_location(login, cast, checked, settings):
    Visit.objects.filter(pk=checked["no_location"].pk).update(accuracy_m=settings.VISIT_CHECK_IN_ACCURACY_M + 1)
    html = login(cast["dora"]).get(PAGE).content.decode()
    assert 'data-testid="confirm-location"' not in html


def test_the_list_paginates(login, cast, customers, checked):
    for days in range(55):
        VisitFactory(customer=customers["wuhou"], visitor=cast["bob"], visited_at=_days_ago(days + 5))
    client = login(cast["dora"])
    first = client.get(PAGE, {"reason": "no_check_in"})
    assert first.context["page"].paginator.count == 56 and len(first.context["page"].object_list) == 50
    second = client.get(PAGE, {"reason": "no_check_in", "page": 2})
    assert len(second.context["page"].object_list) == 6
    assert "?reason=no_check_in&page=2" in first.content.decode()


def test_the_page_reads_a_fixed_number_of_queries(login, cast, customers, checked, django_assert_num_queries):
    for days in range(30):
        VisitFactory(customer=customers["wuhou"], visitor=cast["bob"], visited_at=_days_ago(days + 5))
    client = login(cast["dora"])
    # session, user (with her department and its region, her region and unread notifications), the count, one page
    # of visits with their customers and visitors: however many rows; on PostgreSQL the planner's estimate first and
    # the codes of her territory's regions (`crm.paginator`); a list the estimate puts within the exact count's
    # limit, as here, is counted by its keys, which the page is read by
    with django_assert_num_queries(4 + 2 * ON_POSTGRES):
        assert client.get(PAGE).status_code == 200


def test_the_head_finds_the_page_on_the_workbench_and_beside_the_team_pages(login, cast):
    client = login(cast["dora"])
    assert 'href="/visits/unverified/"' in client.get("/today/").content.decode()
    assert 'href="/visits/unverified/"' in client.get("/teams/incomplete/").content.decode()
    assert 'href="/visits/unverified/"' not in login(cast["alice"]).get("/today/").content.decode()
