from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from crm.demo import DEMO_PASSWORD, DemoSeeder
from crm.periods import Period
from kpis.services import kpi_compute


class Command(BaseCommand):
    help = "Seed a realistic demo province (四川省) with customers, their people and staff in every role."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=5000, help="number of customers (default 5000)")
        parser.add_argument("--seed", type=int, default=2260, help="random seed, for repeatable data")
        parser.add_argument(
            "--history-months",
            type=int,
            default=12,
            help="months of visits and status history, with their KPI snapshots (default 12)",
        )
        parser.add_argument("--no-kpis", action="store_true", help="leave the KPI snapshots to the nightly job")

    def handle(self, *args, **options):
        if options["customers"] < 0:
            raise CommandError("--customers must be zero or more.")
        started = time.monotonic()
        if options["history_months"] < 1:
            raise CommandError("--history-months must be 1 or more.")
        seeder = DemoSeeder(
            options["customers"],
            seed=options["seed"],
            progress=self.stdout.write,
            history_months=options["history_months"],
        )
        report = seeder.run()
        if connection.vendor == "postgresql" and not report.skipped:
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        if not report.skipped and not options["no_kpis"]:
            # The dashboards' trend from the start: each month of the history as the nightly job leaves it.
            for period in Period.of(timezone.localdate()).months_back(options["history_months"]):
                run = kpi_compute(period=period)
                self.stdout.write(f"KPIs of {period}: {run.status}, {run.snapshots_written} snapshots")
        elapsed = time.monotonic() - started
        if not report.skipped:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Seeded {report.customers} customers, {report.key_persons} key persons, {report.members} "
                    f"group members, {report.team_roles} team roles and {report.staff} managers in {elapsed:.1f} s."
                )
            )
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for login in report.logins:
            self.stdout.write(f"  {login.role:<17} {login.username:<10} {login.description}")
