"""Personal-VIP staffing (SPEC §4.3, issue 21): VIPs dealt among personal-VIP managers and moved between them, who
may, the load against the 400 line on the load page, and the KPI of overloaded VIP managers."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import GroupMember
from crm.periods import Period
from kpis.models import KpiSnapshot
from kpis.services import kpi_compute
from teams import selectors, services
from teams.models import VipAssignment, VipLoad
from teams.rules import VIP_MANAGER_CAPACITY, assign_round_robin, deal_quotas
from tests.factories import GroupMemberFactory, UserFactory

OCTOBER = Period(datetime.date(2026, 10, 1))
START = datetime.date(2026, 10, 1)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _vips(customer, count: int, arpu: str = "1600.00", **fields) -> list[GroupMember]:
    """`count` members of `customer` with a VIP level (gold at 1600), set as the nightly recompute sets it."""
    made = [GroupMemberFactory(customer=customer, arpu=Decimal(arpu), **fields) for _ in range(count)]
    GroupMember.objects.filter(pk__in=[m.pk for m in made], arpu__gte=666).update(vip_level="gold")
    return made


def _many_vips(customer, count: int) -> None:
    """Many VIPs at once (a manager's load above the line)."""
    GroupMember.objects.bulk_create(
        GroupMember(customer=customer, name=f"会员{i}", mobile=f"139{i:08d}", arpu=Decimal("3100"), vip_level="diamond")
        for i in range(count)
    )


@pytest.fixture
def vips(cast, customers):
    """成都: 3 VIPs of alice's customer (grid of 锦江), 2 of the 武侯 customer, one member below the VIP line and one
    VIP who has left; 绵阳: 2 VIPs of carol's customer."""
    found = {
        "jinjiang": _vips(customers["alice"], 3),
        "wuhou": _vips(customers["wuhou"], 2),
        "mianyang": _vips(customers["mianyang"], 2),
    }
    GroupMemberFactory(customer=customers["alice"], arpu=Decimal("88.00"))
    gone = _vips(customers["wuhou"], 1)[0]
    GroupMember.objects.filter(pk=gone.pk).update(left_on=START)
    return found


# -- the pure rule --------------------------------------------------------------------------------------------------


def test_dealing_counts_agree_with_dealing_one_at_a_time():
    rng = random.Random(21)
    for _ in range(300):
        managers = list(range(1, rng.randint(1, 6) + 1))
        loads = {m: rng.randint(0, 30) for m in managers}
        count = rng.randint(0, 120)
        one_by_one = assign_round_robin(list(range(count)), loads)
        expected = dict.fromkeys(managers, 0)
        for target in one_by_one.values():
            expected[target] += 1
        assert deal_quotas(count, loads) == expected, (count, loads)


def test_dealing_fills_the_least_loaded_first_and_ties_go_to_the_first_named():
    assert deal_quotas(5, {7: 3, 8: 0}) == {7: 1, 8: 4}
    assert deal_quotas(3, {7: 0, 8: 0}) == {7: 2, 8: 1}
    assert deal_quotas(0, {7: 0}) == {7: 0}


# -- dealing --------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_department_head_deals_the_unassigned_vips_of_the_department_evenly(cast, territory, vips):
    plan = selectors.vip_deal_plan(by=cast["dora"], region=territory["chengdu"], managers=[cast["alice"], cast["bob"]])
    assert plan.unassigned == 5  # the one below the line, the one who left and 绵阳's are not dealt
    assert {m.username: (b, t, a) for m, b, t, a in plan.rows()} == {"alice": (0, 3, 3), "bob": (0, 2, 2)}
    result = services.vip_deal(
        by=cast["dora"], region=territory["chengdu"], managers=[cast["alice"], cast["bob"]], on=START
    )
    assert result.dealt == 5 and result.per_manager == {"alice": 3, "bob": 2}
    # dealt in customer order: a customer's VIPs go to one manager as far as can be
    alice_members = set(VipAssignment.objects.filter(manager=cast["alice"]).values_list("member_id", flat=True))
    assert alice_members == {m.pk for m in vips["jinjiang"]}
    assert selectors.vip_counts([cast["alice"].pk, cast["bob"].pk]) == {cast["alice"].pk: 3, cast["bob"].pk: 2}
    assert not VipAssignment.objects.filter(member__in=vips["mianyang"]).exists()
    # nothing is left to deal
    with pytest.raises(ValidationError) as error:
        services.vip_deal(by=cast["dora"], region=territory["chengdu"], managers=[cast["alice"]])
    assert "in a manager's care already" in str(error.value)


@pytest.mark.django_db
def test_a_deal_goes_to_the_least_loaded_and_asks_before_overloading(cast, territory, customers, vips):
    _many_vips(customers["wuhou"], VIP_MANAGER_CAPACITY)
    bob_first = selectors.vips_unassigned(by=cast["dora"], region=territory["wuhou"]).values_list("pk", flat=True)
    services.vip_assign(by=cast["dora"], member_ids=list(bob_first), manager=cast["bob"], confirm_overload=True)
    assert selectors.vip_counts([cast["bob"].pk])[cast["bob"].pk] == VIP_MANAGER_CAPACITY + 2
    # alice has none: she takes all three of 锦江, bob none
    plan = selectors.vip_deal_plan(by=cast["dora"], region=territory["chengdu"], managers=[cast["bob"], cast["alice"]])
    assert plan.taken == {cast["bob"].pk: 0, cast["alice"].pk: 3} and not plan.overloaded
    plan = selectors.vip_deal_plan(by=cast["dora"], region=territory["chengdu"], managers=[cast["bob"]])
    assert plan.overloaded == [(cast["bob"], VIP_MANAGER_CAPACITY + 5)]
    with pytest.raises(ValidationError) as error:
        services.vip_deal(by=cast["dora"], region=territory["chengdu"], managers=[cast["bob"]])
    assert error.value.code == "overload" and "above 400 personal VIPs" in error.value.messages[0]
    assert VipAssignment.objects.filter(member__in=vips["jinjiang"]).count() == 0  # nothing written


@pytest.mark.django_db
def test_only_managers_of_the_territory_deal_and_only_to_their_own_account_managers(cast, territory, vips):
    for who in ("alice", "gd_paul"):
        with pytest.raises(PermissionDenied):
            services.vip_deal(by=cast[who], region=territory["chengdu"], managers=[cast["alice"]])
    with pytest.raises(PermissionDenied):  # 绵阳 is not dora's territory
        services.vip_deal(by=cast["dora"], region=territory["mianyang"], managers=[cast["alice"]])
    with pytest.raises(ValidationError) as error:  # carol works in 绵阳's department, not dora's
        services.vip_deal(by=cast["dora"], region=territory["chengdu"], managers=[cast["carol"]])
    assert "carol" in error.value.message_dict["managers"][0]
    with pytest.raises(ValidationError) as error:  # provincial staff are no account managers
        services.vip_deal(by=cast["paul"], region=territory["sichuan"], managers=[cast["dora"]])
    assert "managers" in error.value.message_dict
    assert not VipAssignment.objects.exists()
    # provincial staff deal the whole province
    result = services.vip_deal(by=cast["paul"], region=territory["sichuan"], managers=[cast["carol"], cast["bob"]])
    assert result.dealt == 7


@pytest.mark.django_db
def test_moving_vips_keeps_the_history_and_refuses_outsiders(cast, territory, vips):
    services.vip_deal(by=cast["dora"], region=territory["chengdu"], managers=[cast["alice"]], on=START)
    moved = [m.pk for m in vips["jinjiang"][:2]]
    assert services.vip_assign(by=cast["dora"], member_ids=moved, manager=cast["bob"]) == 2
    today = timezone.localdate()
    assert VipAssignment.objects.filter(member_id__in=moved, manager=cast["alice"], ends_on=today).count() == 2
    assert VipAssignment.objects.active().filter(member_id__in=moved, manager=cast["bob"]).count() == 2
    # out of anyone's care
    assert services.vip_assign(by=cast["dora"], member_ids=moved[:1], manager=None) == 1
    assert not VipAssignment.objects.active().filter(member_id=moved[0]).exists()
    # 绵阳's members are not dora's to move: refused whole
    with pytest.raises(ValidationError) as error:
        services.vip_assign(by=cast["dora"], member_ids=[moved[1], vips["mianyang"][0].pk], manager=cast["alice"])
    assert str(vips["mianyang"][0].pk) in error.value.message_dict["members"][0]
    assert VipAssignment.objects.active().get(member_id=moved[1]).manager == cast["bob"]
    with pytest.raises(PermissionDenied):
        services.vip_assign(by=cast["bob"], member_ids=moved[1:], manager=cast["bob"])


@pytest.mark.django_db
def test_a_member_is_in_one_managers_care_at_a_time(cast, vips):
    member = vips["jinjiang"][0]
    VipAssignment.objects.create(member=member, manager=cast["alice"])
    with pytest.raises(ValidationError):
        VipAssignment(member=member, manager=cast["bob"]).full_clean()


# -- the load -------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_load_counts_current_vips_only_live_and_from_the_nights_counts(cast, territory, customers, vips):
    services.vip_deal(by=cast["dora"], region=territory["chengdu"], managers=[cast["alice"], cast["bob"]], on=START)
    # a member who falls below the line, or leaves, no longer counts
    GroupMember.objects.filter(pk=vips["wuhou"][0].pk).update(vip_level=None)
    live = {u.username: u.vip_count for u in selectors.vip_manager_load(cast["dora"], live=True).managers}
    assert live == {"alice": 3, "bob": 1}
    assert selectors.vip_manager_load(cast["dora"]).as_of is None  # nothing counted yet: counted live
    assert services.vip_loads_snapshot() == 2
    counted = selectors.vip_manager_load(cast["dora"])
    assert counted.as_of is not None
    assert {u.username: u.vip_count for u in counted.managers} == live
    summary = selectors.vip_load_summary(counted)
    assert (summary.managers, summary.overloaded, summary.vips, summary.managers_needed) == (2, 0, 4, 1)
    # an assignment recounts the managers it touched at once
    services.vip_assign(by=cast["dora"], member_ids=[vips["jinjiang"][0].pk], manager=cast["bob"])
    assert VipLoad.objects.get(user=cast["bob"]).vips == 2
    # carol's province colleague sees none of 成都's managers
    assert not selectors.vip_manager_load(cast["gd_paul"]).managers.exists()
    # a manager counted with none left in their care is not listed, by the territory's counts or the country's
    VipLoad.objects.filter(user=cast["alice"]).update(vips=0)
    for reader in ("dora", "paul", "hq"):
        assert {u.username: u.vip_count for u in selectors.vip_manager_load(cast[reader]).managers} == {"bob": 2}


@pytest.mark.django_db
def test_the_load_page_shows_the_vip_line_beside_the_group_line(cast, territory, customers, vips, login):
    _many_vips(customers["wuhou"], VIP_MANAGER_CAPACITY)
    services.vip_deal(by=cast["dora"], region=territory["chengdu"], managers=[cast["bob"]], confirm_overload=True)
    client = login(cast["dora"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("teams:manager-load"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="manager-load"' in html and 'data-testid="vip-manager-load"' in html
    assert f'href="{reverse("teams:vip-manager", args=["bob"])}"' in html
    assert "1 of 1 personal-VIP managers above the line" in html
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    assert "1 位个人VIP客户经理中 1 位超负荷" in client.get(reverse("teams:manager-load")).content.decode()
    only = login(cast["dora"]).get(reverse("teams:manager-load") + "?vip=overloaded")
    assert 'data-username="bob"' in only.content.decode().split('data-testid="vip-load"')[1]


@pytest.mark.django_db
def test_the_pages_are_for_the_managers_of_the_territory(cast, territory, vips, login, client):
    services.vip_deal(by=cast["paul"], region=territory["sichuan"], managers=[cast["carol"]])
    assert login(cast["alice"]).get(reverse("teams:manager-load")).status_code == 403
    assert login(cast["alice"]).get(reverse("teams:vip-deal")).status_code == 403
    for url in (reverse("teams:manager-load"), reverse("teams:vip-deal"), reverse("teams:vip-manager", args=["carol"])):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response["Location"]
    # carol is not of dora's department: her VIPs do not exist for dora
    assert login(cast["dora"]).get(reverse("teams:vip-manager", args=["carol"])).status_code == 404
    page = login(cast["paul"]).get(reverse("teams:vip-manager", args=["carol"]))
    assert page.status_code == 200
    assert page.content.decode().count('name="members"') == 7


@pytest.mark.django_db
def test_dealing_in_the_browser_previews_then_applies(cast, territory, vips, login):
    client = login(cast["dora"])
    form = {"region": "510100", "managers": "alice, bob"}
    preview = client.post(reverse("teams:vip-deal"), {**form, "preview": "1"})
    assert preview.status_code == 200
    assert 'data-testid="vip-deal-plan"' in preview.content.decode()
    assert not VipAssignment.objects.exists()
    applied = client.post(reverse("teams:vip-deal"), {**form, "apply": "1"})
    assert applied.status_code == 302
    assert VipAssignment.objects.count() == 5
    bad = client.post(reverse("teams:vip-deal"), {"region": "510700", "managers": "alice", "preview": "1"})
    assert bad.status_code == 400
    assert 'data-field="region"' in bad.content.decode() and "510700" in bad.content.decode()


@pytest.mark.django_db
def test_moving_in_the_browser(cast, territory, vips, login):
    services.vip_deal(by=cast["dora"], region=territory["chengdu"], managers=[cast["alice"]], on=START)
    client = login(cast["dora"])
    chosen = [vips["jinjiang"][0].pk, vips["jinjiang"][1].pk]
    moved = client.post(reverse("teams:vip-manager", args=["alice"]), {"members": chosen, "manager": "bob"})
    assert moved.status_code == 302
    assert set(selectors.vip_members_of(cast["bob"]).values_list("pk", flat=True)) == set(chosen)


# -- the KPI --------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_kpi_counts_overloaded_vip_managers_per_scope(cast, territory, customers, vips):
    _many_vips(customers["wuhou"], VIP_MANAGER_CAPACITY)
    services.vip_deal(
        by=cast["dora"], region=territory["wuhou"], managers=[cast["bob"]], confirm_overload=True, on=START
    )
    services.vip_deal(by=cast["dora"], region=territory["jinjiang"], managers=[cast["alice"]], on=START)
    services.vip_deal(by=cast["paul"], region=territory["mianyang"], managers=[cast["carol"]], on=START)
    kpi_compute(period=OCTOBER)

    def share(**scope):
        row = KpiSnapshot.objects.get(period=OCTOBER.start, metric="vip_manager_overload_share", **scope)
        return row.numerator, row.denominator, row.value

    assert share(kind="region", region=territory["sichuan"]) == (1, 3, Decimal("0.333333"))
    assert share(kind="region", region=territory["chengdu"]) == (1, 2, Decimal("0.5"))
    assert share(kind="region", region=territory["jinjiang"]) == (0, 1, 0)
    assert share(kind="region", region=territory["mianyang"]) == (0, 1, 0)
    assert share(kind="region", region=territory["guangdong"]) == (0, 0, None)
    department = cast["dora"].department
    assert share(kind="department", department=department) == (1, 2, Decimal("0.5"))
    # the nightly computation keeps the load page's counts
    assert VipLoad.objects.get(user=cast["bob"]).vips == VIP_MANAGER_CAPACITY + 2


@pytest.mark.django_db
def test_the_dashboard_links_the_kpi_to_the_overloaded_vip_managers(cast, territory, customers, vips, login):
    _many_vips(customers["wuhou"], VIP_MANAGER_CAPACITY)
    services.vip_deal(by=cast["dora"], region=territory["chengdu"], managers=[cast["bob"]], confirm_overload=True)
    kpi_compute(period=Period.of(timezone.localdate()))
    page = login(cast["dora"]).get(reverse("kpis:dashboard"))
    html = page.content.decode()
    card = html.split('data-testid="kpi-vip_manager_overload_share"')[1].split("</a>")[0]
    assert reverse("teams:manager-load") + "?vip=overloaded#vip-load" in card
    assert "100.0%" in card


@pytest.mark.django_db
def test_a_new_account_manager_of_another_department_is_not_offered(cast, territory):
    eve = UserFactory(username="eve", region=territory["fucheng"], department=cast["carol"].department)
    assert eve not in selectors.vip_manager_candidates(cast["dora"])
    assert cast["alice"] in selectors.vip_manager_candidates(cast["dora"])
