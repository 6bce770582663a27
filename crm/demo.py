"""A realistic demo province (四川省) for `seed_demo`: territory, departments, staff, customers and their people.

Figures are drawn so that the default national tier rules (SPEC §4.1) give roughly 5 % A, 25 % B and 70 % C:
about 2 % of customers are in industries the rules rate A outright, 2.5 % have 500 handsets or more, 22 % have
100–499, plus a few top-500 taxpayers and customers of major social influence.
A customer manager carries 40–70 customers (above 50 is overloaded, SPEC §5.2), so a million customers come with
about 20 000 staff. Visits of the current period meet the service standard of about 60 % of tiered customers.
Everything is written in bulk (COPY on PostgreSQL) so that a million customers load in minutes.
"""

from __future__ import annotations

import datetime
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Customer
from accounts.rules import vip_level_for
from accounts.validators import USCC_ALPHABET, uscc_check_character
from teams.models import MANAGER_PERIODS_CONSTRAINT, MANAGER_PERIODS_SQL, ServiceStandard
from teams.rules import CUSTOMER_MANAGER, INTERNAL, SECOND_MANAGER, period_bounds
from tiering.rules import evaluate
from tiering.selectors import published_rule_set

from .bulk import BulkWriter, next_id, reset_sequence
from .data import sichuan
from .models import Department, Region, RegionLevel, Role, User
from .services import region_upsert, staff_upsert

DEMO_PASSWORD = "Demo@2026"
DEMO_MANAGER, DEMO_MANAGER_CITY = "cd_am01", "510100"
CUSTOMERS_PER_MANAGER = (40, 70)
# Each of the other team roles has one manager per this many customer managers (at least one per city): a service
# or product manager serves far more customers than a customer manager does.
CUSTOMER_MANAGERS_PER_EXTRA = 40
# The share of tiered customers whose service standard is already met this period (if their team can meet it).
VISITS_MET_SHARE = 0.6

# Product holdings of active customers: product, per member, chance for tier A+/A, B, C, monthly CNY per user.
HOLDING_PLAN = [
    ("VPMN", True, (0.85, 0.6, 0.35), 8),
    ("GROUP_CRBT", True, (0.5, 0.3, 0.12), 5),
    ("GROUP_FLOW", True, (0.35, 0.2, 0.05), 20),
    ("MOBILE_PBX", False, (0.3, 0.1, 0.02), 300),
    ("GROUP_SMS", False, (0.5, 0.3, 0.1), 200),
    ("DEDICATED_LINE", False, (0.75, 0.3, 0.05), 3000),
    ("ENTERPRISE_BB", False, (0.5, 0.45, 0.3), 400),
    ("CLOUD_VIDEO", True, (0.2, 0.08, 0.01), 15),
    ("INDUSTRY_APP", False, (0.25, 0.1, 0.02), 1500),
]

