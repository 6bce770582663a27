"""Inbound leads (issue 20, point 7): a hotline agent records a caller's interest; it goes to the customer's manager
(or, for a company not yet a customer, to the head of the department over its region) with a notification."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from campaigns.models import Lead, Opportunity
from crm.models import AuditEntry, Notification
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/leads/"
TODAY = timezone.localdate()


@pytest.fixture
def desk(territory):
    """An agent of the 10000 desk: provincial staff of Sichuan who see no customer list of their own here."""
    return UserFactory(username="desk01", role="provincial_staff", region=territory["sichuan"])


def test_a_call_about_a_customer_goes_to_its_manager_who_is_told(api, cast, customers, desk):
    body = {
        "caller_name": "王总",
        "caller_mobile": "13800138000",
        "customer": "CD0001",
        "products": ["VPMN"],
        "notes": "想给新来的 50 名员工开通集团V网",
    }
    response = api(desk).post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    lead = response.json()
    assert (lead["assigned_to"], lead["channel"], lead["status"]) == ("alice", "hotline_10000", "new")
    assert lead["company"] == "成都锦程科技有限公司" and lead["region"] == customers["alice"].region_id
    note = Notification.objects.get(recipient=cast["alice"], kind="lead_assigned")
    assert "成都锦程科技有限公司" in note.title and "10000号" in note.body
    assert AuditEntry.objects.filter(object_type="campaigns.lead", action="create", customer_code="CD0001").exists()
    # alice sees it and works it; carol does not see it at all
    assert api(cast["alice"]).get(URL).json()["count"] == 1
    assert api(cast["carol"]).get(f"{URL}{lead['id']}/").status_code == 404
    assert api(cast["carol"]).post(f"{URL}{lead['id']}/close/", {"note": "x"}, format="json").status_code == 404
    response = api(cast["alice"]).post(
        f"{URL}{lead['id']}/convert/", {"expected_close_on": str(TODAY + datetime.timedelta(days=20))}, format="json"
    )
    assert response.status_code == 200, response.json()
    opportunity = Opportunity.objects.get(pk=response.json()["opportunity"])
    assert (opportunity.source, opportunity.channel_id, opportunity.owner) == (
        "inbound",
        "hotline_10000",
        cast["alice"],
    )
    assert list(opportunity.products.values_list("code", flat=True)) == ["VPMN"]
    again = api(cast["alice"]).post(f"{URL}{lead['id']}/close/", {"note": "重复"}, format="json")
    assert again.status_code == 400  # worked already


def test_a_new_company_goes_to_the_head_over_its_region(api, cast, customers, desk):
    body = {
        "caller_name": "李女士",
        "caller_mobile": "13912345678",
        "company": "成都新创科技有限公司",
        "region": "510107",
    }
    response = api(desk).post(URL, body, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 201, response.json()
    assert response.json()["assigned_to"] == "dora" and response.json()["customer"] is None
    assert Notification.objects.filter(recipient=cast["dora"], kind="lead_assigned").count() == 1
    lead = Lead.objects.get()
    assert (
        api(cast["dora"])
        .post(f"{URL}{lead.pk}/convert/", {"expected_close_on": str(TODAY)}, format="json")
        .json()["customer"]
    )  # not a customer yet: file it first
    response = api(cast["dora"]).post(f"{URL}{lead.pk}/close/", {"note": "只是咨询资费"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "closed"
    assert api(cast["alice"]).get(URL).json()["count"] == 0  # an account manager sees only hers


def test_a_closing_note_too_long_for_the_page_is_refused_whole_not_cut(api, cast, customers, desk, login):
    body = {"caller_name": "李女士", "caller_mobile": "13912345678", "customer": "CD0001"}
    lead = Lead.objects.get(pk=api(desk).post(URL, body, format="json").json()["id"])
    page = login(cast["alice"])
    response = page.post(f"/campaigns/leads/{lead.pk}/close/", {"note": "咨" * 201}, follow=True)
    assert "关闭线索的原因最多 200 个字符（此处为 201 个）。" in response.content.decode()
    lead.refresh_from_db()
    assert (lead.status, lead.closed_note) == ("new", "")
    page.post(f"/campaigns/leads/{lead.pk}/close/", {"note": "咨" * 200})
    lead.refresh_from_db()
    assert (lead.status, lead.closed_note) == ("closed", "咨" * 200)


def test_a_customer_found_by_its_uscc(api, cast, customers, desk):
    uscc = customers["wuhou"].uscc
    body = {"caller_name": "刘总", "caller_mobile": "13700001111", "company": "蜀道物流", "uscc": uscc}
    response = api(desk).post(URL, body, format="json")
    assert response.status_code == 201
    assert response.json()["customer"] == "CD0002" and response.json()["assigned_to"] == "bob"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"caller_mobile": "13800138000", "company": "某公司", "region": "510104"}, "caller_name"),
        ({"caller_name": "王", "caller_mobile": "12345", "company": "某公司", "region": "510104"}, "caller_mobile"),
        ({"caller_name": "王", "caller_mobile": "13800138000", "company": "某公司"}, "region"),
        ({"caller_name": "王", "caller_mobile": "13800138000", "region": "510104"}, "company"),
        ({"caller_name": "王", "caller_mobile": "13800138000", "customer": "NOPE"}, "customer"),
        ({"caller_name": "王", "caller_mobile": "13800138000", "customer": "CD0001", "channel": "fax"}, "channel"),
        ({"caller_name": "王", "caller_mobile": "13800138000", "customer": "CD0001", "products": ["X"]}, "products"),
    ],
)
def test_bad_leads_are_refused_naming_the_field(api, cast, customers, desk, body, field):
    response = api(desk).post(URL, body, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not Lead.objects.exists()


def test_anonymous_callers_get_401(client):
    assert client.get(URL).status_code == 401
    assert client.post(URL, {}).status_code == 401


def test_the_page_records_a_lead_and_its_assignee_works_it_in_chinese(login, cast, customers, desk):
    page = login(desk).get("/campaigns/leads/")
    assert page.status_code == 200 and "来电商机" in page.content.decode()
    bad = login(desk).post("/campaigns/leads/", {"caller_name": "王总", "caller_mobile": "1380013800"})
    assert bad.status_code == 400 and "手机号码" in bad.content.decode() and not Lead.objects.exists()
    response = login(desk).post(
        "/campaigns/leads/",
        {"caller_name": "王总", "caller_mobile": "13800138000", "customer": "CD0001", "products": ["VPMN"]},
    )
    assert response.status_code == 302
    lead = Lead.objects.get()
    html = login(cast["alice"]).get("/campaigns/leads/").content.decode()
    assert f'data-lead="{lead.pk}"' in html and "tel:13800138000" in html and "登记商机" in html
    assert f'data-lead="{lead.pk}"' not in login(cast["carol"]).get("/campaigns/leads/").content.decode()
    response = login(cast["alice"]).post(
        f"/campaigns/leads/{lead.pk}/convert/", {"expected_close_on": str(TODAY + datetime.timedelta(days=9))}
    )
    assert response.status_code == 302 and "/campaigns/opportunities/" in response["Location"]
    lead.refresh_from_db()
    assert lead.status == "converted" and lead.opportunity.customer == customers["alice"]
