"""Partner companies and their staff (issue 20, point 2): registered by provincial staff, seen where they work; a
partner's staff see only the customers given to their company — by a plan of a campaign in force or an assignment in
force — and nothing once the company stops working."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from accounts.models import Customer
from campaigns.models import Campaign, CustomerPlan, Product
from crm.models import AuditEntry, Partner, User
from partners.models import PartnerAssignment
from teams.models import Visit

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


def partner_data(**changes) -> dict:
    data = {
        "name": "成都数智方案有限公司",
        "uscc": "91510100MA6123456W",
        "kinds": ["solution_provider", "service_agent"],
        "region": "510100",
        "contract_starts_on": str(TODAY - 30 * DAY),
        "contract_ends_on": str(TODAY + 335 * DAY),
        "products": ["VPMN"],
    }
    data.update(changes)
    return data


def make_partner(territory, **changes) -> Partner:
    values = {
        "name": "成都数智方案有限公司",
        "uscc": "91510100MA6123456W",
        "kinds": ["solution_provider"],
        "region": territory["chengdu"],
        "contract_starts_on": TODAY - 30 * DAY,
        "contract_ends_on": TODAY + 335 * DAY,
    }
    values.update(changes)
    return Partner.objects.create(**values)


def partner_user(partner: Partner, territory, username: str = "pat") -> User:
    call_command(
        "add_staff",
        username,
        "--role",
        "partner",
        "--region",
        "510100",
        "--partner",
        partner.name,
        "--password",
        "Partner#2026x",
        stdout=io.StringIO(),
    )
    return User.objects.get(username=username)


def campaign_over_chengdu(cast, territory, **changes) -> Campaign:
    values = {
        "name": "集团V网推广",
        "kind": "product_push",
        "department": cast["dora"].department,
        "region": territory["chengdu"],
        "starts_on": TODAY - 5 * DAY,
        "ends_on": TODAY + 25 * DAY,
    }
    values.update(changes)
    return Campaign.objects.create(**values)


# -- registering and changing partners ------------------------------------------------------------------------------


def test_provincial_staff_register_a_partner_with_its_kinds_products_and_an_audit_entry(api, cast, territory):
    response = api(cast["paul"]).post("/api/v1/partners/", partner_data(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["kinds"] == ["solution_provider", "service_agent"]
    assert body["products"] == ["VPMN"]
    assert body["region"] == "510100"
    assert body["status"] == "active"
    partner = Partner.objects.get(pk=body["id"])
    assert list(partner.products.values_list("code", flat=True)) == ["VPMN"]
    entry = AuditEntry.objects.get(object_type="crm.partner", object_id=str(partner.pk))
    assert entry.action == "create" and entry.username == "paul"
    assert entry.changes["products"] == [None, ["VPMN"]]
    listed = api(cast["paul"]).get("/api/v1/partners/").json()
    assert [row["name"] for row in listed["results"]] == ["成都数智方案有限公司"]


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"kinds": []}, "kinds", "不能为空"),
        ({"kinds": ["wholesaler"]}, "kinds", "wholesaler"),
        ({"kinds": ["sales_agent", "sales_agent"]}, "kinds", "只能出现一次"),
        ({"contract_ends_on": str(TODAY - 60 * DAY)}, "contract_ends_on", "合同"),
        ({"uscc": "91510100MA61234567"}, "uscc", "校验码"),
        ({"region": "440100"}, "region", "辖区"),
        ({"products": ["NOPE"]}, "products", "NOPE"),
    ],
)
def test_a_bad_partner_is_refused_naming_the_field_in_chinese(api, cast, territory, changes, field, words):
    data = partner_data(**changes)
    if "kinds" in changes and not changes["kinds"]:
        data["kinds"] = []
    response = api(cast["paul"]).post("/api/v1/partners/", data, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400, response.json()
    message = str(response.json()[field])
    assert words in message, message
    assert not Partner.objects.exists()


def test_a_partner_without_kinds_is_refused(api, cast, territory):
    data = partner_data()
    del data["kinds"]
    response = api(cast["paul"]).post("/api/v1/partners/", data, format="json")
    assert response.status_code == 400
    assert "kinds" in response.json()


def test_partners_are_seen_where_they_work_and_changed_by_their_provincial_staff(api, cast, territory):
    partner = make_partner(territory)
    url = f"/api/v1/partners/{partner.pk}/"
    assert api(cast["gd_paul"]).get(url).status_code == 404  # another province
    assert api(cast["carol"]).get(url).status_code == 404  # 绵阳: not where the partner works
    assert api(cast["alice"]).get(url).status_code == 200  # 锦江 lies in 成都
    assert api(cast["dora"]).patch(url, {"status": "suspended"}, format="json").status_code == 403
    response = api(cast["paul"]).patch(url, {"status": "suspended"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "suspended"
    entry = AuditEntry.objects.filter(object_type="crm.partner", action="update").get()
    assert entry.changes == {"status": ["active", "suspended"]}


def test_anonymous_callers_get_401(client, territory):
    partner = make_partner(territory)
    assert client.get("/api/v1/partners/").status_code == 401
    assert client.get(f"/api/v1/partners/{partner.pk}/").status_code == 401
    assert client.get("/api/v1/channels/").status_code == 401


def test_the_six_channels_are_data_with_chinese_names(api, cast):
    rows = api(cast["alice"]).get("/api/v1/channels/").json()["results"]
    assert [row["code"] for row in rows] == ["direct", "hotline_10000", "community", "hall", "electronic", "partner"]
    assert rows[1]["name"] == "10000号"
    assert rows[5]["name"] == "合作伙伴"


# -- partner staff ---------------------------------------------------------------------------------------------------


def test_add_staff_makes_partner_staff_of_a_named_partner_only(territory):
    partner = make_partner(territory)
    user = partner_user(partner, territory)
    assert user.role == "partner" and user.partner == partner
    with pytest.raises(CommandError, match="partner"):
        call_command("add_staff", "nobody", "--role", "partner", "--region", "510100", "--password", "Partner#2026x")
    with pytest.raises(CommandError, match="partner"):
        call_command(
            "add_staff",
            "ghost",
            "--role",
            "partner",
            "--region",
            "510100",
            "--partner",
            "不存在公司",
            "--password",
            "Partner#2026x",
        )
    assert not User.objects.filter(username__in=["nobody", "ghost"]).exists()


def test_partner_staff_see_only_the_customers_given_to_their_company(api, cast, customers, territory):
    partner = make_partner(territory)
    pat = partner_user(partner, territory)
    client = api(pat)
    assert client.get("/api/v1/customers/").json()["count"] == 0
    assert client.get("/api/v1/customers/CD0001/").status_code == 404

    campaign = campaign_over_chengdu(cast, territory)
    for customer in (customers["alice"], customers["wuhou"]):
        CustomerPlan.objects.create(campaign=campaign, customer=customer, objective="V网")
    response = api(cast["dora"]).post(
        f"/api/v1/campaigns/{campaign.pk}/give-to-partner/", {"partner": partner.pk, "region": "510104"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json() == {"plans": 1, "outside_territory": 0}  # only 锦江's plan
    plan = CustomerPlan.objects.get(campaign=campaign, customer=customers["alice"])
    assert (plan.partner_id, plan.channel_id) == (partner.pk, "partner")
    assert CustomerPlan.objects.get(campaign=campaign, customer=customers["wuhou"]).partner_id is None
    entry = AuditEntry.objects.get(object_type="campaigns.customerplan", object_id=str(plan.pk))
    assert entry.changes == {"partner": [None, partner.pk]} and entry.customer_code == "CD0001"

    assert [row["code"] for row in client.get("/api/v1/customers/").json()["results"]] == ["CD0001"]
    assert client.get("/api/v1/customers/CD0001/").status_code == 200
    for outsider in ("CD0002", "MY0001", "GZ0001"):
        assert client.get(f"/api/v1/customers/{outsider}/").status_code == 404
    assert client.get("/api/v1/partners/").json()["count"] == 1

    # Taken back: the customer is gone again.
    response = api(cast["dora"]).post(
        f"/api/v1/campaigns/{campaign.pk}/give-to-partner/", {"partner": None}, format="json"
    )
    assert response.json()["plans"] == 1
    plan.refresh_from_db()
    assert (plan.partner_id, plan.channel_id) == (None, "direct")
    assert client.get("/api/v1/customers/CD0001/").status_code == 404


@pytest.mark.parametrize("ending", ["cancelled", "ended", "suspended", "contract_over"])
def test_a_partner_loses_its_customers_when_the_campaign_or_the_company_stops(cast, customers, territory, ending):
    partner = make_partner(territory)
    pat = partner_user(partner, territory)
    campaign = campaign_over_chengdu(cast, territory)
    CustomerPlan.objects.create(campaign=campaign, customer=customers["alice"], objective="V网", partner=partner)
    assert Customer.objects.visible_to(pat).count() == 1
    if ending == "cancelled":
        campaign.cancelled_at, campaign.cancel_reason = timezone.now(), "预算取消"
        campaign.save()
    elif ending == "ended":
        campaign.starts_on, campaign.ends_on = TODAY - 40 * DAY, TODAY - DAY
        campaign.save()
    elif ending == "suspended":
        Partner.objects.filter(pk=partner.pk).update(status="suspended")
    else:
        Partner.objects.filter(pk=partner.pk).update(contract_ends_on=TODAY - DAY, contract_starts_on=TODAY - 90 * DAY)
    assert Customer.objects.visible_to(pat).count() == 0


def test_an_assignment_in_force_gives_a_customer_to_the_partner(cast, customers, territory):
    partner = make_partner(territory, kinds=["service_agent"])
    pat = partner_user(partner, territory)
    PartnerAssignment.objects.create(partner=partner, customer=customers["wuhou"], starts_on=TODAY + DAY)
    assert Customer.objects.visible_to(pat).count() == 0  # not yet in force
    PartnerAssignment.objects.create(partner=partner, customer=customers["wuhou"], starts_on=TODAY - DAY)
    assert list(Customer.objects.visible_to(pat).values_list("code", flat=True)) == ["CD0002"]
    PartnerAssignment.objects.filter(partner=partner).update(ends_on=TODAY - DAY, starts_on=TODAY - 9 * DAY)
    assert Customer.objects.visible_to(pat).count() == 0


def test_plans_are_given_only_to_a_working_partner_within_its_territory(api, cast, customers, territory):
    partner = make_partner(territory, region=territory["wuhou"])  # 武侯区 only
    campaign = campaign_over_chengdu(cast, territory)
    for customer in (customers["alice"], customers["wuhou"]):
        CustomerPlan.objects.create(campaign=campaign, customer=customer, objective="V网")
    url = f"/api/v1/campaigns/{campaign.pk}/give-to-partner/"
    response = api(cast["dora"]).post(url, {"partner": partner.pk}, format="json")
    assert response.json() == {"plans": 1, "outside_territory": 1}
    assert CustomerPlan.objects.get(partner=partner).customer == customers["wuhou"]

    Partner.objects.filter(pk=partner.pk).update(status="ended")
    response = api(cast["dora"]).post(url, {"partner": partner.pk}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400 and "partner" in response.json()

    guangdong = make_partner(territory, name="广州伙伴", uscc="91510100MA6ABCDEF3", region=territory["guangzhou"])
    response = api(cast["dora"]).post(url, {"partner": guangdong.pk}, format="json")
    assert response.status_code == 400 and "partner" in response.json()  # not one dora sees
    response = api(cast["dora"]).post(url, {"partner": 999999}, format="json")
    assert response.status_code == 400 and "partner" in response.json()
    assert api(cast["alice"]).post(url, {"partner": partner.pk}, format="json").status_code == 403


def test_partner_staff_log_a_visit_to_a_customer_given_to_them_and_no_other(api, cast, customers, territory):
    partner = make_partner(territory)
    pat = partner_user(partner, territory)
    campaign = campaign_over_chengdu(cast, territory)
    CustomerPlan.objects.create(campaign=campaign, customer=customers["alice"], objective="V网", partner=partner)
    visit = {"visited_at": timezone.now().isoformat(), "kind": "phone", "summary": "合作伙伴回访"}
    response = api(pat).post("/api/v1/visits/", {**visit, "customer": "CD0001"}, format="json")
    assert response.status_code == 201, response.json()
    assert Visit.objects.get(visitor=pat).customer == customers["alice"]
    response = api(pat).post("/api/v1/visits/", {**visit, "customer": "CD0002"}, format="json")
    assert response.status_code in (400, 404)
    assert Visit.objects.filter(visitor=pat).count() == 1


def test_partner_staff_file_no_customer(api, territory):
    partner = make_partner(territory)
    pat = partner_user(partner, territory)
    response = api(pat).post(
        "/api/v1/customers/",
        {"code": "PT0001", "name": "伙伴新客户", "region": "510104", "industry": "C39"},
        format="json",
    )
    assert response.status_code in (400, 403)
    assert not Customer.objects.filter(code="PT0001").exists()
    assert Product.objects.filter(partners=partner).count() == 0


def test_partner_staff_are_offered_no_new_customer_button(login, cast, territory):
    partner = make_partner(territory)
    pat = partner_user(partner, territory)
    assert "/customers/new/" not in login(pat).get("/customers/").content.decode()
    assert "/customers/new/" in login(cast["alice"]).get("/customers/").content.decode()


def test_the_admin_keeps_partners_and_channel_policies_within_the_territory(login, cast, territory):
    partner = make_partner(territory)
    for name in ("paul", "gd_paul"):  # provincial staff work in the admin
        cast[name].is_staff = True
        cast[name].save()
    paul, gd_paul = login(cast["paul"]), login(cast["gd_paul"])
    assert partner.name in paul.get("/admin/crm/partner/").content.decode()
    assert partner.name not in gd_paul.get("/admin/crm/partner/").content.decode()
    assert gd_paul.get(f"/admin/crm/partner/{partner.pk}/change/").status_code in (302, 404)
    form = paul.get("/admin/campaigns/channelpolicy/add/").content.decode()
    assert "四川省" in form and "广东省" not in form and "成都市" not in form  # provinces of the territory only
    response = paul.post(
        "/admin/campaigns/channelpolicy/add/",
        {"province": "510000", "attribution": "first_touch", "withdrawal_days": "15"},
    )
    assert response.status_code == 302
    from campaigns.models import ChannelPolicy

    assert ChannelPolicy.objects.get().attribution == "first_touch"
    assert AuditEntry.objects.filter(object_type="campaigns.channelpolicy", source="admin").exists()


def test_partner_staff_do_not_change_a_customers_record(api, login, cast, customers, territory):
    partner = make_partner(territory)
    pat = partner_user(partner, territory)
    campaign = campaign_over_chengdu(cast, territory)
    CustomerPlan.objects.create(campaign=campaign, customer=customers["alice"], objective="V网", partner=partner)
    response = api(pat).patch("/api/v1/customers/CD0001/", {"name": "改名"}, format="json")
    assert response.status_code == 403
    assert Customer.objects.get(code="CD0001").name == "成都锦程科技有限公司"
    page = login(pat).get("/customers/CD0001/").content.decode()
    assert (
        "/customers/CD0001/edit/" not in page
        and "/customers/CD0001/edit/" in login(cast["alice"]).get("/customers/CD0001/").content.decode()
    )


def test_what_partner_staff_sell_is_their_companys_sale(api, cast, customers, territory):
    partner = make_partner(territory)
    partner.products.add("VPMN")
    other = make_partner(territory, name="另一家伙伴", uscc="91510100MA6ABCDEF3")
    other.products.add("VPMN")
    pat = partner_user(partner, territory)
    campaign = campaign_over_chengdu(cast, territory)
    CustomerPlan.objects.create(campaign=campaign, customer=customers["alice"], objective="V网", partner=partner)
    url = "/api/v1/customers/CD0001/products/VPMN/"
    body = {"active_users": 20, "monthly_revenue": "200.00", "subscribed_on": str(TODAY)}
    response = api(pat).put(url, body, format="json")
    assert response.status_code == 201, response.json()
    assert (response.json()["channel"], response.json()["partner"]) == ("partner", partner.pk)
    for wrong in ({"channel": "direct"}, {"channel": "hall"}, {"channel": "partner", "partner": other.pk}):
        response = api(pat).put(url, {**body, **wrong}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 400, (wrong, response.json())