# Industries the default rules rate A by themselves (≈2 % of customers), B by themselves (≈1.5 %), and the rest.
A_INDUSTRIES = [
    "S91",
    "S92",
    "S93",
    "S94",
    "S95",
    "S96",
    "R86",
    "R87",
    "I63",
    "G60",
    "J66",
    "D44",
    "D45",
    "D46",
    "G53",
    "G54",
    "G56",
]
B_INDUSTRIES = ["J67", "J68"]
COMMON_INDUSTRIES = {
    "C13": 4,
    "C14": 3,
    "C15": 3,
    "C17": 2,
    "C18": 2,
    "C21": 2,
    "C26": 3,
    "C27": 2,
    "C29": 2,
    "C30": 3,
    "C33": 3,
    "C34": 3,
    "C35": 3,
    "C36": 2,
    "C38": 3,
    "C39": 4,
    "E47": 5,
    "E48": 4,
    "E50": 3,
    "F51": 12,
    "F52": 10,
    "G58": 2,
    "G59": 2,
    "H61": 3,
    "H62": 5,
    "I64": 3,
    "I65": 5,
    "J69": 1,
    "K70": 4,
    "L71": 1,
    "L72": 8,
    "M73": 1,
    "M74": 2,
    "N78": 1,
    "O80": 2,
    "O82": 2,
    "P83": 5,
    "Q84": 4,
    "R88": 1,
    "R89": 1,
    "A01": 2,
    "B06": 1,
}

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

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任卢姚沈钟"
    "姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严欧莫孔向常汤康易乔赖文"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力鹏飞宇浩然欣怡佳琪晨阳雪梅志国海燕斌波鑫颖琳婷倩"
)
BRAND_WORDS = [
    "天府",
    "蜀道",
    "锦程",
    "巴蜀",
    "川西",
    "峨眉",
    "青城",
    "金沙",
    "长虹",
    "华西",
    "岷江",
    "嘉陵",
    "宏达",
    "新希望",
    "通威",
    "科伦",
    "鼎盛",
    "瑞丰",
    "恒通",
    "德康",
    "永丰",
    "兴川",
    "博睿",
    "致远",
    "金堂",
    "蓉城",
    "翠屏",
    "涪江",
    "汇丰",
    "利民",
    "信达",
    "众诚",
    "盛世",
    "和信",
    "中泰",
    "华兴",
    "安泰",
    "东方",
    "明德",
    "星辰",
]
SUFFIX_BY_SECTION = {
    "A": ["农业开发有限公司", "生态农业专业合作社", "林业有限公司"],
    "B": ["矿业有限责任公司", "能源开发有限公司"],
    "C": ["机械制造有限公司", "食品有限公司", "电子科技有限公司", "新材料股份有限公司", "制药有限公司", "实业有限公司"],
    "D": ["电力有限公司", "燃气有限公司", "水务有限责任公司"],
    "E": ["建设工程有限公司", "建筑安装有限公司", "装饰工程有限公司"],
    "F": ["商贸有限公司", "贸易有限公司", "连锁超市有限公司", "医药连锁有限公司"],
    "G": ["物流有限公司", "运输有限公司", "客运有限公司", "仓储有限公司"],
    "H": ["酒店管理有限公司", "餐饮管理有限公司", "火锅有限公司"],
    "I": ["信息技术有限公司", "网络科技有限公司", "软件有限公司"],
    "J": ["银行股份有限公司支行", "证券营业部", "保险代理有限公司", "小额贷款有限公司"],
    "K": ["房地产开发有限公司", "物业服务有限公司"],
    "L": ["企业管理咨询有限公司", "人力资源有限公司", "租赁有限公司", "广告传媒有限公司"],
    "M": ["检测技术有限公司", "设计研究院有限公司", "科技服务有限公司"],
    "N": ["环境治理有限公司", "市政设施管理有限公司"],
    "O": ["家政服务有限公司", "汽车维修有限公司"],
    "P": ["实验学校", "职业技术学院", "中学", "幼儿园"],
    "Q": ["人民医院", "中医医院", "社区卫生服务中心", "养老服务中心"],
    "R": ["文化传媒有限公司", "体育发展有限公司", "报业集团", "广播电视台"],
    "S": ["人民政府办公室", "税务局", "市场监督管理局", "街道办事处", "人力资源和社会保障局"],
    "T": ["代表处"],
}
STREETS = [
    "人民南路",
    "天府大道",
    "蜀都大道",
    "红星路",
    "建设路",
    "科华北路",
    "一环路",
    "二环路",
    "滨江路",
    "临江路",
    "长江路",
    "胜利路",
    "解放路",
    "文化路",
    "工业园区",
    "高新大道",
    "民主路",
    "中山路",
]
TITLES = [
    "总经理",
    "办公室主任",
    "信息中心主任",
    "副总经理",
    "财务总监",
    "行政经理",
    "局长",
    "院长",
    "校长",
    "采购经理",
]
TEAM_EXTRA_ROLES = ["service_manager", "product_manager", "network_manager", "billing_manager", "second_manager"]

