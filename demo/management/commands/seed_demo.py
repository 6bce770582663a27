from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from campaigns.services import coverage_snapshot
from crm.periods import Period
from demo.seed import DEMO_MANAGER, DEMO_PASSWORD, DemoSeeder, seed_campaigns, seed_opportunities
from demo.seed.seeder import LARGE_DEMO
from demo.seed.territory import PROVINCES
from kpis.services import kpi_compute
from teams.services import manager_loads_snapshot, team_gaps_snapshot
from tiering.services import tier_counts_snapshot


class Command(BaseCommand):
    help = (
        "Seed a realistic demo province (四川省) with customers, their people and staff in every role; with "
        "--provinces, more provinces beside it, each with as many customers."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--customers", type=int, default=5000, help="number of customers of each province (default 5000)"
        )
        parser.add_argument(
            "--provinces",
            default="sichuan",
            help=f"comma-separated, of {', '.join(PROVINCES)} (default sichuan; Sichuan, with the demo logins, is "
            "always seeded, and first)",
        )
        parser.add_argument("--seed", type=int, default=2260, help="random seed, for repeatable data")
        parser.add_argument(
            "--history-months",
            type=int,
            help=f"months of visits and status history (default 12; 3 above {LARGE_DEMO} customers)",
        )
        parser.add_argument(
            "--no-kpis",
            action="store_true",
            help=f"leave the history's KPI snapshots to the nightly job (the default above {LARGE_DEMO} customers)",
        )

    def handle(self, *args, **options):
        if options["customers"] < 0:
            raise CommandError("--customers must be zero or more.")
        large = options["customers"] > LARGE_DEMO
        history_months = options["history_months"] or (3 if large else 12)
        if history_months < 1:
            raise CommandError("--history-months must be 1 or more.")
        provinces = tuple(name.strip() for name in options["provinces"].split(",") if name.strip())
        started = time.monotonic()
        try:
            seeder = DemoSeeder(
                options["customers"],
                seed=options["seed"],
                progress=self.stdout.write,
                history_months=history_months,
                provinces=provinces,
            )
        except ValueError as refused:  # a province it does not know
            raise CommandError(f"--provinces: {refused}") from None
        report = seeder.run()
        if connection.vendor == "postgresql" and not report.skipped:
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        elapsed = time.monotonic() - started
        if not report.skipped:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Seeded {report.customers} customers in {len(seeder.provinces)} province(s), "
                    f"{report.key_persons} key persons, {report.members} "
                    f"group members, {report.team_roles} team roles, {report.holdings} product holdings and "
                    f"{report.staff} managers in {elapsed:.1f} s."
                )
            )
        if not report.skipped and not large:
            with transaction.atomic():  # one commit, not one per plan and opportunity written through the services
                campaigns = seed_campaigns()
                opportunities = seed_opportunities()
            self.stdout.write(
                f"A campaign of the Chengdu department with {campaigns['plans']} customer plans and a call list of "
                f"{campaigns['call_entries']} numbers for {DEMO_MANAGER}."
            )
            self.stdout.write(f"{opportunities} opportunities across the departments.")
        if not report.skipped and (options["no_kpis"] or large):
            self.stdout.write("KPI snapshots: left to the nightly job (compute_kpis --period YYYY-MM for a month).")
        elif not report.skipped:
            # The dashboards' trend from the start: each month of the history as the nightly job computes it, from
            # the dated history (visits, team roles, statuses, members who left, opportunities). The planner first
            # reads what was just written: with the statistics of empty tables it would scan them once per customer.
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
            for period in Period.of(timezone.localdate()).months_back(history_months):
                run = kpi_compute(period=period)
                self.stdout.write(f"KPIs of {period}: {run.status}, {run.snapshots_written} snapshots")
        if not report.skipped:  # as the night would: the counts the quota, teams and gap matrix pages add up
            self.stdout.write(
                f"Tier counts: {tier_counts_snapshot()} rows; team gap counts: {team_gaps_snapshot()} rows; "
                f"manager loads: {manager_loads_snapshot()} rows; coverage counts: {coverage_snapshot()} rows."
            )
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for login in report.logins:
            self.stdout.write(f"  {login.role:<17} {login.username:<10} {login.description}")
