"""The one visibility rule of SPEC §2, role by role."""

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts.models import Customer
from crm.visibility import filing_regions, visible_regions
from teams.models import TeamRole
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def codes(user):
    return set(Customer.objects.visible_to(user).values_list("code", flat=True))


def test_anonymous_sees_nothing(customers):
    assert codes(AnonymousUser()) == set()


def test_account_manager_sees_only_customers_on_whose_team_they_are(cast, customers):
    assert codes(cast["alice"]) == {"CD0001"}


def test_manager_cannot_see_customer_of_a_same_department_colleague(cast, customers):
    assert "CD0001" not in codes(cast["bob"])
    assert codes(cast["bob"]) == {"CD0002"}


def test_manager_cannot_see_customer_of_another_city(cast, customers):
    assert "CD0001" not in codes(cast["carol"])
    assert codes(cast["carol"]) == {"MY0001"}


def test_any_team_role_grants_visibility(cast, customers):
    TeamRole.objects.create(customer=customers["mianyang"], user=cast["alice"], role="network_manager")
    assert codes(cast["alice"]) == {"CD0001", "MY0001"}


def test_ended_team_role_no_longer_grants_visibility(cast, customers):
    import datetime

    role = TeamRole.objects.get(customer=customers["alice"], user=cast["alice"])
    role.starts_on = datetime.date(2020, 1, 1)
    role.ends_on = datetime.date(2021, 1, 1)
    role.save()
    assert codes(cast["alice"]) == set()


def test_department_head_sees_the_department_region_subtree(cast, customers):
    assert codes(cast["dora"]) == {"CD0001", "CD0002"}


def test_department_head_without_department_sees_nothing(territory, customers):
    head = UserFactory(role="department_head", region=territory["chengdu"])
    assert codes(head) == set()


def test_provincial_staff_see_their_province_only(cast, customers):
    assert codes(cast["paul"]) == {"CD0001", "CD0002", "MY0001"}
    assert codes(cast["gd_paul"]) == {"GZ0001"}


def test_provincial_staff_with_a_city_home_region_see_the_whole_province(territory, customers):
    staff = UserFactory(role="provincial_staff", region=territory["chengdu"])
    assert codes(staff) == {"CD0001", "CD0002", "MY0001"}


def test_hq_admin_sees_everything(cast, customers):
    assert codes(cast["hq"]) == {"CD0001", "CD0002", "MY0001", "GZ0001"}


def region_codes(queryset):
    return set(queryset.values_list("code", flat=True))


def test_filing_regions_follow_the_territory(cast, territory):
    assert region_codes(filing_regions(cast["alice"])) == {"510104", "510104-G01"}
    assert region_codes(filing_regions(cast["dora"])) == {"510100", "510104", "510104-G01", "510107"}
    assert "510703" in region_codes(filing_regions(cast["paul"]))
    assert "440106" not in region_codes(filing_regions(cast["paul"]))
    assert filing_regions(cast["hq"]).count() == 11


def test_account_manager_filters_by_any_region_of_the_province(cast, territory):
    regions = region_codes(visible_regions(cast["alice"]))
    assert {"510000", "510703", "510107"} <= regions
    assert "440106" not in regions
    assert region_codes(visible_regions(cast["paul"])) == region_codes(filing_regions(cast["paul"]))


def test_moving_a_region_moves_its_subtree(cast, territory, customers):
    chengdu = territory["chengdu"]
    chengdu.parent = territory["guangdong"]
    chengdu.save()
    grid = type(chengdu).objects.get(code="510104-G01")
    assert grid.path == "000000/440000/510100/510104/510104-G01/"
    assert codes(cast["gd_paul"]) == {"GZ0001", "CD0001", "CD0002"}
    assert codes(cast["paul"]) == {"MY0001"}