# Visits (走访): what is said of them, by kind.
VISIT_PURPOSES = [
    "年度服务回访",
    "合同续签沟通",
    "5G专网需求调研",
    "云业务推介",
    "账单核对",
    "网络质量回访",
    "新建厂区覆盖勘察",
    "信息化项目交流",
    "故障处理回访",
    "集团成员拓展",
    "节前走访慰问",
    "资费政策宣讲",
]
VISIT_OPENINGS = {
    "onsite": ["上门拜访{title}，", "到客户现场与{title}座谈，", "陪同{title}查看机房和弱电间，", "拜访{title}，"],
    "phone": ["电话联系{title}，", "与{title}电话沟通，", "电话回访{title}，"],
    "online": ["与{title}视频会议，", "通过企业微信与{title}沟通，", "线上会议对接{title}，"],
    "internal": ["与客户经理召开月度内部沟通会，", "与客户经理梳理本月服务计划，", "内部碰头会，"],
}
VISIT_FINDINGS = [
    "客户对现有专线质量满意。",
    "客户计划明年扩建厂区，需新增宽带接入。",
    "客户反映部分楼层信号较弱，已报网络部门处理。",
    "了解到客户有视频监控上云需求。",
    "确认下季度合同续签意向。",
    "客户关注话费账单明细，已当面解释。",
    "客户准备采购一批工作手机。",
    "介绍了云电脑产品，客户表示有兴趣。",
    "客户近期人员扩张，集团成员数预计增加。",
    "客户对上月故障响应速度提出意见，已记录并反馈。",
    "客户有意办理5G专网试点。",
    "核对了集团成员名单，更新了关键人联系方式。",
    "客户正在比较友商报价，需尽快给出方案。",
    "客户信息化预算已批复，采购流程下月启动。",
]
INTERNAL_FINDINGS = [
    "确定本月走访安排和重点商机。",
    "复盘上月投诉处理情况，明确责任人。",
    "梳理续约风险，约定下周共同拜访客户。",
]
VISIT_OPPORTUNITIES = [
    "5G专网，约{n}个基站点位",
    "云电脑约{n}台",
    "视频监控上云，{n}路",
    "新增互联网专线{n}条",
    "物联网卡约{n}张",
    "企业宽带提速",
    "移动办公平台",
    "IDC机柜托管{n}个",
]
VISIT_NEXT_STEPS = [
    "两周内提交解决方案",
    "安排产品经理上门演示",
    "报网络部门现场勘察",
    "发送报价单",
    "下月再次回访",
    "跟进合同签署",
    "协调账务经理核对账单",
    "邀请客户参加产品沙龙",
]


@dataclass
class DemoLogin:
    role: str
    username: str
    description: str


@dataclass
class SeedReport:
    customers: int = 0
    holdings: int = 0
    key_persons: int = 0
    members: int = 0
    team_roles: int = 0
    visits: int = 0
    staff: int = 0
    logins: list[DemoLogin] = field(default_factory=list)
    skipped: bool = False


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


# The tables the seed fills in bulk. On PostgreSQL their foreign keys are dropped for the load and added back at
# the end: adding a foreign key checks every row with one join, where a loaded row costs one lookup and one row lock
# per key (≈ 45 s of a million-customer seed).
BULK_TABLES = [
    "crm_user",
    "accounts_customer",
    "accounts_keyperson",
    "accounts_groupmember",
    "teams_teamrole",
    "tiering_tierchange",
    "accounts_statusperiod",
    "campaigns_customerproduct",
    "teams_visit",
    "teams_visit_staff_present",
]


def _drop_foreign_keys(tables: list[str]) -> list[tuple[str, str, str]]:
    """Drop the foreign keys of the tables; returns (table, name, definition) of each, to add them back."""
    with connection.cursor() as cursor:
        # Checks deferred to the commit (of the rows written so far in this transaction) would forbid ALTER TABLE.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) ORDER BY 1, 2",
            [tables],
        )
        keys = cursor.fetchall()
        for table, name, _definition in keys:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    return keys


def _add_foreign_keys(keys: list[tuple[str, str, str]]) -> None:
    with connection.cursor() as cursor:
        for table, name, definition in keys:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@dataclass(frozen=True)
class VisitPlan:
    """A tier's service standard as the seeder needs it: what meets it, and the periods to visit in, the running
    one first, then each earlier one within the history, as [start, end)."""

    required: int
    role: str
    role_required: int
    periods: list[tuple[datetime.datetime, datetime.datetime]]


def _uscc(rng: random.Random, index: int, region_code: str, section: str) -> str:
    registry = {"S": "11", "P": "12", "Q": "12"}.get(section, "91")
    # An injective mapping of the index onto 9 characters keeps every generated code unique.
    value = (index * 7_919 + 104_729) % 31**9
    org = ""
    for _ in range(9):
        value, digit = divmod(value, 31)
        org = USCC_ALPHABET[digit] + org
    first17 = f"{registry}{region_code[:6]}{org}"
    return first17 + uscc_check_character(first17)


def _person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _mobile(serial: int) -> str:
    # Unique for every serial below 10**9: the 9 low digits are a permutation of the serial.
    return f"1{3 + serial % 7}{(serial * 7_919 + 13_579) % 10**9:09d}"


