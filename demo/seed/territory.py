"""The demo province's territory and staff: regions down to grids, one well-known login per role, and the
department, head and managers of every city."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password

from crm.bulk import BulkWriter, next_id, reset_sequence
from crm.models import Department, Region, RegionLevel, Role, User
from crm.services import region_upsert, staff_upsert
from demo.data import sichuan

from .base import SeedClock, person_name

DEMO_PASSWORD = "Demo@2026crm"
DEMO_MANAGER, DEMO_MANAGER_CITY = "cd_am01", "510100"
CUSTOMERS_PER_MANAGER = (40, 70)
# Each of the other team roles has one manager per this many customer managers (at least one per city): a service
# or product manager serves far more customers than a customer manager does.
CUSTOMER_MANAGERS_PER_EXTRA = 40
TEAM_EXTRA_ROLES = ["service_manager", "product_manager", "network_manager", "billing_manager", "second_manager"]

CITY_WEIGHTS = {
    "510100": 34,
    "510700": 7,
    "510600": 6,
    "511500": 6,
    "511300": 6,
    "510500": 5,
    "511700": 5,
    "511100": 4,
    "510300": 3,
    "510400": 3,
    "510800": 3,
    "510900": 3,
    "511000": 3,
    "511400": 3,
    "511600": 3,
    "511800": 2,
    "511900": 2,
    "512000": 2,
    "513200": 1,
    "513300": 1,
    "513400": 4,
}


@dataclass
class DemoLogin:
    role: str
    username: str
    description: str


def seed_territory() -> dict[str, Region]:
    """The province, its cities, the counties of four cities and grids under a few districts (upserted)."""
    root = Region.objects.get(code="000000")
    regions: dict[str, Region] = {}
    province = region_upsert(
        code=sichuan.PROVINCE[0], name=sichuan.PROVINCE[1], level=RegionLevel.PROVINCE, parent=root
    )
    regions[province.code] = province
    for code, name in sichuan.CITIES:
        regions[code] = region_upsert(code=code, name=name, level=RegionLevel.CITY, parent=province)
    for city_code, counties in sichuan.COUNTIES.items():
        for code, name in counties:
            regions[code] = region_upsert(code=code, name=name, level=RegionLevel.COUNTY, parent=regions[city_code])
    for county_code, grids in sichuan.GRIDS.items():
        for number, name in enumerate(grids, start=1):
            code = f"{county_code}-G{number:02d}"
            regions[code] = region_upsert(code=code, name=name, level=RegionLevel.GRID, parent=regions[county_code])
    return regions


def seed_demo_logins() -> list[DemoLogin]:
    """One well-known login per role, upserted, so a seeded database always has them."""
    specs = [
        ("hq_admin", "admin", "000000", None, "周海", "headquarters administrator, sees everything"),
        ("provincial_staff", "sc_staff", "510000", "四川省政企客户部", "李娜", "Sichuan provincial staff"),
        ("department_head", "cd_head", "510100", "成都市政企客户部", "王建国", "head of the Chengdu department"),
        ("account_manager", DEMO_MANAGER, "510104", "成都市政企客户部", "张伟", "Chengdu account manager"),
    ]
    logins = []
    for role, username, region, department, name, description in specs:
        staff_upsert(
            username=username,
            role=role,
            region_code=region,
            department_name=department,
            password=DEMO_PASSWORD,
            full_name=name,
        )
        logins.append(DemoLogin(role, username, description))
    return logins


def city_counts(total: int) -> dict[str, int]:
    """How many of `total` customers each city gets; Chengdu takes the remainder of the rounding."""
    total_weight = sum(CITY_WEIGHTS.values())
    counts = {code: total * w // total_weight for code, w in CITY_WEIGHTS.items()}
    counts["510100"] += total - sum(counts.values())
    return counts


def seed_staff(
    regions: dict[str, Region],
    counts: dict[str, int],
    *,
    rng: random.Random,
    clock: SeedClock,
    progress: Callable[[str], None],
) -> tuple[dict[str, dict], int]:
    """Departments, heads and managers per city; returns, per city, the ids of its managers by role (and the
    customer managers' loads), and how many managers were written."""
    password = make_password(DEMO_PASSWORD)
    pools: dict[str, dict] = {}
    user_writer = BulkWriter(
        "crm_user",
        [
            "id",
            "password",
            "is_superuser",
            "username",
            "first_name",
            "last_name",
            "email",
            "is_staff",
            "is_active",
            "date_joined",
            "role",
            "region_id",
            "department_id",
        ],
    )
    departments = {}
    for city_code in counts:
        city = regions[city_code]
        department, _ = Department.objects.get_or_create(name=f"{city.name}政企客户部", defaults={"region": city})
        if department.head_id is None:
            head, _ = staff_upsert(
                username=f"head{city_code[:4]}",
                role=Role.DEPARTMENT_HEAD,
                region_code=city_code,
                department_name=department.name,
                full_name=person_name(rng),
            )
            User.objects.filter(pk=head.pk).update(password=password)
        departments[city_code] = department
    user_id = next_id("crm_user")
    for city_code, count in counts.items():
        department = departments[city_code]
        if count == 0:
            pools[city_code] = {"customer_manager": []}
            continue
        low, high = CUSTOMERS_PER_MANAGER
        loads, assigned = [], 0
        while assigned < count:
            load = min(rng.randint(low, high), count - assigned)
            loads.append(load)
            assigned += load
        extra = max(1, len(loads) // CUSTOMER_MANAGERS_PER_EXTRA)
        pool: dict[str, list] = {"customer_manager": [], "loads": loads}
        for role, how_many in [("customer_manager", len(loads))] + [(r, extra) for r in TEAM_EXTRA_ROLES]:
            pool[role] = []
            first = 1
            if role == "customer_manager" and city_code == DEMO_MANAGER_CITY:
                # The demo account manager login carries the first portfolio of its city.
                pool[role].append(User.objects.get(username=DEMO_MANAGER).pk)
                first = 2
            for number in range(first, how_many + 1):
                name = person_name(rng)
                username = f"{role.split('_')[0][:4]}{city_code[:4]}_{number:04d}"
                user_writer.add(
                    (
                        user_id,
                        password,
                        False,
                        username,
                        name[1:],
                        name[:1],
                        "",
                        False,
                        True,
                        clock.now,
                        Role.ACCOUNT_MANAGER,
                        city_code,
                        department.pk,
                    )
                )
                pool[role].append(user_id)
                user_id += 1
        pools[city_code] = pool
    user_writer.flush()
    reset_sequence("crm_user")
    progress(f"staff: {user_writer.written} managers in {len(counts)} city departments")
    return pools, user_writer.written
