"""seed_demo --provinces: Guizhou and Yunnan beside Sichuan, each a territory of its own with as many customers, and
Sichuan's rows the same as when it is seeded alone (the three-province benchmark of issue 19 compares the two)."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import override_settings

from accounts.models import Customer
from crm.models import Department, Region, User
from demo.data import guizhou, sichuan, yunnan
from demo.seed import DemoSeeder
from teams.models import TeamRole

pytestmark = pytest.mark.django_db

N = 300
PROVINCE_CODES = {"sichuan": "510000", "guizhou": "520000", "yunnan": "530000"}


def sichuan_rows() -> list[tuple]:
    """Sichuan's customers as the seed drew them, in the order drawn, with their customer managers; ids (hence
    codes and USCCs) left out, the sequences of a rolled-back seed are not."""
    customers = list(
        Customer.objects.filter(region__path__startswith="000000/510000/")
        .order_by("id")
        .values_list("name", "region_id", "industry_id", "handset_count", "monthly_spend", "status", "tier")
    )
    managers = list(
        TeamRole.objects.filter(customer__region__path__startswith="000000/510000/", role="customer_manager")
        .order_by("customer_id")
        .values_list("user__username", "user__department__name")
    )
    return customers + managers


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Sichuan alone, its rows kept and the seed rolled back; then the three provinces by the command."""
    fast_hashing = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), transaction.atomic(), fast_hashing:
        with transaction.atomic():
            DemoSeeder(N, progress=lambda line: None).run()
            alone = sichuan_rows()
            transaction.set_rollback(True)
        out = StringIO()
        call_command("seed_demo", customers=N, provinces="yunnan,guizhou,sichuan", no_kpis=True, stdout=out)
        yield {"alone": alone, "output": out.getvalue()}
        transaction.set_rollback(True)


def test_each_province_gets_as_many_customers(seeded):
    for key, code in PROVINCE_CODES.items():
        assert Customer.objects.filter(region__path__startswith=f"000000/{code}/").count() == N, key
    assert Customer.objects.count() == 3 * N
    assert f"Seeded {3 * N} customers in 3 province(s)" in seeded["output"]


def test_sichuan_is_the_same_as_seeded_alone(seeded):
    assert len(seeded["alone"]) > N
    assert sichuan_rows() == seeded["alone"]


def test_every_province_has_its_territory_departments_and_staff(seeded):
    for data in (sichuan, guizhou, yunnan):
        code = data.PROVINCE[0]
        assert Region.objects.get(code=code).name == data.PROVINCE[1]
        assert Region.objects.filter(level="city", parent_id=code).count() == len(data.CITIES)
        for city_code, _name in data.CITIES:
            department = Department.objects.get(region_id=city_code)
            assert department.head is not None, city_code
            # the managers of a city's customers are of its department (but the national bank's headquarters team,
            # whose home is the national root, on its branches: demo/seed/groups.py)
            managers = (
                User.objects.filter(team_roles__customer__region__path__startswith=f"000000/{code}/{city_code}/")
                .exclude(region_id="000000")
                .distinct()
            )
            assert set(managers.values_list("department_id", flat=True)) <= {department.pk}
        username, department_name, _name = data.STAFF
        staff = User.objects.get(username=username)
        assert (staff.role, staff.region_id, staff.department.name) == ("provincial_staff", code, department_name)
    assert "gz_staff" in seeded["output"] and "yn_staff" in seeded["output"]
    assert User.objects.get(username="yn_staff").check_password("Demo@2026crm")


def test_a_provinces_staff_sees_its_own_customers_only(seeded, client):
    client.force_login(User.objects.get(username="gz_staff"))
    response = client.get("/api/v1/customers/", {"page_size": 1})
    assert response.status_code == 200
    assert response.json()["count"] == N
    stranger = Customer.objects.filter(region__path__startswith="000000/530000/").first()
    assert client.get(f"/customers/{stranger.code}/").status_code == 404
    assert not TeamRole.objects.filter(
        customer__region__path__startswith="000000/520000/", user__region__path__startswith="000000/510000/"
    ).exists()


def test_an_unknown_province_is_refused():
    before = Region.objects.count()
    with pytest.raises(CommandError, match="unknown hubei"):
        call_command("seed_demo", customers=10, provinces="sichuan,hubei", stdout=StringIO())
    assert Region.objects.count() == before  # refused before anything is written


@pytest.mark.parametrize("data", [sichuan, guizhou, yunnan], ids=lambda data: data.PROVINCE[1])
def test_the_province_data_follows_gb_t_2260(data):
    province = data.PROVINCE[0]
    cities = [code for code, _name in data.CITIES]
    assert province.endswith("0000")
    assert all(code[:2] == province[:2] and code.endswith("00") and code != province for code in cities)
    assert len(set(cities)) == len(cities)
    assert set(data.WEIGHTS) == set(cities) and next(iter(data.WEIGHTS)) == cities[0]  # the capital first
    assert set(data.COUNTIES) == set(cities)
    counties = [code for county_list in data.COUNTIES.values() for code, _name in county_list]
    assert len(set(counties)) == len(counties)
    for city, county_list in data.COUNTIES.items():
        assert county_list, city
        assert all(code[:4] == city[:4] and code != city for code, _name in county_list), city
    assert set(data.GRIDS) <= set(counties)
