"""The demo's national group (issue 21): a national bank's headquarters on the national list, in 锦江区, and 30 branches
in four cities of Sichuan (a provincial branch in 武侯区 over the others), owned by the headquarters' account team —
`hq_bank_am`, an account manager of the headquarters' group-customer department (集团总部政企客户部), who sees every
branch; 成都's department head sees those in 成都 and manages none of them. Upserted: a seeded database gets it once."""

from __future__ import annotations

from decimal import Decimal

from accounts.models import Customer, Industry
from accounts.services import customer_create
from crm.models import Region, User
from teams.services import team_set

GROUP_CODE = "BANK0001"
GROUP_NAME = "中国示范银行"
HQ_ACCOUNT_MANAGER = "hq_bank_am"
# The branches' cities, with how many branches each holds: 30 in all.
CITIES = {"510100": ("成都", 12), "510700": ("绵阳", 7), "510600": ("德阳", 6), "511100": ("乐山", 5)}


def seed_national_group() -> int:
    """The group's headquarters and branches, filed by headquarters' administrator through the services (tiers,
    audit trail); how many customers were filed (none when the group exists or the territory lacks its cities)."""
    admin = User.objects.filter(username="admin").first()
    team = User.objects.filter(username=HQ_ACCOUNT_MANAGER).first()
    if admin is None or team is None or Customer.objects.filter(code=GROUP_CODE).exists():
        return 0
    counties = {
        city: list(Region.objects.filter(parent_id=city, level="county").order_by("code")[:3]) for city in CITIES
    }
    if not all(counties.values()):
        return 0
    bank = Industry.objects.get(code="J66")  # 货币金融服务
    head = customer_create(
        user=admin,
        data={
            **_data(GROUP_CODE, f"{GROUP_NAME}股份有限公司", counties["510100"][0], 0, bank),
            "list_level": "national",
            "handset_count": 3200,
        },
    )
    team_set(by=admin, customer=head, roles={"customer_manager": team})
    province = customer_create(
        user=admin,
        data={
            **_data(f"{GROUP_CODE}-51", f"{GROUP_NAME}四川省分行", counties["510100"][-1], 1, bank),
            "parent": head,
            "list_level": "provincial",
        },
    )
    filed = 2
    for city, (city_name, count) in CITIES.items():
        for index in range(count if city != "510100" else count - 1):
            county = counties[city][index % len(counties[city])]
            code = f"{GROUP_CODE}-{city[:4]}{index + 1:02d}"
            name = f"{GROUP_NAME}{city_name}{county.name}第{index + 1}支行"
            customer_create(user=admin, data={**_data(code, name, county, filed, bank), "parent": province})
            filed += 1
    return filed


def _data(code: str, name: str, region: Region, serial: int, industry: Industry) -> dict:
    return {
        "code": code,
        "name": name,
        "region": region,
        "industry": industry,
        "address": f"{region.name}金融街{serial + 1}号",
        "handset_count": 60 + 7 * serial,
        "employee_count": 40 + 3 * serial,
        "monthly_spend": Decimal("12000.00") + Decimal(serial * 500),
        "informatization_revenue": Decimal("3000.00") + Decimal(serial * 100),
        "status": "active",
    }
