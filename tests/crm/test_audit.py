"""The audit trail (issue 16, point 6): who changed what, when, through which channel, with each field's old and
new value; read as a customer's history by whoever sees the customer and on the audit list by provincial staff
(their province) and headquarters; append-only."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import translation

from accounts.models import Customer
from accounts.services import customer_update
from crm.models import AuditEntry

pytestmark = pytest.mark.django_db


def _label(field: str) -> str:
    with translation.override("zh-hans"):
        return str(Customer._meta.get_field(field).verbose_name)


def test_an_api_edit_is_recorded_with_who_channel_and_each_changed_field(api, cast, customers):
    response = api(cast["dora"]).patch(
        "/api/v1/customers/CD0001/", {"handset_count": 777, "name": "成都锦程科技集团"}, format="json"
    )
    assert response.status_code == 200
    entry = AuditEntry.objects.get(customer_code="CD0001", action="update", changes__has_key="name")
    assert entry.username == "dora"
    assert entry.source == "api"
    assert entry.object_type == "accounts.customer"
    assert entry.changes == {
        "handset_count": [customers["alice"].handset_count, 777],
        "name": ["成都锦程科技有限公司", "成都锦程科技集团"],
    }
    assert entry.address == "127.0.0.1"


def test_an_edit_that_changes_nothing_records_nothing(api, cast, customers):
    client = api(cast["dora"])
    client.patch("/api/v1/customers/CD0001/", {"handset_count": 700}, format="json")
    entries = AuditEntry.objects.filter(customer_code="CD0001", action="update").count()
    assert entries >= 1
    client.patch("/api/v1/customers/CD0001/", {"handset_count": 700}, format="json")
    assert AuditEntry.objects.filter(customer_code="CD0001", action="update").count() == entries


def test_a_page_edit_is_recorded_as_the_page_s(login, cast, customers):
    client = login(cast["dora"])
    form = client.get("/customers/CD0001/edit/").context["form"]
    data = {name: form[name].value() if form[name].value() is not None else "" for name in form.fields}
    data["handset_count"] = 4321
    data.pop("code")
    response = client.post("/customers/CD0001/edit/", data)
    assert response.status_code == 302, response.context and response.context["form"].errors
    entry = AuditEntry.objects.get(customer_code="CD0001", action="update", changes__has_key="handset_count")
    assert (entry.source, entry.username, entry.changes["handset_count"][1]) == ("page", "dora", 4321)


def test_a_command_s_write_is_the_command_s(cast, customers):
    customer_update(user=cast["dora"], customer=Customer.objects.get(code="CD0001"), data={"employee_count": 9})
    assert AuditEntry.objects.get(customer_code="CD0001", changes__has_key="employee_count").source == "command"


def test_the_customer_history_lists_its_changes_newest_first(api, cast, customers):
    client = api(cast["dora"])
    client.patch("/api/v1/customers/CD0001/", {"handset_count": 1}, format="json")
    client.patch("/api/v1/customers/CD0001/", {"handset_count": 2}, format="json")
    response = client.get("/api/v1/customers/CD0001/history/")
    assert response.status_code == 200
    items = [item for item in response.json()["results"] if "handset_count" in item["changes"]]
    assert [item["changes"]["handset_count"] for item in items[:2]] == [[1, 2], [customers["alice"].handset_count, 1]]
    assert set(items[0]) >= {"at", "user", "source", "action", "changes"}
    assert items[0]["user"] == "dora"


def test_an_outsider_and_the_anonymous_get_no_history(api, cast, customers, client):
    assert api(cast["carol"]).get("/api/v1/customers/CD0001/history/").status_code == 404
    assert client.get("/api/v1/customers/CD0001/history/").status_code == 401


def test_the_audit_list_is_for_provincial_staff_of_their_province_and_headquarters(api, cast, customers):
    api(cast["dora"]).patch("/api/v1/customers/CD0001/", {"handset_count": 5}, format="json")
    api(cast["hq"]).patch("/api/v1/customers/GZ0001/", {"handset_count": 6}, format="json")
    seen = {
        name: {item["customer"] for item in api(cast[name]).get("/api/v1/audit/?action=update").json()["results"]}
        for name in ("paul", "gd_paul", "hq")
    }
    assert seen == {"paul": {"CD0001"}, "gd_paul": {"GZ0001"}, "hq": {"CD0001", "GZ0001"}}
    assert api(cast["dora"]).get("/api/v1/audit/").status_code == 403
    assert api(cast["alice"]).get("/api/v1/audit/").status_code == 403


def test_the_audit_list_filters(api, cast, customers):
    api(cast["dora"]).patch("/api/v1/customers/CD0001/", {"handset_count": 5}, format="json")
    api(cast["hq"]).patch("/api/v1/customers/CD0002/", {"handset_count": 6}, format="json")
    client = api(cast["hq"])
    by_user = client.get("/api/v1/audit/", {"user": "dora", "action": "update"}).json()["results"]
    assert {item["customer"] for item in by_user} == {"CD0001"}
    by_customer = client.get("/api/v1/audit/", {"customer": "CD0002"}).json()["results"]
    assert {item["user"] for item in by_customer} == {"hq"}
    assert client.get("/api/v1/audit/", {"since": "2999-01-01"}).json()["count"] == 0
    assert client.get("/api/v1/audit/", {"until": "2000-01-01"}).json()["count"] == 0
    refused = client.get("/api/v1/audit/", {"since": "yesterday"})
    assert refused.status_code == 400 and "since" in refused.json()


def test_a_refusal_and_sign_ins_are_recorded(api, cast, customers, client):
    api(cast["alice"]).get("/api/v1/audit/")
    refused = AuditEntry.objects.get(action="refused")
    assert (refused.username, refused.detail["path"]) == ("alice", "/api/v1/audit/")
    cast["alice"].set_password("Right-pass-2026")
    cast["alice"].save()
    client.post("/login/", {"username": "alice", "password": "wrong"})
    client.post("/login/", {"username": "alice", "password": "Right-pass-2026"})
    failed = AuditEntry.objects.get(action="login_failed")
    assert (failed.username, failed.user_id, failed.source) == ("alice", None, "page")
    assert failed.region_path == cast["alice"].region.path
    assert AuditEntry.objects.get(action="login").user_id == cast["alice"].pk


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the append-only trigger is PostgreSQL's")
def test_the_trail_is_append_only(api, cast, customers):
    api(cast["dora"]).patch("/api/v1/customers/CD0001/", {"handset_count": 5}, format="json")
    for write in (
        lambda: AuditEntry.objects.update(username="mallory"),
        lambda: AuditEntry.objects.all().delete(),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            write()
    assert AuditEntry.objects.filter(username="dora").exists()


def test_the_audit_page_lists_filters_and_exports_for_provincial_staff(login, api, cast, customers):
    api(cast["dora"]).patch("/api/v1/customers/CD0001/", {"handset_count": 5}, format="json")
    client = login(cast["paul"])
    page = client.get("/audit/", {"user": "dora"})
    assert page.status_code == 200
    assert "CD0001" in page.content.decode() and _label("handset_count") in page.content.decode()
    export = client.get("/audit/", {"user": "dora", "export": "csv"})
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    assert "CD0001" in text and "dora" in text
    exported = AuditEntry.objects.get(action="export", username="paul")
    assert exported.detail["filter"] == {"user": "dora"} and exported.detail["rows"] >= 1


def test_the_audit_page_is_refused_to_others_and_asks_the_anonymous_to_sign_in(login, cast, client):
    assert login(cast["dora"]).get("/audit/").status_code == 403
    assert client.get("/audit/").status_code == 302


def test_the_history_tab_shows_the_customer_s_changes_to_those_who_see_it(login, api, cast, customers, client):
    api(cast["dora"]).patch("/api/v1/customers/CD0001/", {"handset_count": 5}, format="json")
    page = login(cast["alice"]).get("/customers/CD0001/history/")
    assert page.status_code == 200 and _label("handset_count") in page.content.decode()
    assert "handset_count" not in page.content.decode()  # fields by their names in the user's language
    assert login(cast["carol"]).get("/customers/CD0001/history/").status_code == 404
    assert client.get("/customers/CD0001/history/").status_code == 302


def test_whole_numbers_shown_to_someone_not_the_customer_s_manager_are_recorded(login, cast, customers):
    login(cast["alice"]).get("/customers/CD0001/")  # alice is its customer manager
    assert not AuditEntry.objects.filter(action="reveal").exists()
    login(cast["dora"]).get("/customers/CD0001/")
    shown = AuditEntry.objects.get(action="reveal")
    assert (shown.username, shown.customer_code, shown.detail["numbers"]) == ("dora", "CD0001", 1)


def test_a_tier_list_export_is_recorded_with_its_filter_and_rows(api, cast, customers):
    response = api(cast["dora"]).get("/api/v1/exports/tier-list.csv", {"region": "510100"})
    assert response.status_code == 200, response.content[:200]
    exported = AuditEntry.objects.get(action="export")
    assert exported.detail["filter"] == {"region": "510100"}
    assert exported.detail["rows"] == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the plan is PostgreSQL's")
def test_a_provinces_audit_list_reads_its_own_newest_entries_by_index(cast, customers):
    """A province's staff read their newest entries through the province's index (issue 19, point 3): read
    backwards by id alone, a quiet province's list skipped every newer entry of the other provinces first."""
    from crm.audit import visible_to

    def entries(path: str, count: int) -> list[AuditEntry]:
        return [AuditEntry(action="update", object_type="accounts.customer", region_path=path) for _ in range(count)]

    # Sichuan's few entries are older than Guangdong's many
    AuditEntry.objects.bulk_create([*entries("000000/510000/510100/", 20), *entries("000000/440000/440100/", 5000)])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE crm_auditentry")
        sql, params = visible_to(cast["paul"]).order_by("-id")[:25].query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "audit_province_idx" in plan, plan
    assert set(visible_to(cast["paul"]).values_list("region_path", flat=True)) == {"000000/510000/510100/"}
