"""Who becomes a converted prospect's customer manager (issue 21): the one named, even when an account manager
converts it (whom filing the customer made its customer manager a moment before), and only one of the staff who may
hold the role there (`selectors.customer_manager_candidates`: the active account managers of its province) — the
service, the API and the convert page alike."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Customer
from crm.models import Region
from prospects import selectors, services
from teams.models import TeamRole
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def gina(territory):
    return UserFactory(username="gina", role="grid_manager", region=territory["grid"])


@pytest.fixture
def prospect(gina):
    return services.prospect_file(
        user=gina, data={"name": "成都春熙咖啡有限公司", "address": "春熙路9号", "region": gina.region}
    )


def managers(customer) -> list[str]:
    return list(
        TeamRole.objects.active()
        .filter(customer=customer, role="customer_manager")
        .values_list("user__username", flat=True)
    )


def test_an_account_manager_converting_makes_the_manager_they_name_its_customer_manager(prospect, cast):
    services.prospect_claim(user=cast["alice"], prospect=prospect)
    customer = services.prospect_convert(
        user=cast["alice"], prospect=prospect, data={"code": "PR0600", "customer_manager": cast["bob"]}
    )
    assert managers(customer) == ["bob"]
    # the converter's role of the filing ended the day it began: history, not a second manager
    ended = TeamRole.objects.get(customer=customer, user=cast["alice"])
    assert ended.ends_on == ended.starts_on
    assert Customer.objects.visible_to(cast["bob"]).filter(pk=customer.pk).exists()


def test_an_account_manager_converting_without_naming_one_is_its_customer_manager(prospect, cast):
    services.prospect_claim(user=cast["alice"], prospect=prospect)
    customer = services.prospect_convert(user=cast["alice"], prospect=prospect, data={"code": "PR0601"})
    assert managers(customer) == ["alice"]
    assert TeamRole.objects.filter(customer=customer).count() == 1


def test_the_account_managers_of_the_province_are_the_candidates(prospect, gina, cast, territory):
    partner_staff = UserFactory(username="pat", role="partner", region=territory["chengdu"])
    UserFactory(username="gone", region=territory["jinjiang"], is_active=False)
    candidates = set(selectors.customer_manager_candidates(prospect.region).values_list("username", flat=True))
    assert candidates == {"alice", "bob", "carol"}  # 成都 and 绵阳's; not 广东's, a grid manager, a head, partner
    assert partner_staff.username not in candidates and gina.username not in candidates


@pytest.mark.parametrize("who", ["gina_next_door", "partner", "head", "guangdong", "inactive"])
def test_naming_someone_who_may_not_be_customer_manager_is_refused_and_nothing_is_written(
    prospect, cast, territory, who
):
    next_grid = Region(code="510104-G02", name="盐市口网格", level="grid", parent=territory["jinjiang"])
    next_grid.save()
    named = {
        "gina_next_door": lambda: UserFactory(username="yan", role="grid_manager", region=next_grid),
        "partner": lambda: UserFactory(username="pat", role="partner", region=territory["chengdu"]),
        "head": lambda: cast["dora"],
        "guangdong": lambda: UserFactory(username="gd_am", region=territory["tianhe"]),
        "inactive": lambda: UserFactory(username="gone", region=territory["jinjiang"], is_active=False),
    }[who]()
    with pytest.raises(ValidationError) as refused:
        services.prospect_convert(
            user=cast["dora"], prospect=prospect, data={"code": "PR0603", "customer_manager": named}
        )
    assert "customer_manager" in refused.value.message_dict
    assert not Customer.objects.filter(code="PR0603").exists()


def test_the_api_names_the_field_of_a_refused_customer_manager(api, prospect, gina, territory):
    UserFactory(username="pat", role="partner", region=territory["chengdu"])
    client = api(gina)
    response = client.post(
        f"/api/v1/prospects/{prospect.pk}/convert/", {"code": "PR0604", "customer_manager": "pat"}, format="json"
    )
    assert response.status_code == 400
    assert "customer_manager" in response.json()
    assert not Customer.objects.filter(code="PR0604").exists()


def test_the_convert_page_takes_a_picked_manager_and_refuses_another_on_the_field(login, prospect, gina, cast):
    """The customer manager is typed and picked (the staff picker, not a list of a province's thousands of account
    managers); one who may not be refused on the field, by name, in Chinese; nothing written."""
    client = login(gina)
    html = client.get(reverse("prospects:detail", args=[prospect.pk])).content.decode()
    field = re.search(r'<input[^>]*name="customer_manager"[^>]*>', html).group(0)
    assert 'data-staff-picker="one"' in field and "<select" not in html.split('name="customer_manager"')[0][-300:]
    assert "js/staff-picker.js" in html and "本省的客户经理" in html
    for named in (cast["dora"].username, "nobody"):
        response = client.post(
            reverse("prospects:convert", args=[prospect.pk]), {"code": "PR0605", "customer_manager": named}
        )
        assert response.status_code == 400
        assert response.context["convert_form"].errors["customer_manager"]
        assert not Customer.objects.filter(code="PR0605").exists()
    response = client.post(
        reverse("prospects:convert", args=[prospect.pk]), {"code": "PR0605", "customer_manager": "张爱丽 (alice)"}
    )
    assert response.status_code == 302
    assert managers(Customer.objects.get(code="PR0605")) == ["alice"]


def test_an_account_manager_naming_another_on_the_page_goes_back_to_the_prospect(login, prospect, cast):
    services.prospect_claim(user=cast["alice"], prospect=prospect)
    response = login(cast["alice"]).post(
        reverse("prospects:convert", args=[prospect.pk]), {"code": "PR0606", "customer_manager": cast["bob"].username}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("prospects:detail", args=[prospect.pk])
    assert managers(Customer.objects.get(code="PR0606")) == ["bob"]
