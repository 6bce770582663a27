"""Idempotency-Key on the POSTs that create: a retry with the same key gets the first answer and writes nothing."""

from __future__ import annotations

import pytest
from django.conf import settings

from accounts.models import GroupMember, KeyPerson
from teams.models import Visit

pytestmark = pytest.mark.django_db

VISITS = "/api/v1/visits/"


def _post(client, url, body, key=None):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(url, body, format="json", **headers)


def test_a_visit_sent_twice_with_one_key_is_stored_once(api, cast, customers):
    client = api(cast["alice"])
    body = {"customer": "CD0001", "summary": "了解专线扩容需求"}
    first = _post(client, VISITS, body, key="visit-1")
    again = _post(client, VISITS, body, key="visit-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Visit.objects.count() == 1
    assert _post(client, VISITS, body, key="visit-2").status_code == 201, "a new key is a new visit"
    assert _post(client, VISITS, body).status_code == 201, "no key: every POST creates"
    assert Visit.objects.count() == 3


def test_a_key_reused_for_another_body_is_refused(api, cast, customers):
    client = api(cast["alice"])
    _post(client, VISITS, {"customer": "CD0001", "summary": "一"}, key="k")
    response = _post(client, VISITS, {"customer": "CD0001", "summary": "二"}, key="k")
    assert response.status_code == 422
    assert "another request" in response.json()["detail"]
    assert Visit.objects.count() == 1


def test_a_failed_request_leaves_its_key_free_for_the_corrected_one(api, cast, customers):
    client = api(cast["alice"])
    assert _post(client, VISITS, {"customer": "CD0001", "summary": ""}, key="k").status_code == 400
    assert _post(client, VISITS, {"customer": "CD0001", "summary": "补上摘要"}, key="k").status_code == 201


def test_keys_are_per_user(api, cast, customers):
    body = {"customer": "CD0001", "summary": "拜访"}
    assert _post(api(cast["alice"]), VISITS, body, key="same").status_code == 201
    assert _post(api(cast["dora"]), VISITS, body, key="same").status_code == 201
    assert Visit.objects.count() == 2


def test_key_persons_and_members_too(api, cast, customers):
    client = api(cast["alice"])
    person = {"name": "王强", "title": "信息中心主任", "mobile": "13800001111"}
    for _attempt in range(2):
        assert _post(client, "/api/v1/customers/CD0001/key-persons/", person, key="p").status_code == 201
    assert KeyPerson.objects.filter(name="王强").count() == 1
    member = {"mobile": "13900002222", "name": "李娜"}
    for _attempt in range(2):
        assert _post(client, "/api/v1/customers/CD0001/members/", member, key="m").status_code == 201
    assert GroupMember.objects.filter(mobile="13900002222").count() == 1


def test_an_overlong_key_is_a_400(api, cast, customers):
    response = _post(api(cast["alice"]), VISITS, {"customer": "CD0001", "summary": "x"}, key="k" * 256)
    assert response.status_code == 400 and "Idempotency-Key" in response.json()["detail"]


def test_the_schema_documents_the_header(staff_client):
    schema = staff_client.get("/api/schema/", {"format": "json"}).json()
    post = schema["paths"]["/api/v1/visits/"]["post"]
    assert any(parameter["name"] == "Idempotency-Key" for parameter in post["parameters"])


def test_keys_past_their_day_are_swept_at_night_and_a_swept_key_is_free_again(api, cast, customers):
    import datetime

    from django.utils import timezone

    from crm.models import IdempotencyRecord
    from crm.tasks import idempotency_keys_sweep

    client = api(cast["alice"])
    body = {"customer": "CD0001", "summary": "拜访"}
    _post(client, VISITS, body, key="old")
    _post(client, VISITS, body, key="new")
    IdempotencyRecord.objects.filter(key="old").update(
        created_at=timezone.now() - datetime.timedelta(days=1, minutes=1)
    )
    assert idempotency_keys_sweep() == 1  # as the worker runs it at 03:30
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
    assert _post(client, VISITS, body, key="old").status_code == 201
    assert Visit.objects.count() == 3


def test_a_key_past_its_day_not_yet_swept_is_free_again(api, cast, customers):
    import datetime

    from django.utils import timezone

    from crm.models import IdempotencyRecord

    client = api(cast["alice"])
    body = {"customer": "CD0001", "summary": "拜访"}
    _post(client, VISITS, body, key="old")
    IdempotencyRecord.objects.update(created_at=timezone.now() - datetime.timedelta(days=1, minutes=1))
    again = _post(client, VISITS, body, key="old")
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert Visit.objects.count() == 2
    assert IdempotencyRecord.objects.get().created_at > timezone.now() - datetime.timedelta(minutes=1)
