"""Prospects and the pool (公海, issue 21): filing with the duplicate check, claiming within the province's limit,
the nightly return of unvisited claims, conversion into a customer with its team, the API's contract and who sees
what (a grid manager their grid, an outsider 404, the anonymous nothing)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from accounts.models import Customer
from crm.models import AuditEntry, Notification, NotificationKind, Region
from prospects import selectors, services
from prospects.models import ClaimRule, NewCustomerTarget, Prospect, ProspectStatus
from prospects.tasks import prospects_return_nightly
from teams.models import TeamRole
from tests.factories import CustomerFactory, UserFactory, make_uscc

pytestmark = pytest.mark.django_db


@pytest.fixture
def grids(territory):
    """春熙路网格 (510104-G01, the shared fixture's) and 盐市口网格 beside it (510104-G02)."""
    other = Region(code="510104-G02", name="盐市口网格", level="grid", parent=territory["jinjiang"])
    other.save()
    return {"chunxi": territory["grid"], "yanshikou": other}


@pytest.fixture
def gina(grids):
    """The grid manager (网格经理) of 春熙路网格."""
    return UserFactory(username="gina", role="grid_manager", region=grids["chunxi"])


@pytest.fixture
def yan(grids):
    """The grid manager of 盐市口网格, next door."""
    return UserFactory(username="yan", role="grid_manager", region=grids["yanshikou"])


def file(user, name="成都春熙咖啡有限公司", address="春熙路9号", region=None, **extra):
    region = region or user.region
    return services.prospect_file(user=user, data={"name": name, "address": address, "region": region, **extra})


# -- a grid manager's visibility ------------------------------------------------------------------------------------


def test_a_grid_manager_sees_the_customers_of_their_grid_only(customers, gina, yan, grids):
    other = CustomerFactory(code="CD0009", name="盐市口商场", region=grids["yanshikou"])
    assert set(Customer.objects.visible_to(gina)) == {customers["alice"]}
    assert set(Customer.objects.visible_to(yan)) == {other}


def test_a_grid_manager_reads_their_grids_customers_through_the_api_and_not_the_county_beside(api, customers, gina):
    client = api(gina)
    assert client.get("/api/v1/customers/CD0001/").status_code == 200
    assert client.get("/api/v1/customers/CD0002/").status_code == 404  # 武侯区's
    codes = [row["code"] for row in client.get("/api/v1/customers/").json()["results"]]
    assert codes == ["CD0001"]


def test_add_staff_makes_a_grid_manager_of_a_grid_and_refuses_a_county(territory):
    call_command(
        "add_staff", "grid01", "--role", "grid_manager", "--region", "510104-G01", "--password", "Gr1d@manager"
    )
    from crm.models import User

    assert User.objects.get(username="grid01").region_id == "510104-G01"
    with pytest.raises(CommandError, match="grid|网格"):
        call_command(
            "add_staff", "grid02", "--role", "grid_manager", "--region", "510104", "--password", "Gr1d@manager"
        )


# -- filing and the duplicate check ---------------------------------------------------------------------------------


def test_a_prospect_with_a_customers_uscc_is_flagged(customers, gina):
    uscc = customers["alice"].uscc
    prospect = file(gina, name="完全不同的名字", uscc=uscc)
    found = selectors.possible_duplicates(
        user=gina, name=prospect.name, address=prospect.address, uscc=uscc, exclude=prospect
    )
    assert [(d.kind, d.code, d.reason) for d in found] == [("customer", "CD0001", "uscc")]


def test_a_similar_name_at_the_same_address_is_flagged_and_elsewhere_is_not(customers, gina):
    customer = customers["alice"]  # 成都锦程科技有限公司, 成都市锦江区红星路1号
    found = selectors.possible_duplicates(user=gina, name="成都锦程科技有限责任公司", address="成都市锦江区红星路 1 号")
    assert [(d.kind, d.code, d.reason) for d in found] == [("customer", customer.code, "name_address")]
    assert selectors.possible_duplicates(user=gina, name="成都锦程科技有限责任公司", address="春熙路9号") == []


def test_another_prospect_of_the_pool_is_flagged_too(gina):
    first = file(gina)
    found = selectors.possible_duplicates(user=gina, name="成都春熙咖啡", address="春熙路 9号")
    assert [(d.kind, d.id) for d in found] == [("prospect", first.pk)]


def test_the_duplicate_check_shows_only_what_the_user_sees(customers, yan):
    # 成都锦程科技 lies in 春熙路网格, which the grid manager next door does not see
    assert selectors.possible_duplicates(user=yan, name="成都锦程科技有限公司", address="成都市锦江区红星路1号") == []


def test_filing_outside_ones_territory_is_refused_naming_the_region_and_nothing_is_written(api, gina, grids):
    with pytest.raises(ValidationError) as refused:
        file(gina, region=grids["yanshikou"])
    assert "region" in refused.value.message_dict
    response = api(gina).post(
        "/api/v1/prospects/", {"name": "某公司", "region": "510104-G02", "address": "某路"}, format="json"
    )
    assert response.status_code == 400 and "region" in response.json()
    assert not Prospect.objects.exists()


def test_partner_staff_file_no_prospect(gina, territory):
    from crm.models import Partner

    partner = Partner.objects.create(
        name="伙伴公司",
        uscc=make_uscc(778),
        kinds=["sales_agent"],
        region=territory["chengdu"],
        contract_starts_on=datetime.date(2024, 1, 1),
        contract_ends_on=datetime.date(2030, 12, 31),
    )
    partner_user = UserFactory(role="partner", region=territory["chengdu"], partner=partner)
    with pytest.raises(PermissionDenied):
        file(partner_user, region=territory["grid"])
    assert not Prospect.objects.exists()


def test_a_bad_uscc_is_refused_naming_the_field(gina):
    with pytest.raises(ValidationError) as refused:
        file(gina, uscc="91510104MA00000000")
    assert "uscc" in refused.value.message_dict
    assert not Prospect.objects.exists()


# -- claims ---------------------------------------------------------------------------------------------------------


def test_claiming_beyond_the_provinces_limit_is_refused_and_nothing_is_written(gina, territory):
    ClaimRule.objects.create(region=territory["sichuan"], max_claimed=2, return_after_days=10)
    prospects = [file(gina, name=f"公司{n}", address=f"春熙路{n}号") for n in range(3)]
    services.prospect_claim(user=gina, prospect=prospects[0])
    services.prospect_claim(user=gina, prospect=prospects[1])
    with pytest.raises(ValidationError, match="2"):
        services.prospect_claim(user=gina, prospect=prospects[2])
    prospects[2].refresh_from_db()
    assert prospects[2].status == ProspectStatus.POOL and prospects[2].claimed_by is None
    # giving one back makes room
    services.prospect_release(user=gina, prospect=prospects[0])
    services.prospect_claim(user=gina, prospect=prospects[2])
    assert selectors.claimed_count(gina) == 2


def test_the_national_rule_applies_where_the_province_has_none(gina, territory):
    ClaimRule.objects.create(region=territory["root"], max_claimed=1, return_after_days=5)
    assert selectors.claim_limits(gina.region).max_claimed == 1
    ClaimRule.objects.create(region=territory["sichuan"], max_claimed=7, return_after_days=5)
    assert selectors.claim_limits(gina.region).max_claimed == 7


def test_a_claimed_prospect_cannot_be_claimed_again(gina, cast):
    prospect = file(gina)
    services.prospect_claim(user=gina, prospect=prospect)
    with pytest.raises(ValidationError, match="claimed|认领"):
        services.prospect_claim(user=cast["alice"], prospect=prospect)


def test_a_department_head_does_not_claim(gina, cast):
    with pytest.raises(PermissionDenied):
        services.prospect_claim(user=cast["dora"], prospect=file(gina))


# -- the nightly return ---------------------------------------------------------------------------------------------


def test_claims_left_unvisited_go_back_to_the_pool_and_the_manager_is_told(gina, territory):
    ClaimRule.objects.create(region=territory["sichuan"], max_claimed=10, return_after_days=10)
    idle, visited, fresh = (file(gina, name=name, address=f"{name}路") for name in ("甲公司", "乙公司", "丙公司"))
    for prospect in (idle, visited, fresh):
        services.prospect_claim(user=gina, prospect=prospect)
    long_ago = timezone.now() - datetime.timedelta(days=11)
    Prospect.objects.filter(pk__in=[idle.pk, visited.pk]).update(claimed_at=long_ago)
    services.prospect_visit_log(
        user=gina, prospect=visited, data={"summary": "拜访", "visited_at": timezone.now() - datetime.timedelta(days=2)}
    )

    assert prospects_return_nightly() == 1

    statuses = dict(Prospect.objects.values_list("name", "status"))
    assert statuses == {"甲公司": "pool", "乙公司": "claimed", "丙公司": "claimed"}
    assert Prospect.objects.get(pk=idle.pk).claimed_by is None
    told = Notification.objects.get(recipient=gina, kind=NotificationKind.PROSPECT_RETURNED)
    assert "甲公司" in told.body
    assert AuditEntry.objects.filter(
        object_type="prospects.prospect", object_id=str(idle.pk), source="job"
    ).exists() or (
        AuditEntry.objects.filter(object_type="prospects.prospect", object_id=str(idle.pk), user_id=None).exists()
    )
    # run again: nothing more goes back
    assert prospects_return_nightly() == 0


def test_the_default_days_apply_to_a_province_without_a_rule(gina, territory):
    ClaimRule.objects.create(region=territory["guangdong"], max_claimed=10, return_after_days=1)
    prospect = file(gina)
    services.prospect_claim(user=gina, prospect=prospect)
    Prospect.objects.filter(pk=prospect.pk).update(claimed_at=timezone.now() - datetime.timedelta(days=5))
    assert services.prospects_return_idle() == 0  # Sichuan: the default 30 days
    Prospect.objects.filter(pk=prospect.pk).update(claimed_at=timezone.now() - datetime.timedelta(days=31))
    assert services.prospects_return_idle() == 1


# -- conversion -----------------------------------------------------------------------------------------------------


def test_conversion_makes_an_active_customer_with_its_team(gina):
    prospect = file(gina, uscc=make_uscc(900))
    services.prospect_claim(user=gina, prospect=prospect)
    customer = services.prospect_convert(user=gina, prospect=prospect, data={"code": "PR0001", "industry": None})
    assert (customer.code, customer.name, customer.status, customer.region_id) == (
        "PR0001",
        "成都春熙咖啡有限公司",
        "active",
        "510104-G01",
    )
    assert customer.uscc == make_uscc(900)
    manager = TeamRole.objects.active().get(customer=customer, role="customer_manager")
    assert manager.user == gina
    prospect.refresh_from_db()
    assert prospect.status == ProspectStatus.CONVERTED and prospect.customer == customer
    assert Customer.objects.visible_to(gina).filter(pk=customer.pk).exists()


def test_conversion_names_another_customer_manager(gina, cast):
    prospect = file(gina)
    customer = services.prospect_convert(
        user=gina, prospect=prospect, data={"code": "PR0002", "customer_manager": cast["alice"]}
    )
    assert TeamRole.objects.active().get(customer=customer, role="customer_manager").user == cast["alice"]
    assert Customer.objects.visible_to(cast["alice"]).filter(pk=customer.pk).exists()


def test_converting_a_duplicate_of_a_customer_is_refused_and_nothing_is_written(customers, gina):
    prospect = file(gina, name="成都锦程科技有限责任公司", address="成都市锦江区红星路1号")
    services.prospect_claim(user=gina, prospect=prospect)
    before = Customer.objects.count()
    with pytest.raises(ValidationError) as refused:
        services.prospect_convert(user=gina, prospect=prospect, data={"code": "PR0003"})
    assert "CD0001" in str(refused.value)
    assert Customer.objects.count() == before
    prospect.refresh_from_db()
    assert prospect.status == ProspectStatus.CLAIMED


def test_converting_a_prospect_with_the_uscc_of_an_unseen_customer_is_refused(customers, yan):
    # the customer lies in the grid beside: not named, but the company is one already
    prospect = file(yan, name="别的名字", address="盐市口1号", uscc=customers["alice"].uscc)
    with pytest.raises(ValidationError, match="unified social credit code|统一社会信用代码"):
        services.prospect_convert(user=yan, prospect=prospect, data={"code": "PR0004"})
    assert not Customer.objects.filter(code="PR0004").exists()


def test_only_the_holder_or_the_managers_over_it_convert(gina, yan, cast):
    prospect = file(gina)
    services.prospect_claim(user=cast["alice"], prospect=prospect)
    with pytest.raises(PermissionDenied):
        services.prospect_convert(user=gina, prospect=prospect, data={"code": "PR0005"})
    customer = services.prospect_convert(user=cast["dora"], prospect=prospect, data={"code": "PR0005"})
    # the holder becomes its customer manager
    assert TeamRole.objects.active().get(customer=customer, role="customer_manager").user == cast["alice"]


# -- the API --------------------------------------------------------------------------------------------------------


def test_the_api_files_a_prospect_with_its_possible_duplicates(api, customers, gina):
    response = api(gina).post(
        "/api/v1/prospects/",
        {
            "name": "成都锦程科技有限责任公司",
            "region": "510104-G01",
            "address": "成都市锦江区红星路1号",
            "latitude": 30.65,
            "longitude": 104.08,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert {"id", "name", "region", "address", "uscc", "latitude", "longitude"} <= set(body)
    assert {"status", "claimed_by", "possible_duplicates"} <= set(body)
    assert (body["status"], body["claimed_by"], body["region"]) == ("pool", None, "510104-G01")
    assert [(d["kind"], d["code"], d["reason"]) for d in body["possible_duplicates"]] == [
        ("customer", "CD0001", "name_address")
    ]


def test_the_api_checks_a_company_before_it_is_filed(api, customers, gina, yan):
    query = {"name": "成都锦程科技有限责任公司", "address": "成都市锦江区红星路1号"}
    response = api(gina).get("/api/v1/prospects/possible-duplicates/", query)
    assert response.status_code == 200
    assert [(d["kind"], d["code"], d["reason"]) for d in response.json()] == [("customer", "CD0001", "name_address")]
    assert api(yan).get("/api/v1/prospects/possible-duplicates/", query).json() == []  # not in her grid
    response = api(gina).get("/api/v1/prospects/possible-duplicates/", {"name": "某公司"})
    assert response.status_code == 400 and "address" in response.json()
    assert not Prospect.objects.exists()


def test_the_api_refuses_read_only_fields_and_a_bad_region(api, gina):
    client = api(gina)
    response = client.post(
        "/api/v1/prospects/",
        {"name": "某公司", "region": "510104-G01", "address": "某路", "status": "converted"},
        format="json",
    )
    assert response.status_code == 400 and "status" in response.json()
    response = client.post(
        "/api/v1/prospects/", {"name": "某公司", "region": "999999", "address": "某路"}, format="json"
    )
    assert response.status_code == 400 and "region" in response.json()
    assert not Prospect.objects.exists()


def test_claim_and_convert_through_the_api(api, gina):
    client = api(gina)
    prospect = file(gina)
    response = client.post(f"/api/v1/prospects/{prospect.pk}/claim/")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["claimed_by"]) == ("claimed", "gina")
    response = client.post(f"/api/v1/prospects/{prospect.pk}/convert/", {"code": "PR0100"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["code"] == "PR0100"
    assert client.get(f"/api/v1/prospects/{prospect.pk}/").json()["customer"] == "PR0100"


def test_the_api_says_why_a_claim_beyond_the_limit_is_refused(api, gina, territory):
    ClaimRule.objects.create(region=territory["sichuan"], max_claimed=1, return_after_days=10)
    client = api(gina)
    first, second = file(gina, name="甲"), file(gina, name="乙", address="别处")
    assert client.post(f"/api/v1/prospects/{first.pk}/claim/").status_code == 200
    response = client.post(f"/api/v1/prospects/{second.pk}/claim/")
    assert response.status_code == 400
    assert "1" in str(response.json())
    assert Prospect.objects.get(pk=second.pk).status == "pool"


def test_the_api_refuses_converting_a_duplicate(api, customers, gina):
    prospect = file(gina, name="成都锦程科技有限公司", address="成都市锦江区红星路1号")
    response = api(gina).post(f"/api/v1/prospects/{prospect.pk}/convert/", {"code": "PR0200"}, format="json")
    assert response.status_code == 400
    assert "CD0001" in str(response.json())
    assert not Customer.objects.filter(code="PR0200").exists()


def test_an_outsider_gets_404_and_the_anonymous_401(api, gina, yan, cast):
    prospect = file(gina)
    for outsider in (yan, cast["bob"], cast["carol"], cast["gd_paul"]):
        client = api(outsider)
        assert client.get(f"/api/v1/prospects/{prospect.pk}/").status_code == 404
        assert client.post(f"/api/v1/prospects/{prospect.pk}/claim/").status_code == 404
        assert prospect.pk not in [row["id"] for row in client.get("/api/v1/prospects/").json()["results"]]
    from rest_framework.test import APIClient

    assert APIClient().get("/api/v1/prospects/").status_code == 401
    assert APIClient().post(f"/api/v1/prospects/{prospect.pk}/claim/").status_code == 401
    # insiders over the grid see it
    for insider in (gina, cast["alice"], cast["dora"], cast["paul"], cast["hq"]):
        assert api(insider).get(f"/api/v1/prospects/{prospect.pk}/").status_code == 200


def test_partner_staff_see_no_prospect(api, gina, territory):
    from crm.models import Partner

    partner = Partner.objects.create(
        name="伙伴公司",
        uscc=make_uscc(777),
        kinds=["sales_agent"],
        region=territory["chengdu"],
        contract_starts_on=datetime.date(2024, 1, 1),
        contract_ends_on=datetime.date(2030, 12, 31),
    )
    partner_user = UserFactory(role="partner", region=territory["chengdu"], partner=partner)
    file(gina)
    assert api(partner_user).get("/api/v1/prospects/").json()["results"] == []


# -- the pages ------------------------------------------------------------------------------------------------------


def test_the_page_shows_the_duplicates_before_saving_then_files_on_confirmation(login, customers, gina):
    client = login(gina)
    data = {"name": "成都锦程科技有限责任公司", "region": "510104-G01", "address": "成都市锦江区红星路1号"}
    response = client.post(reverse("prospects:list"), data)
    assert response.status_code == 200
    assert b'data-testid="possible-duplicates"' in response.content
    assert "CD0001" in response.content.decode()
    assert not Prospect.objects.exists()
    response = client.post(reverse("prospects:list"), {**data, "confirm": "1"})
    assert response.status_code == 302
    assert Prospect.objects.get().name == "成都锦程科技有限责任公司"


def test_a_prospect_without_duplicates_is_filed_at_once(login, gina):
    response = login(gina).post(
        reverse("prospects:list"), {"name": "新公司", "region": "510104-G01", "address": "新路1号"}
    )
    assert response.status_code == 302
    assert Prospect.objects.get().status == "pool"


def test_the_convert_page_shows_why_a_duplicate_is_refused(login, customers, gina):
    prospect = file(gina, name="成都锦程科技有限公司", address="成都市锦江区红星路1号")
    response = login(gina).post(reverse("prospects:convert", args=[prospect.pk]), {"code": "PR0300"})
    assert response.status_code == 400
    assert "CD0001" in response.content.decode()
    assert not Customer.objects.filter(code="PR0300").exists()


def test_the_grid_page_for_its_manager_and_the_department_head(login, customers, gina, yan, cast, territory):
    NewCustomerTarget.objects.create(region=territory["grid"], year=timezone.localdate().year, target=4)
    file(gina)
    for reader in (gina, cast["dora"], cast["paul"]):
        response = login(reader).get(reverse("kpis:grid", args=["510104-G01"]))
        assert response.status_code == 200
        page = response.content.decode()
        assert 'data-testid="grid-profiles"' in page and 'data-testid="grid-coverage"' in page
        assert response.context["customers_total"] == 1
        assert response.context["prospects"]["pool"] == 1
        assert response.context["progress"][0].target == 4
    assert login(yan).get(reverse("kpis:grid", args=["510104-G01"])).status_code == 404
    assert login(cast["alice"]).get(reverse("kpis:grid", args=["510104-G01"])).status_code == 403
    assert login(gina).get(reverse("kpis:grids")).status_code == 302  # straight to their own grid
    assert login(cast["dora"]).get(reverse("kpis:grid", args=["510104"])).status_code == 404  # not a grid


def test_new_customer_targets_count_the_customers_filed_in_the_year(gina, territory):
    year = timezone.localdate().year
    NewCustomerTarget.objects.create(region=territory["chengdu"], year=year, target=10)
    services.prospect_convert(user=gina, prospect=file(gina), data={"code": "PR0400"})
    (progress,) = selectors.target_progress(user=gina, year=year, regions=[territory["chengdu"]])
    assert (progress.target, progress.achieved) == (10, 1)
    assert progress.share_pct == 10


# -- Done means (issue 21): the grid manager of 锦江区 files three prospects, one flagged, and converts one -----------


def test_done_means_the_grid_manager_files_three_prospects_one_flagged_and_converts_one(api, customers, gina):
    client = api(gina)
    filed = []
    for name, address in (
        ("成都春熙咖啡有限公司", "成都市锦江区春熙路9号"),
        ("成都锦程科技有限责任公司", "成都市锦江区红星路1号"),  # CD0001 at the same address
        ("成都东大街律师事务所", "成都市锦江区东大街100号"),
    ):
        response = client.post(
            "/api/v1/prospects/", {"name": name, "region": "510104-G01", "address": address}, format="json"
        )
        assert response.status_code == 201
        filed.append(response.json())
    assert [bool(body["possible_duplicates"]) for body in filed] == [False, True, False]
    first = filed[0]["id"]
    assert client.post(f"/api/v1/prospects/{first}/claim/").status_code == 200
    response = client.post(f"/api/v1/prospects/{first}/convert/", {"code": "CD0100"}, format="json")
    assert response.status_code == 201
    assert client.get("/api/v1/customers/CD0100/").json()["status"] == "active"
    assert (
        client.post(f"/api/v1/prospects/{filed[1]['id']}/convert/", {"code": "CD0101"}, format="json").status_code
        == 400
    )


# -- the KPI --------------------------------------------------------------------------------------------------------


def test_the_prospect_conversion_kpi_is_the_share_of_the_open_prospects_converted_in_the_period(gina, customers):
    from crm.periods import Period
    from kpis.metrics import METRIC_BY_CODE
    from kpis.totals import prospect_rows

    services.prospect_convert(user=gina, prospect=file(gina), data={"code": "PR0500"})
    file(gina, name="成都春熙书店有限公司", address="春熙路10号")
    today = timezone.localdate()
    metric = METRIC_BY_CODE["prospect_conversion"]

    def counted(period: Period) -> tuple[int, int]:
        as_of = min(today, period.end - datetime.timedelta(days=1))
        rows = [row for row in prospect_rows(period, as_of) if row.region == "510104-G01"]
        return sum(row.totals["prospects_converted"] for row in rows), sum(row.totals["prospects_open"] for row in rows)

    assert counted(Period.of(today)) == (1, 2)
    assert counted(Period.of(today - datetime.timedelta(days=62))) == (0, 0)  # filed since
    assert metric.value({"prospects_converted": 1, "prospects_open": 2}) == Decimal("0.5")
