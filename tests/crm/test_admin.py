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
