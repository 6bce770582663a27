"""The demo provinces' territory and staff: regions down to grids, one well-known login per role, and the
department, head and managers of every city. Sichuan is the demo; Guizhou and Yunnan are there for the
three-province benchmark (issue 19), each in a module of `demo.data`."""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from django.contrib.auth.hashers import make_password

from crm.bulk import BulkWriter, next_id, reset_sequence
from crm.models import Department, Partner, Region, RegionLevel, Role, User
from crm.services import region_upsert, staff_upsert
from crm.validators import uscc_check_character
from demo.data import guizhou, sichuan, yunnan

from .base import SeedClock, person_name

DEMO_PASSWORD = "Demo@2026crm"
DEMO_MANAGER, DEMO_MANAGER_CITY = "cd_am01", "510100"
CUSTOMERS_PER_MANAGER = (40, 70)
# Each of the other team roles has one manager per this many customer managers (at least one per city): a service
# or product manager serves far more customers than a customer manager does.
CUSTOMER_MANAGERS_PER_EXTRA = 40
TEAM_EXTRA_ROLES = ["service_manager", "product_manager", "network_manager", "billing_manager", "second_manager"]

# The provinces `seed_demo --provinces` knows, by the name it takes; Sichuan, which carries the demo logins, is
# always seeded, and first, so that its rows are the same whatever else is seeded beside it.
PROVINCES: dict[str, ModuleType] = {"sichuan": sichuan, "guizhou": guizhou, "yunnan": yunnan}


@dataclass
class DemoLogin:
    role: str
    username: str
    description: str


def seed_territory(provinces: tuple[str, ...] = ("sichuan",)) -> dict[str, Region]:
    """Each province, its cities, counties of each city and grids under a few districts (upserted), and the
    province's staff login for those other than Sichuan (whose is one of `seed_demo_logins`)."""
    root = Region.objects.get(code="000000")
    regions: dict[str, Region] = {}
    for key in provinces:
        data = PROVINCES[key]
        code, name = data.PROVINCE
        province = region_upsert(code=code, name=name, level=RegionLevel.PROVINCE, parent=root)
        regions[province.code] = province
        for code, name in data.CITIES:
            regions[code] = region_upsert(code=code, name=name, level=RegionLevel.CITY, parent=province)
        for city_code, counties in data.COUNTIES.items():
            for code, name in counties:
                regions[code] = region_upsert(code=code, name=name, level=RegionLevel.COUNTY, parent=regions[city_code])
        for county_code, grids in data.GRIDS.items():
            for number, name in enumerate(grids, start=1):
                code = f"{county_code}-G{number:02d}"
                regions[code] = region_upsert(code=code, name=name, level=RegionLevel.GRID, parent=regions[county_code])
    return regions


def province_logins(provinces: tuple[str, ...]) -> list[DemoLogin]:
    """The staff login of each province but Sichuan (upserted), with the demo's password."""
    logins = []
    for key in provinces:
        data = PROVINCES[key]
        if data is sichuan:
            continue
        username, department, name = data.STAFF
        staff_upsert(
            username=username,
            role=Role.PROVINCIAL_STAFF,
            region_code=data.PROVINCE[0],
            department_name=department,
            password=DEMO_PASSWORD,
            full_name=name,
        )
        logins.append(DemoLogin("provincial_staff", username, f"{key.capitalize()} provincial staff"))
    return logins


# The demo's partner company (合作伙伴, issue 20): a solution provider and sales agent of 成都, under a contract
# covering any demo day, its staff login below; the campaign gives it its plans of one county (demo.seed.campaigns).
DEMO_PARTNER = "成都数智方案科技有限公司"
DEMO_PARTNER_USCC = "91510100MA6DEMQ01"  # its check character computed


def seed_demo_partner() -> Partner:
    """The demo's partner company, under a contract long enough for any demo day (the same rows every day)."""
    partner, _created = Partner.objects.update_or_create(
        name=DEMO_PARTNER,
        defaults={
            "uscc": DEMO_PARTNER_USCC[:17] + uscc_check_character(DEMO_PARTNER_USCC[:17]),
            "kinds": ["solution_provider", "sales_agent"],
            "region": Region.objects.get(code="510100"),
            "contract_starts_on": datetime.date(2024, 1, 1),
            "contract_ends_on": datetime.date(2030, 12, 31),
        },
    )
    return partner


def seed_demo_logins() -> list[DemoLogin]:
    """One well-known login per role, upserted, so a seeded database always has them."""
    seed_demo_partner()
    specs = [
        ("hq_admin", "admin", "000000", None, "周海", "headquarters administrator, sees everything"),
        ("provincial_staff", sichuan.STAFF[0], "510000", *sichuan.STAFF[1:], "Sichuan provincial staff"),
        ("department_head", "cd_head", "510100", "成都市政企客户部", "王建国", "head of the Chengdu department"),
        ("account_manager", DEMO_MANAGER, "510104", "成都市政企客户部", "张伟", "Chengdu account manager"),
        (
            "account_manager",
            "hq_bank_am",
            "000000",
            None,
            "赵敏",
            "account team at headquarters of the national bank group 中国示范银行 (its branches in four cities)",
        ),
        ("grid_manager", "cd_grid01", "510104-G01", "成都市政企客户部", "李娜", "grid manager of 春熙路网格 (锦江区)"),
        ("partner", "cd_partner", "510100", None, "刘洋", f"staff of the partner {DEMO_PARTNER}"),
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
            partner_name=DEMO_PARTNER if role == Role.PARTNER else None,
        )
        logins.append(DemoLogin(role, username, description))
    return logins


def city_counts(total: int, province: str = "sichuan") -> dict[str, int]:
    """How many of `total` customers each city of `province` gets; its capital takes the remainder of the
    rounding."""
    weights = PROVINCES[province].WEIGHTS
    total_weight = sum(weights.values())
    counts = {code: total * w // total_weight for code, w in weights.items()}
    counts[next(iter(weights))] += total - sum(counts.values())
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
