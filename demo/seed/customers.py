"""The demo's customers: their figures, tier and status history, key persons and group members."""

from __future__ import annotations

import datetime
import json
import random
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from accounts.rules import vip_level_for
from accounts.validators import USCC_ALPHABET, uscc_check_character
from crm.bulk import BulkWriter, next_id
from crm.models import Region
from crm.periods import Period
from tiering.data import DEFAULT_NATIONAL_RULES
from tiering.models import RuleSet
from tiering.rules import INDUSTRY_FIELD, evaluate

from .base import CityProfile, SeedClock, person_name

CENT = Decimal("0.01")


def _industries_rated(tier: str) -> list[str]:
    """The industries the default national rules (SPEC §4.1) rate `tier` by themselves, in the rules' order."""
    return [
        code
        for rule_tier, field, _operator, _threshold, codes, _label in DEFAULT_NATIONAL_RULES
        if rule_tier == tier and field == INDUSTRY_FIELD
        for code in codes
    ]


# Industries the default rules rate A by themselves (≈2 % of customers), B by themselves (≈1.5 %), and the rest
# with their weights.
A_INDUSTRIES = _industries_rated("A")
B_INDUSTRIES = _industries_rated("B")
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


# What an incomplete profile misses (SPEC §7, 建档完整): a USCC, a county or grid (only the city is known), an
# address, or a key person's mobile.
PROFILE_GAPS = ("uscc", "uscc", "region", "address", "key_person", "key_person", "key_person")

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


def _uscc(index: int, region_code: str, section: str) -> str:
    registry = {"S": "11", "P": "12", "Q": "12"}.get(section, "91")
    # An injective mapping of the index onto 9 characters keeps every generated code unique.
    value = (index * 7_919 + 104_729) % 31**9
    org = ""
    for _ in range(9):
        value, digit = divmod(value, 31)
        org = USCC_ALPHABET[digit] + org
    first17 = f"{registry}{region_code[:6]}{org}"
    return first17 + uscc_check_character(first17)


def _mobile(serial: int) -> str:
    # Unique for every serial below 10**9: the 9 low digits are a permutation of the serial.
    return f"1{3 + serial % 7}{(serial * 7_919 + 13_579) % 10**9:09d}"


@dataclass(frozen=True)
class SeededCustomer:
    """What the rest of the seed needs to know of a customer just written."""

    id: int
    industry: str
    handsets: int
    status: str
    tier: str | None


