"""GET/PUT /api/v1/customers/{code}/team/ (SPEC §5.1, §5.2, §8.2)."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.utils import timezone

from teams.models import TeamRole
from tests.factories import UserFactory

ROLES = [
    "customer_manager",
    "service_manager",
    "product_manager",
    "network_manager",
    "billing_manager",
    "second_manager",
]


def _team(**holders):
    return {role: None for role in ROLES} | {"assistants": []} | holders


def _put(client, code, body, language="en"):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client.put(f"/api/v1/customers/{code}/team/", body, format="json")


@pytest.mark.django_db
def test_the_team_shows_one_username_per_role_and_what_the_tier_still_needs(api, cast, tiered):
    body = api(cast["alice"]).get("/api/v1/customers/CD0001/team/").json()
    assert body == _team(customer_manager="alice") | {"complete": False, "missing": ["service_manager"]}
    assert api(cast["bob"]).get("/api/v1/customers/CD0002/team/").json()["complete"] is True  # tier C


@pytest.mark.django_db
def test_a_department_head_completes_a_team_and_the_history_is_kept(api, cast, tiered):
    response = _put(
        api(cast["dora"]), "CD0001", _team(customer_manager="bob", service_manager="alice", assistants=["dora"])
    )
    assert response.status_code == 200, response.content
    assert response.json()["complete"] is True
    assert response.json()["customer_manager"] == "bob"
    roles = TeamRole.objects.filter(customer=tiered["alice"]).order_by("id")
    assert [(r.user.username, r.role, r.ends_on) for r in roles] == [
        ("alice", "customer_manager", timezone.localdate()),
        ("bob", "customer_manager", None),
        ("alice", "service_manager", None),
        ("dora", "assistant", None),
    ]
    # the same PUT again changes nothing
    _put(api(cast["dora"]), "CD0001", _team(customer_manager="bob", service_manager="alice", assistants=["dora"]))
    assert TeamRole.objects.filter(customer=tiered["alice"]).count() == 4


@pytest.mark.django_db
def test_only_department_heads_and_above_change_teams_and_outsiders_get_404(api, cast, tiered, client):
    body = _team(customer_manager="alice")
    assert _put(api(cast["alice"]), "CD0001", body).status_code == 403
    assert _put(api(cast["carol"]), "CD0001", body).status_code == 404
    assert _put(api(cast["gd_paul"]), "CD0001", body).status_code == 404
    assert api(cast["carol"]).get("/api/v1/customers/CD0001/team/").status_code == 404
    assert client.get("/api/v1/customers/CD0001/team/").status_code == 401
    assert _put(api(cast["paul"]), "CD0001", body).status_code == 200


@pytest.mark.django_db
def test_a_role_for_staff_of_another_province_is_refused_naming_the_role(api, cast, tiered, territory):
    stranger = UserFactory(username="gz_am", region=territory["tianhe"])
    response = _put(api(cast["dora"]), "CD0001", _team(customer_manager="alice", service_manager=stranger.username))
    assert response.status_code == 400
    assert "another province" in response.json()["service_manager"][0]
    assert not TeamRole.objects.filter(user=stranger).exists()


@pytest.mark.django_db
def test_a_put_must_state_every_role_and_name_real_staff(api, cast, tiered):
    response = _put(api(cast["dora"]), "CD0001", {"customer_manager": "alice", "assistants": ["nobody"]})
    assert response.status_code == 400
    body = response.json()
    assert "service_manager" in body and "required" in body["service_manager"][0]
    assert "nobody" in str(body["assistants"])
    response = _put(api(cast["dora"]), "CD0001", _team(customer_manager="alice", complete=True))
    assert "read-only or unknown" in response.json()["complete"][0]


@pytest.mark.django_db
def test_the_database_holds_one_customer_manager_at_a_time(cast, tiered):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        TeamRole.objects.create(customer=tiered["alice"], user=cast["bob"], role="customer_manager")


@pytest.mark.django_db
def test_on_postgresql_no_two_customer_manager_periods_overlap_whatever_their_dates(cast, tiered):
    from django.db import IntegrityError, connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("exclusion constraints are PostgreSQL's")
    today = timezone.localdate()
    TeamRole.objects.filter(customer=tiered["alice"]).update(ends_on=today + datetime.timedelta(days=30))
    with pytest.raises(IntegrityError), transaction.atomic():
        TeamRole.objects.create(customer=tiered["alice"], user=cast["bob"], role="customer_manager", starts_on=today)
    # a handover on the day the old role ends is no overlap
    TeamRole.objects.create(
        customer=tiered["alice"],
        user=cast["bob"],
        role="customer_manager",
        starts_on=today + datetime.timedelta(days=30),
    )


@pytest.mark.django_db
def test_an_active_customer_keeps_its_customer_manager_the_role_moves_to_a_successor(api, cast, tiered):
    client = api(cast["dora"])
    response = _put(client, "CD0001", _team(customer_manager=None, service_manager="bob"))
    assert response.status_code == 400
    assert response.json()["customer_manager"] == [
        "An active customer keeps a customer manager: name the successor instead of leaving it empty."
    ]
    assert TeamRole.objects.active().get(customer=tiered["alice"], role="customer_manager").user == cast["alice"]
    assert _put(client, "CD0001", _team(customer_manager="bob")).status_code == 200, "a successor named"


@pytest.mark.django_db
def test_a_customer_without_a_manager_or_no_longer_active_may_have_none(api, cast, tiered):
    from accounts.models import Customer

    client = api(cast["dora"])
    TeamRole.objects.filter(customer=tiered["wuhou"]).delete()
    assert _put(client, "CD0002", _team(service_manager="alice")).status_code == 200, "never had one"
    Customer.objects.filter(pk=tiered["alice"].pk).update(status="churned")
    assert _put(client, "CD0001", _team()).status_code == 200, "a churned customer's team may be emptied"
