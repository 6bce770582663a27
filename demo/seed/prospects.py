"""The demo's grid and its pool (公海, issue 21): the claim rule of Sichuan, new-customer targets for the province, 成都
and 春熙路网格 (锦江区), and a few companies of that grid filed as prospects by its grid manager (`cd_grid01`) — one
claimed by them, one a likely duplicate of a customer of the grid. Upserted: a seeded database gets them once."""

from __future__ import annotations

import datetime

from accounts.models import Customer
from crm.models import Region, User
from prospects.models import ClaimRule, NewCustomerTarget, Prospect
from prospects.services import prospect_claim, prospect_file

DEMO_GRID = "510104-G01"
DEMO_GRID_MANAGER = "cd_grid01"
# 四川移动's yearly goal of group customers filed (摸底/圈地: "当年必须建立22900家集团客户"), and its share for 成都 and
# for one grid.
TARGETS = {"510000": 22900, "510100": 6800, DEMO_GRID: 40}
PROSPECTS = [
    ("成都春熙路老字号餐饮管理有限公司", "成都市锦江区春熙路南段12号"),
    ("成都东大街律师事务所", "成都市锦江区东大街紫东楼段100号"),
    ("成都锦江区红星幼儿园", "成都市锦江区红星路三段8号"),
    ("四川盐市口商贸有限公司", "成都市锦江区盐市口顺城大街18号"),
    ("成都太古里文化传播有限公司", "成都市锦江区中纱帽街8号"),
]


def seed_prospects(today: datetime.date) -> int:
    """The rule, the targets and the grid's prospects; how many prospects were filed (none when some exist)."""
    ClaimRule.objects.update_or_create(region_id="510000", defaults={"max_claimed": 20, "return_after_days": 30})
    for code, target in TARGETS.items():
        NewCustomerTarget.objects.update_or_create(region_id=code, year=today.year, defaults={"target": target})
    manager = User.objects.filter(username=DEMO_GRID_MANAGER).first()
    grid = Region.objects.filter(code=DEMO_GRID).first()
    if manager is None or grid is None or Prospect.objects.filter(region=grid).exists():
        return 0
    rows = list(PROSPECTS)
    # a customer of the grid filed again, under a slightly different name at its address: the check flags it
    known = Customer.objects.filter(region=grid).exclude(address="").order_by("code").first()
    if known is not None:
        rows.append((f"{known.name.removesuffix('有限公司')}有限责任公司", known.address))
    filed = [
        prospect_file(user=manager, data={"name": name, "address": address, "region": grid}) for name, address in rows
    ]
    prospect_claim(user=manager, prospect=filed[0])
    return len(filed)
