"""The Django admin: provincial staff maintain reference data and see only their province's customers."""

import pytest

pytestmark = pytest.mark.django_db


def test_provincial_staff_see_only_their_province_in_the_admin(login, cast, customers):
    cast["paul"].is_staff = True
    cast["paul"].save()
    response = login(cast["paul"]).get("/admin/accounts/customer/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "CD0001" in html and "MY0001" in html
    assert "GZ0001" not in html
    assert login(cast["paul"]).get(f"/admin/accounts/customer/{customers['guangzhou'].pk}/change/").status_code == 302


def test_provincial_staff_edit_a_customer_in_the_admin(login, cast, customers):
    cast["paul"].is_staff = True
    cast["paul"].save()
    customer = customers["mianyang"]
    url = f"/admin/accounts/customer/{customer.pk}/change/"
    data = {
        "code": customer.code,
        "name": "绵阳长虹电子股份有限公司",
        "uscc": customer.uscc,
        "industry": "C39",
        "region": "510703",
        "address": customer.address,
        "list_level": "city",
        "handset_count": "130",
        "employee_count": "150",
        "monthly_spend": "5000.00",
        "informatization_revenue": "0",
        "status": "active",
        "key_persons-TOTAL_FORMS": "0",
        "key_persons-INITIAL_FORMS": "0",
    }
    response = login(cast["paul"]).post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    customer.refresh_from_db()
    assert customer.name == "绵阳长虹电子股份有限公司" and customer.handset_count == 130
    # a key person added on the same page, in its inline: in the customer's history, as is the edit (once)
    from crm.models import AuditEntry

    inline = {
        "key_persons-TOTAL_FORMS": "1",
        "key_persons-0-name": "李经理",
        "key_persons-0-title": "信息中心经理",
        "key_persons-0-mobile": "13900002222",
        "key_persons-0-customer": str(customer.pk),
    }
    # (the inline is for those with Django's own permissions on key persons: a superuser here)
    cast["hq"].is_staff = cast["hq"].is_superuser = True
    cast["hq"].save()
    assert login(cast["hq"]).post(url, data | inline).status_code == 302
    (added,) = AuditEntry.objects.filter(customer_id=customer.pk, object_type="accounts.keyperson")
    assert (added.action, added.source, added.changes["mobile"]) == ("create", "admin", [None, "13900002222"])
    # and deleted there: the entry keeps the row's id and values
    removal = inline | {"key_persons-INITIAL_FORMS": "1", "key_persons-0-id": added.object_id}
    assert login(cast["hq"]).post(url, data | removal | {"key_persons-0-DELETE": "on"}).status_code == 302
    deleted = AuditEntry.objects.get(customer_id=customer.pk, object_type="accounts.keyperson", action="delete")
    assert (deleted.object_id, deleted.changes["name"]) == (added.object_id, ["李经理", None])
    edits = AuditEntry.objects.filter(
        customer_id=customer.pk, object_type="accounts.customer", changes__has_key="handset_count"
    )
    assert [edit.changes["handset_count"][1] for edit in edits] == [130]  # the service's entry, not the admin's too


def test_account_managers_have_no_admin(login, cast):
    response = login(cast["alice"]).get("/admin/accounts/customer/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_anonymous_has_no_admin(client, customers):
    assert client.get("/admin/accounts/customer/").status_code == 302


@pytest.fixture
def paul_admin(login, cast):
    cast["paul"].is_staff = True
    cast["paul"].save()
    return login(cast["paul"])


def test_provincial_staff_cannot_reach_staff_outside_their_province(paul_admin, cast):
    assert paul_admin.get(f"/admin/crm/user/{cast['hq'].pk}/change/").status_code == 302
    assert paul_admin.get(f"/admin/crm/user/{cast['hq'].pk}/password/").status_code in (302, 404)
    assert paul_admin.get(f"/admin/crm/user/{cast['gd_paul'].pk}/change/").status_code == 302
    listing = paul_admin.get("/admin/crm/user/").content.decode()
    assert ">alice<" in listing and ">gd_paul<" not in listing


def test_provincial_staff_cannot_make_anyone_headquarters(paul_admin, cast):
    paul = cast["paul"]
    url = f"/admin/crm/user/{paul.pk}/change/"
    response = paul_admin.post(
        url,
        {
            "username": "paul",
            "role": "hq_admin",
            "region": "510000",
            "is_superuser": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors.get("role")
    paul.refresh_from_db()
    assert paul.role == "provincial_staff" and not paul.is_superuser


def test_provincial_staff_cannot_attach_people_to_customers_they_cannot_see(paul_admin, cast, customers):
    from accounts.models import KeyPerson
    from teams.models import TeamRole

    response = paul_admin.post(
        "/admin/accounts/keyperson/add/",
        {
            "customer": customers["guangzhou"].pk,
            "name": "",
            "title": "",
            "mobile": "",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors.get("customer")
    assert "广州天河商贸有限公司" not in response.content.decode()
    assert not KeyPerson.objects.filter(customer=customers["guangzhou"]).exists()
    response = paul_admin.post(
        "/admin/teams/teamrole/add/",
        {
            "customer": customers["mianyang"].pk,
            "user": cast["gd_paul"].pk,
            "role": "network_manager",
            "starts_on": "2026-01-01",
        },
    )
    assert response.context["adminform"].form.errors.get("user")
    assert not TeamRole.objects.filter(user=cast["gd_paul"]).exists()


def test_departments_and_regions_stay_within_reach(paul_admin, cast, territory):
    from crm.models import Department

    guangdong = Department.objects.create(name="广州市政企客户部", region=territory["guangzhou"])
    assert paul_admin.get(f"/admin/crm/department/{guangdong.pk}/change/").status_code == 302
    chengdu = Department.objects.get(name="成都市政企客户部")
    response = paul_admin.post(
        f"/admin/crm/department/{chengdu.pk}/change/",
        {
            "name": chengdu.name,
            "region": "000000",
            "head": cast["dora"].pk,
        },
    )
    assert response.context["adminform"].form.errors.get("region")
    chengdu.refresh_from_db()
    assert chengdu.region_id == "510100"
    # Regions are national reference data: provincial staff read them, headquarters changes them.
    assert paul_admin.get("/admin/crm/region/510100/change/").status_code == 200
    response = paul_admin.post("/admin/crm/region/510100/change/", {"code": "510100", "name": "改名", "level": "city"})
    assert response.status_code == 403


def test_customer_autocomplete_offers_only_visible_customers(paul_admin, customers):
    response = paul_admin.get(
        "/admin/autocomplete/",
        {"app_label": "accounts", "model_name": "keyperson", "field_name": "customer", "term": ""},
    )
    assert response.status_code == 200
    offered = {row["text"] for row in response.json()["results"]}
    assert any("CD0001" in text for text in offered)
    assert not any("GZ0001" in text for text in offered)


def test_every_write_made_in_the_admin_is_in_the_audit_trail(paul_admin, cast, customers):
    """Direct saves, inline rows and deletions alike, through the channel `admin`, with each field's values."""
    from accounts.models import KeyPerson
    from crm.models import AuditEntry

    mianyang = customers["mianyang"]
    response = paul_admin.post(
        "/admin/accounts/keyperson/add/",
        {"customer": mianyang.pk, "name": "王主任", "title": "办公室主任", "mobile": "13800001111"},
    )
    assert response.status_code == 302, response.content.decode()[:1500]
    person = KeyPerson.objects.get(mobile="13800001111")
    added = AuditEntry.objects.get(object_type="accounts.keyperson", object_id=str(person.pk), action="create")
    assert (added.source, added.username, added.customer_id) == ("admin", "paul", mianyang.pk)
    assert added.changes["title"] == [None, "办公室主任"]
    paul_admin.post(
        f"/admin/accounts/keyperson/{person.pk}/change/",
        {"customer": mianyang.pk, "name": "王主任", "title": "副总经理", "mobile": "13800001111"},
    )
    changed = AuditEntry.objects.get(object_type="accounts.keyperson", object_id=str(person.pk), action="update")
    assert changed.changes == {"title": ["办公室主任", "副总经理"]}
    # a member of staff changed: the role, never the password's hash
    staff = cast["alice"]
    before = staff.password
    paul_admin.post(
        f"/admin/crm/user/{staff.pk}/change/",
        {
            "username": staff.username,
            "role": "department_head",
            "region": staff.region_id,
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
            "is_active": "on",
        },
    )
    (entry,) = AuditEntry.objects.filter(object_type="crm.user", object_id=str(staff.pk), action="update")
    assert entry.changes["role"] == ["account_manager", "department_head"]
    assert "password" not in entry.changes and before not in str(entry.changes)
    # deleted, by headquarters
    cast["hq"].is_staff = True
    cast["hq"].save()
    from django.test import Client

    hq = Client()
    hq.force_login(cast["hq"])
    assert hq.post(f"/admin/accounts/keyperson/{person.pk}/delete/", {"post": "yes"}).status_code == 302
    deleted = AuditEntry.objects.get(object_type="accounts.keyperson", object_id=str(person.pk), action="delete")
    assert deleted.changes["mobile"] == ["13800001111", None] and deleted.username == "hq"


def test_a_password_set_in_the_admin_is_in_the_trail_without_its_hash(paul_admin, cast):
    from crm.models import AuditEntry

    staff = cast["alice"]
    response = paul_admin.post(
        f"/admin/crm/user/{staff.pk}/password/",
        {"password1": "Another#Pass2026", "password2": "Another#Pass2026", "usable_password": "true"},
    )
    assert response.status_code == 302, response.content.decode()[:1500]
    staff.refresh_from_db()
    (entry,) = AuditEntry.objects.filter(object_type="crm.user", object_id=str(staff.pk))
    assert (entry.username, entry.source, entry.changes) == ("paul", "admin", {"password": ["***", "***"]})
    assert staff.password not in str(entry.changes)


def test_the_admin_carries_the_products_name_in_chinese_by_default(login, cast):
    cast["hq"].is_staff = cast["hq"].is_superuser = True
    cast["hq"].save()
    html = login(cast["hq"]).get("/admin/").content.decode()
    assert "<title>系统管理 | 集团客户管理系统</title>" in html
    assert ">集团客户管理系统</a>" in html
    assert "Django" not in html
    # its own stylesheet (readable change lists) and the product's icon, from our static files
    assert "/static/css/admin.css" in html and "/static/favicon.ico" in html


def test_the_admin_carries_the_products_name_in_english_too(login, cast):
    from django.conf import settings

    cast["hq"].is_staff = cast["hq"].is_superuser = True
    cast["hq"].save()
    client = login(cast["hq"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the language switcher's choice
    html = client.get("/admin/").content.decode()
    assert ">Group-customer CRM</a>" in html and "Django" not in html