class DemoSeeder:
    def __init__(
        self, customers: int, seed: int = 2260, progress: Callable[[str], None] = print, history_months: int = 12
    ):
        self.total = customers
        # How far back visits and customers' statuses go: the KPIs' 12-month trend needs a year.
        self.history_months = max(history_months, 1)
        self.rng = random.Random(seed)
        self.progress = progress
        # Visits are drawn from a generator of their own, so that they leave the customers' figures as they were.
        self.visit_rng = random.Random(seed + 1)
        self.history_rng = random.Random(seed + 2)  # the same for statuses' history
        self.holding_rng = random.Random(seed + 3)  # and for product holdings
        self.postgres = connection.vendor == "postgresql"
        self.moment = timezone.now()
        self.now = self._stamp(self.moment)
        self.today = timezone.localdate(self.moment)
        industries = list(COMMON_INDUSTRIES)
        weights = list(COMMON_INDUSTRIES.values())
        common_total = sum(weights)
        # Scale so that A-rated industries are 2 % and B-rated ones 1.5 % of all customers.
        self.industry_choices = industries + A_INDUSTRIES + B_INDUSTRIES
        self.industry_weights = [w / common_total * 0.965 for w in weights]
        self.industry_weights += [0.02 / len(A_INDUSTRIES)] * len(A_INDUSTRIES)
        self.industry_weights += [0.015 / len(B_INDUSTRIES)] * len(B_INDUSTRIES)

    def _stamp(self, moment: datetime.datetime) -> str:
        """A timestamp as written by the database's own adapter: with its offset for PostgreSQL, naive UTC for
        SQLite (which compares them as text)."""
        if self.postgres:
            return moment.isoformat()
        return str(timezone.make_naive(moment, datetime.UTC))

    def run(self) -> SeedReport:
        report = SeedReport()
        regions = seed_territory()
        report.logins = seed_demo_logins()
        existing = Customer.objects.count()
        if existing:
            self.progress(f"The database already holds {existing} customers; demo customers are not added again.")
            report.skipped = True
            return report
        with transaction.atomic():
            self._seed(regions, report)
        return report

    # -- the bulk part ------------------------------------------------------------------------------------------

    def _city_counts(self) -> dict[str, int]:
        weights = CITY_WEIGHTS
        total_weight = sum(weights.values())
        counts = {code: self.total * w // total_weight for code, w in weights.items()}
        counts["510100"] += self.total - sum(counts.values())
        return counts

    def _staff(self, regions: dict[str, Region], counts: dict[str, int], report: SeedReport) -> dict[str, dict]:
        """Departments, heads and managers per city; returns, per city, the ids of its managers by role."""
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
                    full_name=_person_name(self.rng),
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
                load = min(self.rng.randint(low, high), count - assigned)
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
                    name = _person_name(self.rng)
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
                            self.now,
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
        report.staff = user_writer.written
        self.progress(f"staff: {user_writer.written} managers in {len(counts)} city departments")
        return pools

    def _seed(self, regions: dict[str, Region], report: SeedReport) -> None:
        rng = self.rng
        postgres = connection.vendor == "postgresql"
        if postgres:
            # Building the GiST index of the customer managers' periods once at the end costs a fraction of
            # maintaining it row by row through the load; the constraint is checked in full when it is added back.
            with connection.cursor() as cursor:
                cursor.execute(f"ALTER TABLE teams_teamrole DROP CONSTRAINT IF EXISTS {MANAGER_PERIODS_CONSTRAINT}")
            foreign_keys = _drop_foreign_keys(BULK_TABLES)
        counts = self._city_counts()
        pools = self._staff(regions, counts, report)
        rule_set = published_rule_set(None)
        rules = rule_set.specs()
        customer_writer = BulkWriter(
            "accounts_customer",
            [
                "id",
                "code",
                "name",
                "uscc",
                "industry_id",
                "region_id",
                "address",
                "list_level",
                "handset_count",
                "employee_count",
                "monthly_spend",
                "informatization_revenue",
                "is_tax_top500",
                "is_major_influence",
                "status",
                "tier",
                "computed_tier",
                "tier_reasons",
                "tier_rule_set_id",
                "created_at",
                "updated_at",
            ],
        )
        person_writer = BulkWriter(
            "accounts_keyperson", ["customer_id", "name", "title", "mobile", "is_decision_maker", "notes"]
        )
        member_writer = BulkWriter(
            "accounts_groupmember", ["customer_id", "name", "mobile", "on_net", "verified", "arpu", "vip_level"]
        )
        self.status_writer = BulkWriter("accounts_statusperiod", ["customer_id", "status", "starts_on", "ends_on"])
        self.holding_writer = BulkWriter(
            "campaigns_customerproduct",
            [
                "customer_id",
                "product_id",
                "active_users",
                "monthly_revenue",
                "subscribed_on",
                "last_used_on",
                "updated_at",
            ],
        )
        role_writer = BulkWriter("teams_teamrole", ["customer_id", "user_id", "role", "starts_on", "ends_on"])
        history_writer = BulkWriter(
            "tiering_tierchange", ["customer_id", "from_tier", "to_tier", "changed_at", "source", "rule_set_id"]
        )
        self.visit_writer = BulkWriter(
            "teams_visit",
            [
                "id",
                "customer_id",
                "visited_at",
                "visitor_id",
                "visitor_role",
                "kind",
                "purpose",
                "summary",
                "opportunities",
                "next_step",
                "next_visit_on",
                "created_at",
                "updated_at",
            ],
        )
        self.present_writer = BulkWriter("teams_visit_staff_present", ["visit_id", "user_id"])
        self.visit_id = next_id("teams_visit")
        self.visit_plans = self._visit_plans()
        customer_id = next_id("accounts_customer")
        serial = 0
        done = 0
        step = max(self.total // 20, 1)
        starts_on = (self.today - datetime.timedelta(days=365)).isoformat()
        for city_code, count in counts.items():
            city = regions[city_code]
            city_short = city.name.removesuffix("市")
            counties = [r for r in regions.values() if r.parent_id == city_code]
            grids = {c.code: [r for r in regions.values() if r.parent_id == c.code] for c in counties}
            pool = pools[city_code]
            manager_of = []
            for manager_id, load in zip(pool.get("customer_manager", []), pool.get("loads", []), strict=True):
                manager_of.extend([manager_id] * load)
            for index in range(count):
                code = f"28{customer_id:08d}"
                industry = rng.choices(self.industry_choices, self.industry_weights)[0]
                section = industry[0]
                region = city
                if counties and rng.random() < 0.9:
                    region = rng.choice(counties)
                    if grids[region.code] and rng.random() < 0.4:
                        region = rng.choice(grids[region.code])
                roll = rng.random()
                if roll < 0.025:
                    handsets = rng.randint(500, 6000)
                elif roll < 0.245:
                    handsets = rng.randint(100, 499)
                else:
                    handsets = rng.randint(3, 99)
                spend = Decimal(handsets * rng.uniform(35, 115)).quantize(Decimal("0.01"))
                revenue = (spend * Decimal(rng.uniform(0, 0.4))).quantize(Decimal("0.01"))
                status_roll = rng.random()
                status = "active" if status_roll < 0.9 else ("prospect" if status_roll < 0.96 else "churned")
                name = f"{city_short}{rng.choice(BRAND_WORDS)}{rng.choice(SUFFIX_BY_SECTION[section])}"
                if section == "S":
                    name = (
                        f"{region.name if region.level == 'county' else city.name}{rng.choice(SUFFIX_BY_SECTION['S'])}"
                    )
                uscc = _uscc(rng, customer_id, region.code, section) if rng.random() < 0.88 else None
                address = (
                    (
                        f"{city.name}{region.name if region.level != 'city' else ''}"
                        f"{rng.choice(STREETS)}{rng.randint(1, 999)}号"
                    )
                    if rng.random() < 0.93
                    else ""
                )
                list_level = "provincial" if handsets >= 2000 else "city"
                is_tax_top500, is_major_influence = rng.random() < 0.003, rng.random() < 0.002
                values = {
                    "status": status,
                    "industry": industry,
                    "handset_count": handsets,
                    "monthly_spend": spend,
                    "employee_count": int(handsets * rng.uniform(0.8, 1.6)),
                    "informatization_revenue": revenue,
                    "is_tax_top500": is_tax_top500,
                    "is_major_influence": is_major_influence,
                }
                # The tier as the rules in force give it, so that the demo shows tiers from the start.
                result = evaluate(values, rules)
                reasons = json.dumps(result.reasons, default=float, ensure_ascii=False, separators=(",", ":"))
                customer_writer.add(
                    (
                        customer_id,
                        code,
                        name,
                        uscc,
                        industry,
                        region.code,
                        address,
                        list_level,
                        handsets,
                        values["employee_count"],
                        spend,
                        revenue,
                        is_tax_top500,
                        is_major_influence,
                        status,
                        result.tier,
                        result.tier,
                        reasons,
                        rule_set.pk,
                        self.now,
                        self.now,
                    )
                )
                self._status_history(customer_id, status)
                if status == "active":
                    self._holdings(customer_id, result.tier, handsets)
                if result.tier:  # the tier's first entry in the customer's history: set on import
                    history_writer.add((customer_id, "", result.tier, self.now, "import", rule_set.pk))
                for number in range(rng.choice((0, 1, 1, 2, 2, 3))):
                    serial += 1
                    person_writer.add(
                        (
                            customer_id,
                            _person_name(rng),
                            rng.choice(TITLES),
                            _mobile(serial) if rng.random() < 0.9 else "",
                            number == 0,
                            "",
                        )
                    )
                for _ in range(min(handsets, rng.choice((0, 1, 2, 3, 4, 5)))):
                    serial += 1
                    arpu = Decimal(rng.choice((rng.uniform(20, 300), rng.uniform(20, 300), rng.uniform(300, 3600))))
                    arpu = arpu.quantize(Decimal("0.01"))
                    on_net = rng.random() < 0.3
                    member_writer.add(
                        (
                            customer_id,
                            _person_name(rng),
                            _mobile(serial),
                            on_net,
                            on_net and rng.random() < 0.7,
                            arpu,
                            vip_level_for(arpu),
                        )
                    )
                holders = {}
                if index < len(manager_of):
                    holders[CUSTOMER_MANAGER] = manager_of[index]
                    role_writer.add((customer_id, manager_of[index], "customer_manager", starts_on, None))
                if handsets >= 100 or industry in A_INDUSTRIES:
                    holders["service_manager"] = rng.choice(pool["service_manager"])
                    role_writer.add((customer_id, holders["service_manager"], "service_manager", starts_on, None))
                if handsets >= 500 or industry in A_INDUSTRIES:
                    for role in TEAM_EXTRA_ROLES[1:]:
                        if rng.random() < 0.8:
                            holders[role] = rng.choice(pool[role])
                            role_writer.add((customer_id, holders[role], role, starts_on, None))
                if result.tier and CUSTOMER_MANAGER in holders:
                    self._visits(customer_id, result.tier, holders)
                customer_id += 1
                done += 1
                if done % step == 0:
                    self.progress(f"customers: {done}/{self.total} ({done * 100 // self.total} %)")
        writers = (
            customer_writer,
            person_writer,
            member_writer,
            role_writer,
            history_writer,
            self.status_writer,
            self.holding_writer,
            self.visit_writer,
            self.present_writer,
        )
        for writer in writers:
            writer.flush()
        for writer in writers:
            reset_sequence(writer.table)
        if postgres:
            with connection.cursor() as cursor:
                # The foreign keys' checks of rows saved one by one are deferred to the commit; run them now, as
                # ALTER TABLE needs.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(MANAGER_PERIODS_SQL)
            _add_foreign_keys(foreign_keys)
        report.customers = customer_writer.written
        report.key_persons = person_writer.written
        report.members = member_writer.written
        report.team_roles = role_writer.written
        report.visits = self.visit_writer.written
        report.holdings = self.holding_writer.written
        self.progress(f"visits: {self.visit_writer.written}")

    def _status_history(self, customer_id: int, status: str) -> None:
        """Where the customer's status came from: most active customers have been so for years, about one in
        twelve became active within the history (a prospect before); churned customers churned within it."""
        random_ = self.history_rng.random
        history_days = self.history_months * 30

        def days_ago(low: int, high: int) -> datetime.date:
            return self.today - datetime.timedelta(days=low + int(random_() * (high - low)))

        periods: list[tuple[str, datetime.date]] = []
        if status == "active" and random_() < 0.08:
            became_active = days_ago(0, history_days)
            periods = [("prospect", became_active - datetime.timedelta(days=30 + int(random_() * 150)))]
            periods.append(("active", became_active))
        elif status == "active":
            periods = [("active", days_ago(history_days + 1, 6 * 365))]
        elif status == "churned":
            churned_on = days_ago(1, history_days)
            periods = [("active", days_ago(history_days + 1, 6 * 365)), ("churned", churned_on)]
        else:
            periods = [("prospect", days_ago(1, 2 * 365))]
        for (state, starts_on), following in zip(periods, [*periods[1:], None], strict=True):
            ends_on = following[1].isoformat() if following else None
            self.status_writer.add((customer_id, state, starts_on.isoformat(), ends_on))

    def _holdings(self, customer_id: int, tier: str | None, handsets: int) -> None:
        """The products an active customer holds: more of them the higher its tier; per-member products with a
        share of the handsets from a few (fake coverage) to most (covered); about one holding in eight unused for
        months (fake)."""
        random_ = self.holding_rng.random
        rank = {"A+": 0, "A": 0, "B": 1, "C": 2}.get(tier or "C", 2)
        for code, per_member, chances, revenue_per in HOLDING_PLAN:
            if random_() >= chances[rank]:
                continue
            subscribed = self.today - datetime.timedelta(days=30 + int(random_() * 1800))
            if random_() < 0.12:
                last_used = subscribed + datetime.timedelta(days=int(random_() * 20))
                last_used = min(last_used, self.today - datetime.timedelta(days=91 + int(random_() * 200)))
                last_used = max(last_used, subscribed)
            else:
                last_used = self.today - datetime.timedelta(days=int(random_() * 30))
            users = max(1, int(handsets * random_() ** 0.7)) if per_member else 1
            revenue = Decimal(users * revenue_per * (0.6 + random_() * 0.8)).quantize(Decimal("0.01"))
            self.holding_writer.add(
                (customer_id, code, users, revenue, subscribed.isoformat(), last_used.isoformat(), self.now)
            )

    # -- visits ------------------------------------------------------------------------------------------------

    def _visit_plans(self) -> dict[str, VisitPlan]:
        tz = timezone.get_current_timezone()

        def midnight(day: datetime.date) -> datetime.datetime:
            return datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)

        plans = {}
        history_start = period_bounds("month", self.today)[0]
        for _ in range(self.history_months - 1):
            history_start = period_bounds("month", history_start - datetime.timedelta(days=1))[0]
        for standard in ServiceStandard.objects.all():
            start, _ = period_bounds(standard.period, self.today)
            periods = [(midnight(start), self.moment)]
            while True:  # every earlier period that lies wholly within the history
                previous, _ = period_bounds(standard.period, start - datetime.timedelta(days=1))
                if previous < history_start:
                    break
                periods.append((midnight(previous), midnight(start)))
                start = previous
            plans[standard.tier] = VisitPlan(
                standard.visits_required, standard.visits_role, standard.visits_role_required, periods
            )
        month_start, _ = period_bounds("month", self.today)
        self.month_start = midnight(month_start)
        # Every summary and opportunity text made once, so that a visit costs a few random draws.
        self.visit_texts = {
            kind: [
                opening.format(title=title) + finding
                for opening in openings
                for title in TITLES
                for finding in VISIT_FINDINGS
            ]
            for kind, openings in VISIT_OPENINGS.items()
            if kind != INTERNAL
        }
        self.visit_texts[INTERNAL] = [
            opening + finding for opening in VISIT_OPENINGS[INTERNAL] for finding in INTERNAL_FINDINGS
        ]
        self.opportunity_texts = [
            text.format(n=n) for text in VISIT_OPPORTUNITIES for n in (2, 3, 5, 8, 10, 20, 30, 50)
        ]
        return plans

    def _visits(self, customer_id: int, tier: str, holders: dict[str, int]) -> None:
        """The visits of one customer in each period of its standard within the history: in the running period
        enough to meet the standard for about 60 % of customers, in closed ones for about 75 % (a little less the
        further back), never for a customer whose team lacks the role the standard wants visits of, fewer for the
        rest; for half of those with a second manager, this month's internal sync."""
        plan = self.visit_plans.get(tier)
        if plan is None:
            return
        rng = self.visit_rng
        manager = holders[CUSTOMER_MANAGER]
        role_holder = holders.get(plan.role) if plan.role else None
        for back, (start, end) in enumerate(plan.periods):
            met_share = VISITS_MET_SHARE if back == 0 else 0.78 - 0.02 * back
            if rng.random() < met_share and (role_holder or not plan.role):
                visitors = [(role_holder, plan.role)] * plan.role_required
                visitors += [(manager, CUSTOMER_MANAGER)] * (plan.required - plan.role_required)
                if rng.random() < 0.15:
                    visitors.append((manager, CUSTOMER_MANAGER))
            else:
                # Not met: fewer visits than required, or (with a role to visit) none of that role's.
                most = plan.required if plan.role_required else plan.required - 1
                visitors = [(manager, CUSTOMER_MANAGER)] * rng.randint(0, most)
            for visitor, role in visitors:
                self._visit(customer_id, visitor, role, self._contact_kind(), start, end)
        second = holders.get(SECOND_MANAGER)
        if second and rng.random() < 0.5:
            visit_id = self._visit(customer_id, second, SECOND_MANAGER, INTERNAL, self.month_start, self.moment)
            self.present_writer.add((visit_id, manager))

    def _contact_kind(self) -> str:
        roll = self.visit_rng.random()
        return "onsite" if roll < 0.55 else ("phone" if roll < 0.85 else "online")

    def _visit(
        self,
        customer_id: int,
        visitor: int,
        role: str,
        kind: str,
        start: datetime.datetime,
        end: datetime.datetime,
    ) -> int:
        """One visit in [start, end), in working hours when the range allows; `end` is at most now."""
        random_ = self.visit_rng.random
        when = start + datetime.timedelta(
            days=int(random_() * ((end - start).days + 1)), minutes=540 + int(random_() * 540)
        )
        if when >= end:
            when = start + (end - start) * random_()
        logged = self._stamp(min(when + datetime.timedelta(minutes=10 + int(random_() * 290)), self.moment))
        texts = self.visit_texts[kind]
        summary = texts[int(random_() * len(texts))]
        if kind == INTERNAL:
            purpose, opportunities, next_visit_on = "月度内部沟通", "", None
        else:
            purpose = VISIT_PURPOSES[int(random_() * len(VISIT_PURPOSES))]
            roll = random_()
            opportunities = self.opportunity_texts[int(roll / 0.3 * len(self.opportunity_texts))] if roll < 0.3 else ""
            roll = random_()
            next_visit_on = (
                (when.date() + datetime.timedelta(days=14 + int(roll * 64))).isoformat() if roll < 0.5 else None
            )
        roll = random_()
        next_step = VISIT_NEXT_STEPS[int(roll / 0.7 * len(VISIT_NEXT_STEPS))] if roll < 0.7 else ""
        visit_id = self.visit_id
        self.visit_id += 1
        self.visit_writer.add(
            (
                visit_id,
                customer_id,
                self._stamp(when),
                visitor,
                role,
                kind,
                purpose,
                summary,
                opportunities,
                next_step,
                next_visit_on,
                logged,
                logged,
            )
        )
        return visit_id


def seed_campaigns(*, seed: int = 2026) -> dict[str, int]:
    """A month's campaign of the Chengdu department as its head plans it (B-tier customers whose 集团V网 coverage is
    thin or missing), its plans spread along the five-step path, a site activity and a call list for the demo
    account manager; through the services, so the demo holds what the product itself writes. For demos up to
    `LARGE_DEMO` customers."""
    from campaigns.models import CampaignKind, PlanStage, Product
    from campaigns.services import activity_record, call_list_build, campaign_create, plan_stage_set

    rng = random.Random(seed)
    head = User.objects.get(username="cd_head")
    today = timezone.localdate()
    start = today.replace(day=1)
    campaign = campaign_create(
        user=head,
        data={
            "name": f"{start:%Y年%m月}集团V网薄覆盖提升",
            "kind": CampaignKind.PRODUCT_PUSH,
            "region": Region.objects.get(code=DEMO_MANAGER_CITY),
            "starts_on": start,
            "ends_on": (start + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1),
            "target_products": [Product.objects.get(code="VPMN")],
            "segment": {"tiers": ["B"], "coverage": ["thin", "uncovered"]},
            "goal_openings": 50,
            "goal_revenue": Decimal("20000"),
        },
    )
    path = [PlanStage.OPPORTUNITY, PlanStage.VISITED, PlanStage.OPENED, PlanStage.AFTER_SALES]
    for plan in campaign.plans.select_related("owner"):
        # about half stay screened; the rest reach a step each, fewer the further along; one in twelve is lost
        roll = rng.random()
        if roll < 0.08:
            plan_stage_set(user=plan.owner or head, plan=plan, stage=PlanStage.LOST, reason="客户已与友商签约")
            continue
        reached = sum(roll > bound for bound in (0.5, 0.7, 0.85, 0.95))
        for stage in path[:reached]:
            plan_stage_set(user=plan.owner or head, plan=plan, stage=stage)
    activity_record(
        user=head,
        data={
            "campaign": campaign,
            "held_on": start,
            "place": "天府软件园 B 区报告厅",
            "attendance": 86,
            "new_subscriptions": 12,
            "revenue": Decimal("6800"),
            "note": "集团V网及云视讯产品沙龙",
            "staff": list(User.objects.filter(username__in=["cd_head", DEMO_MANAGER])),
        },
    )
    agent = User.objects.get(username=DEMO_MANAGER)
    try:
        call_list = call_list_build(user=head, campaign=campaign, agent=agent)
    except ValidationError:  # the demo manager's customers fell outside the segment: no list to call
        call_list = None
    return {"plans": campaign.plans.count(), "call_entries": call_list.entries_count if call_list else 0}
