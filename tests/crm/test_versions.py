"""No lost update (issue 16, point 1): an editable resource is served with an ETag; a change sent with a stale
If-Match is refused (412) with who changed it, when, and the values now; edits of different fields made at once
all persist; the page refuses a save made on a stale copy and shows both values."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from accounts.models import Customer
from crm.models import AuditEntry
from teams.models import TeamRole

pytestmark = pytest.mark.django_db


def test_a_customer_is_served_with_its_etag_and_a_change_gives_a_new_one(api, cast, customers):
    client = api(cast["dora"])
    first = client.get("/api/v1/customers/CD0001/")
    assert first["ETag"].startswith('"') and len(first["ETag"]) > 10
    assert client.get("/api/v1/customers/CD0001/")["ETag"] == first["ETag"]  # stable while nothing changes
    changed = client.patch(
        "/api/v1/customers/CD0001/", {"handset_count": 11}, format="json", HTTP_IF_MATCH=first["ETag"]
    )
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]
    assert client.get("/api/v1/customers/CD0001/")["ETag"] == changed["ETag"]


def test_a_change_on_a_stale_etag_is_refused_with_who_when_and_the_values_now(api, cast, customers):
    dora, paul = api(cast["dora"]), api(cast["paul"])
    seen = dora.get("/api/v1/customers/CD0001/")["ETag"]
    assert paul.patch("/api/v1/customers/CD0001/", {"handset_count": 20}, format="json").status_code == 200
    refused = dora.patch("/api/v1/customers/CD0001/", {"handset_count": 30}, format="json", HTTP_IF_MATCH=seen)
    assert refused.status_code == 412
    body = refused.json()
    assert body["changed_by"] == "paul" and body["changed_at"]
    assert body["current"] == {"handset_count": 20}
    assert "paul" in body["detail"]
    assert Customer.objects.get(code="CD0001").handset_count == 20
    assert refused["ETag"] == dora.get("/api/v1/customers/CD0001/")["ETag"]
    # W/ prefixes, lists and * are read as RFC 9110 says.
    weak = dora.patch(
        "/api/v1/customers/CD0001/", {"handset_count": 31}, format="json", HTTP_IF_MATCH=f'"x", W/{refused["ETag"]}'
    )
    assert weak.status_code == 200
    assert (
        dora.patch("/api/v1/customers/CD0001/", {"handset_count": 32}, format="json", HTTP_IF_MATCH="*").status_code
        == 200
    )


def test_a_page_save_over_a_change_made_meanwhile_shows_both_values(login, cast, customers):
    client = login(cast["dora"])
    form = client.get("/customers/CD0001/edit/").context["form"]
    data = {name: form[name].value() if form[name].value() is not None else "" for name in form.fields}
    data.pop("code")
    Customer.objects.filter(code="CD0001").update(handset_count=999)  # someone else, meanwhile
    AuditEntry.objects.create(
        username="paul",
        source="api",
        action="update",
        object_type="accounts.customer",
        object_id=str(customers["alice"].pk),
        customer_id=customers["alice"].pk,
    )
    data["handset_count"] = 5
    refused = client.post("/customers/CD0001/edit/", data)
    assert refused.status_code == 200
    assert Customer.objects.get(code="CD0001").handset_count == 999
    page = refused.content.decode()
    assert "paul" in page and "data-conflicts" in page
    assert list(refused.context["form"].conflicts)[0][1:] == (5, 999)
    # Saving again, knowingly, on the version it was shown, keeps the user's value.
    data["version"] = refused.context["form"].data["version"]
    assert client.post("/customers/CD0001/edit/", data).status_code == 302
    assert Customer.objects.get(code="CD0001").handset_count == 5


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL's row locks")
@pytest.mark.django_db(transaction=True)
def test_parallel_patches_of_different_fields_all_persist(api, cast, customers):
    fields = {
        "handset_count": 101,
        "employee_count": 102,
        "monthly_spend": "103.00",
        "informatization_revenue": "104.00",
        "address": "锦江区一号",
        "name": "并发测试公司",
        "is_tax_top500": True,
        "is_major_influence": True,
    }
    clients = {name: api(cast["dora"]) for name in fields}
    answers: dict[str, int] = {}
    start = threading.Barrier(len(fields))

    def patch(name):
        start.wait()
        try:
            answers[name] = (
                clients[name].patch("/api/v1/customers/CD0001/", {name: fields[name]}, format="json").status_code
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=patch, args=(name,)) for name in fields]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(answers.values()) == {200}
    stored = Customer.objects.values(*fields).get(code="CD0001")
    assert {
        name: str(value) if name.endswith(("spend", "revenue")) else value for name, value in stored.items()
    } == fields
    # one entry for each edit, each with its own field (the tier a change moves has entries of its own)
    edits = AuditEntry.objects.filter(customer_code="CD0001", action="update").exclude(changes__has_key="tier")
    assert sorted(key for entry in edits for key in entry.changes) == sorted(fields)


def test_a_team_change_on_a_stale_etag_is_refused_and_the_change_is_in_the_history(api, cast, customers):
    dora, paul = api(cast["dora"]), api(cast["paul"])
    seen = dora.get("/api/v1/customers/CD0001/team/")["ETag"]
    team = {"customer_manager": "alice", "second_manager": None, "service_manager": None, "billing_manager": None}
    team |= {"product_manager": None, "network_manager": None}
    changed = paul.put(
        "/api/v1/customers/CD0001/team/", {**team, "service_manager": "bob", "assistants": []}, format="json"
    )
    assert changed.status_code == 200, changed.json()
    assert changed["ETag"] != seen
    refused = dora.put(
        "/api/v1/customers/CD0001/team/", {**team, "assistants": ["bob"]}, format="json", HTTP_IF_MATCH=seen
    )
    assert refused.status_code == 412
    assert refused.json()["changed_by"] == "paul"
    history = dora.get("/api/v1/customers/CD0001/history/").json()["results"]
    assert {"service_manager": [None, "bob"]} in [item["changes"] for item in history]


def test_a_recompute_records_each_tier_it_changes_as_the_job_s(cast, customers, territory):
    from tiering.services import tier_recompute

    Customer.objects.filter(code="CD0002").update(handset_count=100_000, tier="C", computed_tier="C")
    tier_recompute(scope=territory["root"], triggered_by=cast["paul"])
    entry = AuditEntry.objects.get(customer_code="CD0002", changes__has_key="tier")
    assert entry.changes["tier"][0] == "C" and entry.changes["tier"][1] != "C"
    assert (entry.username, entry.object_type) == ("paul", "accounts.customer")
    assert AuditEntry.objects.filter(action="run", username="paul").exists()


def test_a_team_page_save_over_a_change_made_meanwhile_shows_both_lineups(login, api, cast, customers):
    client = login(cast["dora"])
    form = client.get("/customers/CD0001/team/").context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    # paul names a service manager meanwhile
    team = {role: None for role in ("second_manager", "service_manager", "billing_manager", "product_manager")}
    team |= {"customer_manager": "alice", "network_manager": None, "service_manager": "bob", "assistants": []}
    assert api(cast["paul"]).put("/api/v1/customers/CD0001/team/", team, format="json").status_code == 200
    data["assistants"] = "bob"
    refused = client.post("/customers/CD0001/team/", data)
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "paul" in page and "data-conflicts" in page
    assert TeamRole.objects.active().filter(customer=customers["alice"], role="assistant").count() == 0
    data["version"] = refused.context["form"].data["version"]  # saving again, knowingly
    assert client.post("/customers/CD0001/team/", data).status_code == 302
    assert TeamRole.objects.active().filter(customer=customers["alice"], role="assistant").count() == 1