class CustomerSeeder:
    """Draws customers one after another from the seed's generator and writes them with their people; their status
    history comes from a generator of its own, so that it leaves the customers' figures as they were."""

    def __init__(
        self,
        *,
        rng: random.Random,
        seed: int,
        clock: SeedClock,
        history_months: int,
        rule_set: RuleSet,
        full_members: bool = True,
    ) -> None:
        self.rng = rng
        self.full_members = full_members
        self.history_rng = random.Random(seed + 2)
        self.clock = clock
        self.history_months = history_months
        self.rule_set = rule_set
        self.rules = rule_set.specs()
        weights = list(COMMON_INDUSTRIES.values())
        common_total = sum(weights)
        # Scale so that A-rated industries are 2 % and B-rated ones 1.5 % of all customers.
        self.industry_choices = list(COMMON_INDUSTRIES) + A_INDUSTRIES + B_INDUSTRIES
        self.industry_weights = [w / common_total * 0.965 for w in weights]
        self.industry_weights += [0.02 / len(A_INDUSTRIES)] * len(A_INDUSTRIES)
        self.industry_weights += [0.015 / len(B_INDUSTRIES)] * len(B_INDUSTRIES)
        self.customer_writer = BulkWriter(
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
        self.person_writer = BulkWriter(
            "accounts_keyperson", ["customer_id", "name", "title", "mobile", "is_decision_maker", "notes"]
        )
        self.member_writer = BulkWriter(
            "accounts_groupmember",
            ["customer_id", "name", "mobile", "on_net", "verified", "arpu", "vip_level", "left_on"],
        )
        self.tier_history_writer = BulkWriter(
            "tiering_tierchange", ["customer_id", "from_tier", "to_tier", "changed_at", "source", "rule_set_id"]
        )
        self.status_writer = BulkWriter("accounts_statusperiod", ["customer_id", "status", "starts_on", "ends_on"])
        self.billing_writer = BulkWriter(
            "accounts_billingperiod",
            ["customer_id", "period", "monthly_spend", "informatization_revenue", "updated_at"],
        )
        # A year of monthly bills (SPEC §8.4) for a demo of full size, the latest month what the customer's figures
        # say, so that the informatization revenue of past months differs from today's; drawn from a generator of
        # their own, which leaves the customers' figures as they were.
        self.billing_rng = random.Random(seed + 5)
        last_month = Period.of(clock.today).previous()
        self.billing_months = last_month.months_back(history_months) if full_members else []
        self.customer_id = next_id("accounts_customer")
        self.serial = 0  # of the people's mobile numbers
        # Group members' names and monthly bills (ARPU, VIP level) are drawn from these pools.
        self.member_names = [person_name(rng) for _ in range(4000)]
        self.member_bills = []
        for _ in range(1000):
            arpu = Decimal(rng.choice((rng.uniform(20, 300), rng.uniform(20, 300), rng.uniform(300, 3600))))
            arpu = arpu.quantize(Decimal("0.01"))
            self.member_bills.append((arpu, vip_level_for(arpu)))

    def add(
        self, city: Region, counties: list[Region], grids: dict[str, list[Region]], profile: CityProfile
    ) -> SeededCustomer:
        """One customer of `city`, in one of its `counties` (and their `grids`), with its key persons and group
        members; whether its profile is complete (建档完整) and how many of its handsets are members on our
        network follow the city's `profile`."""
        rng = self.rng
        now = self.clock.now
        customer_id = self.customer_id
        self.customer_id += 1
        code = f"28{customer_id:08d}"
        industry = rng.choices(self.industry_choices, self.industry_weights)[0]
        section = industry[0]
        # Handsets skewed towards the low end of each band (most groups are small), which keeps the tiers' shares.
        roll = rng.random()
        if roll < 0.025:
            handsets = int(500 * 12 ** (rng.random() ** 3))
        elif roll < 0.245:
            handsets = int(100 * 5 ** (rng.random() ** 1.5))
        else:
            handsets = int(3 * 33 ** rng.random())
        spend = Decimal(handsets * rng.uniform(35, 115)).quantize(Decimal("0.01"))
        revenue = (spend * Decimal(rng.uniform(0, 0.4))).quantize(Decimal("0.01"))
        status_roll = rng.random()
        status = "active" if status_roll < 0.9 else ("prospect" if status_roll < 0.96 else "churned")
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
        # The tier as the rules in force give it, so that the demo shows tiers from the start (the seeder has the
        # tiering code itself write them over at the end, as a recompute would).
        result = evaluate(values, self.rules)
        reasons = json.dumps(result.reasons, default=float, ensure_ascii=False, separators=(",", ":"))
        # A complete profile has a USCC, a county or grid, an address and a key person's mobile; an incomplete one
        # misses one of them.
        complete_share = profile.profile_ab if result.tier in ("A+", "A", "B") else profile.profile_c
        gap = None if rng.random() < complete_share else rng.choice(PROFILE_GAPS)
        region = city
        if gap != "region" and counties:
            region = rng.choice(counties)
            if grids[region.code] and rng.random() < 0.4:
                region = rng.choice(grids[region.code])
        name = f"{city.name.removesuffix('市')}{rng.choice(BRAND_WORDS)}{rng.choice(SUFFIX_BY_SECTION[section])}"
        if section == "S":
            name = f"{region.name if region.level == 'county' else city.name}{rng.choice(SUFFIX_BY_SECTION['S'])}"
        uscc = None if gap == "uscc" else _uscc(customer_id, region.code, section)
        address = (
            ""
            if gap == "address"
            else f"{city.name}{region.name if region.level != 'city' else ''}{rng.choice(STREETS)}{rng.randint(1, 999)}号"  # noqa: E501
        )
        list_level = "provincial" if handsets >= 2000 else "city"
        # Filed when its history starts (a province's base is years old; this year's new customers are a few in a
        # hundred), not all on the day of the seed: the year's new customers are what new-customer targets count.
        filed_on = self._status_history(customer_id, status)
        filed_at = self.clock.stamp(
            datetime.datetime.combine(filed_on, datetime.time(9), tzinfo=timezone.get_current_timezone())
        )
        self.customer_writer.add(
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
                self.rule_set.pk,
                filed_at,
                now,
            )
        )
        if status == "active":
            self._bills(customer_id, spend, revenue)
        if result.tier:  # the tier's first entry in the customer's history: set on import
            self.tier_history_writer.add((customer_id, "", result.tier, now, "import", self.rule_set.pk))
        self._key_persons(customer_id, with_mobile=gap != "key_person")
        self._members(customer_id, handsets, status, profile)
        return SeededCustomer(customer_id, industry, handsets, status, result.tier)

    def _bills(self, customer_id: int, spend: Decimal, revenue: Decimal) -> None:
        """The customer's bills of the history's months, the latest its figures as they stand; earlier ones a little
        lower the further back (informatization grows about 1.5 % a month), with some noise."""
        uniform = self.billing_rng.uniform
        months = len(self.billing_months)
        for back, month in enumerate(self.billing_months, start=1 - months):  # the latest month: back = 0
            factor = Decimal(1) if back == 0 else Decimal((1 + 0.015 * back) * uniform(0.95, 1.05))
            self.billing_writer.add(
                (
                    customer_id,
                    month.start.isoformat(),
                    spend if back == 0 else (spend * (1 + (factor - 1) / 4)).quantize(CENT),
                    (revenue * factor).quantize(CENT),
                    self.clock.now,
                )
            )

    def _key_persons(self, customer_id: int, *, with_mobile: bool) -> None:
        """One to three key persons, the first the decision maker; none with a mobile (or none at all) when the
        profile misses them."""
        rng = self.rng
        count = rng.choice((1, 1, 2, 2, 3)) if with_mobile else rng.choice((0, 1))
        for number in range(count):
            mobile = ""
            if with_mobile and (number == 0 or rng.random() < 0.8):
                self.serial += 1
                mobile = _mobile(self.serial)
            self.person_writer.add((customer_id, person_name(rng), rng.choice(TITLES), mobile, number == 0, ""))

    def _members(self, customer_id: int, handsets: int, status: str, profile: CityProfile) -> None:
        """The group's members (集团成员). An active customer's members on our network are a share of its handsets
        around its city's coverage, with a few more on other networks; most are verified as the city's profile
        says. Some members left within the history (离网, most of them never verified), so the coverage and the
        authenticity of past months differ from today's. A large demo (`full_members` off) keeps a sample of up
        to five members a customer: a realistic coverage there would be tens of millions of rows."""
        rng = self.rng
        random_ = rng.random
        if not self.full_members:
            for _ in range(min(handsets, rng.choice((0, 1, 2, 3, 4, 5)))):
                on_net = random_() < 0.3
                self._member(customer_id, on_net, on_net and random_() < 0.7, None)
            return
        if status != "active":
            for _ in range(min(handsets, rng.choice((0, 0, 1, 2, 3)))):
                self._member(customer_id, random_() < 0.5, random_() < 0.5, None)
            return
        on_net_count = min(handsets, int(handsets * profile.coverage * (0.3 + 1.4 * random_()) + random_()))
        off_net_count = int(on_net_count * 0.15 * random_() + random_())
        for number in range(on_net_count + off_net_count):
            self._member(customer_id, number < on_net_count, random_() < profile.verified, None)
        history_days = self.history_months * 30
        for _ in range(int(on_net_count * 0.08 * random_() + random_() * 0.6)):
            left_on = self.clock.today - datetime.timedelta(days=1 + int(random_() * history_days))
            self._member(customer_id, random_() < 0.5, random_() < 0.2, left_on.isoformat())

    def _member(self, customer_id: int, on_net: bool, verified: bool, left_on: str | None) -> None:
        """One group member, named and billed from the pools drawn once (a demo has a hundred thousand of them)."""
        random_ = self.rng.random
        self.serial += 1
        name = self.member_names[int(random_() * len(self.member_names))]
        arpu, vip_level = self.member_bills[int(random_() * len(self.member_bills))]
        self.member_writer.add((customer_id, name, _mobile(self.serial), on_net, verified, arpu, vip_level, left_on))

    def _status_history(self, customer_id: int, status: str) -> datetime.date:
        """Where the customer's status came from: most active customers have been so for years, about one in
        twelve became active within the history (a prospect before); churned customers churned within it. Returns
        the day the history starts."""
        random_ = self.history_rng.random
        today = self.clock.today
        history_days = self.history_months * 30

        def days_ago(low: int, high: int) -> datetime.date:
            return today - datetime.timedelta(days=low + int(random_() * (high - low)))

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
        return periods[0][1]
