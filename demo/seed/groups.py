"""The demo's national group (issue 21): a national bank's headquarters on the national list, in 成都, and 30 branches
in four cities of Sichuan (a provincial branch over the others), owned by the headquarters' account team —
`hq_bank_am`, an account manager of headquarters (home region the national root), its second manager, who sees
every branch; 成都's department head sees those in 成都 and manages none of them.

The group is made of customers the seed drew (renamed, recoded, put under their headquarters), so the province's
counts, tiers, teams and history stay what the seed made them. Upserted: a seeded database gets it once."""

from __future__ import annotations

from accounts.models import Customer, CustomerStatus, ListLevel
from crm.models import Region, User
from teams.services import team_set

GROUP_CODE = "BANK0001"
GROUP_NAME = "中国示范银行"
HQ_ACCOUNT_MANAGER = "hq_bank_am"
# The branches' cities, with how many branches each holds: 30 in all (成都's first one the Sichuan branch).
CITIES = {"510100": ("成都", 12), "510700": ("绵阳", 7), "510600": ("德阳", 6), "511100": ("乐山", 5)}


def seed_national_group() -> int:
    """Make the group; how many customers it holds (none made when it exists, or the staff or cities are missing)."""
    admin = User.objects.filter(username="admin").first()
    team = User.objects.filter(username=HQ_ACCOUNT_MANAGER).first()
    if admin is None or team is None or Customer.objects.filter(code=GROUP_CODE).exists():
        return 0
    taken: list[int] = []
    drawn = {city: _drawn(city, count + (city == "510100"), taken) for city, (_name, count) in CITIES.items()}
    if len(drawn["510100"]) < 2:
        return 0
    head, province = drawn["510100"][0], drawn["510100"][1]
    _become(head, GROUP_CODE, f"{GROUP_NAME}股份有限公司", ListLevel.NATIONAL, None)
    _become(province, f"{GROUP_CODE}-51", f"{GROUP_NAME}四川省分行", ListLevel.PROVINCIAL, head)
    made = 2
    for city, (city_name, _count) in CITIES.items():
        branches = drawn[city][2:] if city == "510100" else drawn[city]
        for index, branch in enumerate(branches):
            name = f"{GROUP_NAME}{city_name}{branch.region.name}第{index + 1}支行"
            _become(branch, f"{GROUP_CODE}-{city[:4]}{index + 1:02d}", name, ListLevel.CITY, province)
            made += 1
    # its second manager (第二客户经理) at headquarters; its customer manager stays the one the seed gave it
    team_set(by=admin, customer=Customer.objects.get(pk=head.pk), roles={"second_manager": team})
    return made


def _drawn(city: str, count: int, taken: list[int]) -> list[Customer]:
    path = Region.objects.get(code=city).path
    rows = list(
        Customer.objects.filter(region__path__startswith=path, status=CustomerStatus.ACTIVE, parent__isnull=True)
        .exclude(pk__in=taken)
        .select_related("region")
        .order_by("code")[:count]
    )
    taken.extend(row.pk for row in rows)
    return rows


def _become(customer: Customer, code: str, name: str, level: str, parent: Customer | None) -> None:
    Customer.objects.filter(pk=customer.pk).update(code=code, name=name, list_level=level, parent=parent)
