"""The whole demo in one transaction: territory and staff, then customers with their people, teams, visits and
holdings, written in bulk; province after province, Sichuan first."""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection, transaction

from accounts.models import Customer
from crm.bulk import reset_sequence
from crm.models import Region
from teams.models import MANAGER_PERIODS_CONSTRAINT, MANAGER_PERIODS_SQL
from tiering.bulk import apply_rules
from tiering.models import RuleSet
from tiering.selectors import published_rule_set

from .arrears import seed_arrears
from .base import SeedClock, city_profiles
from .campaigns import HoldingSeeder
from .customers import CustomerSeeder
from .groups import seed_national_group
from .prospects import seed_prospects
from .staffing import seed_staffing
from .teams import TeamSeeder
from .territory import (
    PROVINCES,
    DemoLogin,
    city_counts,
    province_logins,
    seed_demo_logins,
    seed_staff,
    seed_territory,
)

# Above this many customers the demo is a benchmark's load: a quarter of history, a sample of up to five group members
# a customer (a realistic coverage would be tens of millions of rows), the stored tiers left as the seed drew them,
# and no KPI snapshots, campaign or opportunities: a million customers seed in under three minutes (issue 2).
LARGE_DEMO = 100_000


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
    "accounts_billingperiod",
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


class DemoSeeder:
    def __init__(
        self,
        customers: int,
        seed: int = 2260,
        progress: Callable[[str], None] = print,
        history_months: int = 12,
        today: datetime.date | None = None,
        provinces: tuple[str, ...] = ("sichuan",),
    ):
        unknown = sorted(set(provinces) - set(PROVINCES))
        if unknown:
            raise ValueError(f"unknown {', '.join(unknown)}; known: {', '.join(PROVINCES)}.")
        # Sichuan first, whatever the order asked: its rows are drawn first and so are the same as when it is seeded
        # alone (the demo's logins and the one-province benchmark).
        self.provinces = ("sichuan", *dict.fromkeys(p for p in provinces if p != "sichuan"))
        self.per_province = customers
        self.total = customers * len(self.provinces)
        self.large = customers > LARGE_DEMO  # per province
        # How far back visits and customers' statuses go: the KPIs' 12-month trend needs a year.
        self.history_months = max(history_months, 1)
        self.seed = seed
        # Staff, customers, their people and teams are drawn from this generator; visits, statuses' history and
        # holdings each from one of their own.
        self.rng = random.Random(seed)
        self.progress = progress
        self.clock = SeedClock(today)

    def run(self) -> SeedReport:
        report = SeedReport()
        regions = seed_territory(self.provinces)
        report.logins = seed_demo_logins()
        existing = Customer.objects.count()
        if existing:
            self.progress(f"The database already holds {existing} customers; demo customers are not added again.")
            report.logins += province_logins(self.provinces)
            report.skipped = True
            seed_prospects(self.clock.today)
            seed_national_group()
            seed_arrears(self.clock.today)
            seed_staffing(self.clock.today)
            return report
        with transaction.atomic():
            self._seed(regions, report)
            if connection.vendor == "postgresql":
                # What follows reads what was just written (a VIP deal counts a county's personal VIPs): with the
                # statistics of the tables as they were before, nearly empty, the planner once scanned the customers
                # once per member (a seed of 3 000 customers stuck for 20 minutes on that count).
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
            # after the seed, so that Sichuan's staff and departments take the ids they take when seeded alone
            report.logins += province_logins(self.provinces)
            seed_prospects(self.clock.today)  # a grid's pool beside its customers (issue 21)
            seed_national_group()  # a national bank and its branches in four cities (issue 21)
            seed_arrears(self.clock.today)  # arrears last billed, and the collection cases they open (issue 21)
            seed_staffing(self.clock.today)  # personal VIPs in their managers' care, targets per product (issue 21)
        return report

    def _seeders(self, rule_set: RuleSet) -> tuple[TeamSeeder, CustomerSeeder, HoldingSeeder]:
        teams = TeamSeeder(rng=self.rng, seed=self.seed, clock=self.clock, history_months=self.history_months)
        customers = CustomerSeeder(
            rng=self.rng,
            seed=self.seed,
            clock=self.clock,
            history_months=self.history_months,
            rule_set=rule_set,
            full_members=not self.large,
        )
        # A visit takes its customer's region as it goes in (teams' trigger, teams 0010): the customers first. The
        # visits' batch, filled first, went in before them: its region stayed empty (80 000 of the 86 394 visits of
        # a seed of 15 000 customers), and at a million customers PostgreSQL read the whole customers table for each
        # visit's lookup (the seed stalled for hours in the visits' COPY).
        teams.visit_writer.after = customers.customer_writer
        return teams, customers, HoldingSeeder(seed=self.seed, clock=self.clock)

    def _seed(self, regions: dict[str, Region], report: SeedReport) -> None:
        postgres = self.clock.postgres
        if postgres:
            # Building the GiST index of the customer managers' periods once at the end costs a fraction of
            # maintaining it row by row through the load; the constraint is checked in full when it is added back.
            with connection.cursor() as cursor:
                cursor.execute(f"ALTER TABLE teams_teamrole DROP CONSTRAINT IF EXISTS {MANAGER_PERIODS_CONSTRAINT}")
            foreign_keys = _drop_foreign_keys(BULK_TABLES)
        rule_set = published_rule_set(None)
        seeders: tuple[TeamSeeder, CustomerSeeder, HoldingSeeder] | None = None
        done = 0
        step = max(self.total // 20, 1)
        for number, province in enumerate(self.provinces):
            counts = city_counts(self.per_province, province)
            pools, staff = seed_staff(regions, counts, rng=self.rng, clock=self.clock, progress=self.progress)
            report.staff += staff
            if seeders is None:  # after the first province's staff, as the generator has always been drawn
                seeders = self._seeders(rule_set)
            teams, customers, holdings = seeders
            profiles = city_profiles(list(counts), self.seed + 100 * number)
            for city_code, count in counts.items():
                city = regions[city_code]
                counties = [r for r in regions.values() if r.parent_id == city_code]
                grids = {c.code: [r for r in regions.values() if r.parent_id == c.code] for c in counties}
                pool = pools[city_code]
                manager_of = []
                for manager_id, load in zip(pool.get("customer_manager", []), pool.get("loads", []), strict=True):
                    manager_of.extend([manager_id] * load)
                for index in range(count):
                    customer = customers.add(city, counties, grids, profiles[city_code])
                    if customer.status == "active":
                        holdings.add(customer.id, customer.tier, customer.handsets)
                    manager = manager_of[index] if index < len(manager_of) else None
                    teams.add(customer, manager, pool, city_code, profiles[city_code])
                    done += 1
                    if done % step == 0:
                        self.progress(f"customers: {done}/{self.total} ({done * 100 // self.total} %)")
        assert seeders is not None  # there is always Sichuan
        teams, customers, holdings = seeders
        writers = (
            customers.customer_writer,
            customers.person_writer,
            customers.member_writer,
            teams.role_writer,
            customers.tier_history_writer,
            customers.status_writer,
            customers.billing_writer,
            holdings.writer,
            teams.visit_writer,
            teams.present_writer,
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
        if not self.large:
            # The tiers and reasons as the tiering code itself writes them (the seed drew them with the same rules,
            # but reasons' JSON may be spelt otherwise, e.g. SQLite's 1 for true): the first recompute changes
            # nobody. Tiers do not change here, so no history or audit entry is written.
            apply_rules(Customer.objects.all(), rule_set.specs(), rule_set.pk, source="import")
        report.customers = customers.customer_writer.written
        report.key_persons = customers.person_writer.written
        report.members = customers.member_writer.written
        report.team_roles = teams.role_writer.written
        report.visits = teams.visit_writer.written
        report.holdings = holdings.writer.written
        self.progress(f"visits: {teams.visit_writer.written}")
