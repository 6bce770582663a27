"""The demo customers' teams, and their visits (走访) in each period of their service standard within the history."""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from django.utils import timezone

from crm.bulk import BulkWriter, next_id
from teams.models import ServiceStandard
from teams.rules import CUSTOMER_MANAGER, INTERNAL, SECOND_MANAGER, period_bounds

from .base import CityProfile, SeedClock
from .customers import A_INDUSTRIES, TITLES, SeededCustomer
from .territory import TEAM_EXTRA_ROLES

# In the running period the share of customers whose standard is met grows from this part of the city's share of
# closed periods, at the period's start, to all of it at its end (visits come early in a period rather than late).
RUNNING_PERIOD_HEAD_START = 0.6
# The share of customers whose customer manager, or another role of their team, came within the history (a new
# customer, a portfolio handed over): they were not served before, so completeness and visits grow over the year.
ASSIGNED_WITHIN_HISTORY = 0.1

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


@dataclass(frozen=True)
class VisitPlan:
    """A tier's service standard as the seeder needs it: what meets it, and the periods to visit in, the running
    one first, then each earlier one within the history, as [start, end)."""

    required: int
    role: str
    role_required: int
    periods: list[tuple[datetime.datetime, datetime.datetime]]
    elapsed: float  # the part of the running period gone by
    skew: float  # visits' days are drawn as start + u ** skew × length: early in the period


