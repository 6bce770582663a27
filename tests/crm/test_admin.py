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