class TeamSeeder:
    """Draws each customer's team from the seed's generator and writes its roles; the visits come from a generator
    of their own, so that they leave the customers' figures as they were."""

    def __init__(self, *, rng: random.Random, seed: int, clock: SeedClock, history_months: int) -> None:
        self.rng = rng
        self.visit_rng = random.Random(seed + 1)
        self.role_rng = random.Random(seed + 4)
        self.drift_rng = random.Random(seed + 6)
        self.drifts: dict[str, list[float]] = {}
        self.clock = clock
        self.history_months = history_months
        self.history_days = history_months * 30
        self.starts_on = clock.today - datetime.timedelta(days=365)
        self.role_writer = BulkWriter("teams_teamrole", ["customer_id", "user_id", "role", "starts_on", "ends_on"])
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

    def add(
        self, customer: SeededCustomer, manager: int | None, pool: dict[str, list], city: str, profile: CityProfile
    ) -> None:
        """The customer's team from its city's `pool`: its customer `manager`, a service manager from 100 handsets
        (or an A-rated industry) and most other roles from 500, about one in ten of them come within the history;
        then the visits of a tiered customer's team as its `city`'s `profile` has them."""
        rng = self.rng
        holders = {}
        if manager is not None:
            holders[CUSTOMER_MANAGER] = manager
        if customer.handsets >= 100 or customer.industry in A_INDUSTRIES:
            holders["service_manager"] = rng.choice(pool["service_manager"])
        if customer.handsets >= 500 or customer.industry in A_INDUSTRIES:
            for role in TEAM_EXTRA_ROLES[1:]:
                if rng.random() < 0.8:
                    holders[role] = rng.choice(pool[role])
        since = {}
        random_ = self.role_rng.random
        for role, user_id in holders.items():
            starts_on = self.starts_on
            if random_() < ASSIGNED_WITHIN_HISTORY:
                starts_on = self.clock.today - datetime.timedelta(days=1 + int(random_() * (self.history_days - 1)))
            since[role] = starts_on
            self.role_writer.add((customer.id, user_id, role, starts_on.isoformat(), None))
        if customer.tier and CUSTOMER_MANAGER in holders:
            self._visits(customer.id, customer.tier, holders, since, city, profile)

    def _visit_plans(self) -> dict[str, VisitPlan]:
        tz = timezone.get_current_timezone()
        today = self.clock.today

        def midnight(day: datetime.date) -> datetime.datetime:
            return datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)

        plans = {}
        history_start = period_bounds("month", today)[0]
        for _ in range(self.history_months - 1):
            history_start = period_bounds("month", history_start - datetime.timedelta(days=1))[0]
        for standard in ServiceStandard.objects.all():
            start, end = period_bounds(standard.period, today)
            periods = [(midnight(start), self.clock.moment)]
            elapsed = (self.clock.moment - midnight(start)) / (midnight(end) - midnight(start))
            while True:  # every earlier period that lies wholly within the history
                previous, _ = period_bounds(standard.period, start - datetime.timedelta(days=1))
                if previous < history_start:
                    break
                periods.append((midnight(previous), midnight(start)))
                start = previous
            plans[standard.tier] = VisitPlan(
                standard.visits_required,
                standard.visits_role,
                standard.visits_role_required,
                periods,
                elapsed,
                1.5 if standard.period == "month" else 4.0,
            )
        month_start, _ = period_bounds("month", today)
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

    def _visits(
        self,
        customer_id: int,
        tier: str,
        holders: dict[str, int],
        since: dict[str, datetime.date],
        city: str,
        profile: CityProfile,
    ) -> None:
        """The visits of one customer in each period of its standard within the history: in each closed period
        enough to meet the standard for the city's share of customers (moving a few points from one period to
        the next), in the running one for part of it (`RUNNING_PERIOD_HEAD_START`), never before its customer
        manager came, nor for a customer whose team lacks (or did not yet have) the role the standard wants visits
        of; fewer for the rest; for half of those with a second manager, this month's internal sync."""
        plan = self.visit_plans.get(tier)
        if plan is None:
            return
        rng = self.visit_rng
        manager = holders[CUSTOMER_MANAGER]
        role_holder = holders.get(plan.role) if plan.role else None
        drifts = self.drifts.get(city)
        if drifts is None:
            drifts = self.drifts[city] = [self.drift_rng.uniform(-0.07, 0.04) for _ in range(self.history_months * 3)]
        tz = timezone.get_current_timezone()
        manager_since = datetime.datetime.combine(since[CUSTOMER_MANAGER], datetime.time.min, tzinfo=tz)
        role_since = datetime.datetime.combine(since[plan.role], datetime.time.min, tzinfo=tz) if role_holder else None
        for back, (start, end) in enumerate(plan.periods):
            if end <= manager_since:
                break  # earlier periods: the customer had no manager yet
            start = max(start, manager_since)
            met_share = min(profile.visits_met + drifts[back], 1.0)
            if back == 0:
                met_share *= RUNNING_PERIOD_HEAD_START + (1 - RUNNING_PERIOD_HEAD_START) * plan.elapsed
            role_there = role_holder is not None and role_since is not None and role_since < end
            if rng.random() < met_share and (role_there or not plan.role):
                visitors = [(role_holder, plan.role)] * plan.role_required if role_holder is not None else []
                visitors += [(manager, CUSTOMER_MANAGER)] * (plan.required - plan.role_required)
                if rng.random() < 0.15:
                    visitors.append((manager, CUSTOMER_MANAGER))
            else:
                # Not met: fewer visits than required, or (with a role to visit) none of that role's.
                most = plan.required if plan.role_required else plan.required - 1
                visitors = [(manager, CUSTOMER_MANAGER)] * rng.randint(0, most)
            start_by_role = max(start, role_since) if role_since is not None else start
            for visitor, role in visitors:
                first = start_by_role if plan.role and role == plan.role else start
                self._visit(customer_id, visitor, role, self._contact_kind(), first, end, plan.skew)
        second = holders.get(SECOND_MANAGER)
        if second and rng.random() < 0.5:
            visit_id = self._visit(
                customer_id, second, SECOND_MANAGER, INTERNAL, self.month_start, self.clock.moment, 1.0
            )
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
        skew: float,
    ) -> int:
        """One visit in [start, end), in working hours when the range allows, on a day drawn as start +
        u ** `skew` × length (early in the range for a skew above 1); `end` is at most now."""
        random_ = self.visit_rng.random
        stamp = self.clock.stamp
        when = start + datetime.timedelta(
            days=int(random_() ** skew * ((end - start).days + 1)), minutes=540 + int(random_() * 540)
        )
        if when >= end:
            when = start + (end - start) * random_()
        logged = stamp(min(when + datetime.timedelta(minutes=10 + int(random_() * 290)), self.clock.moment))
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
                stamp(when),
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
