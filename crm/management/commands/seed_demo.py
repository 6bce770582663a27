from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from crm.demo import DEMO_PASSWORD, DemoSeeder


class Command(BaseCommand):
    help = "Seed a realistic demo province (四川省) with customers, their people and staff in every role."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=5000, help="number of customers (default 5000)")
        parser.add_argument("--seed", type=int, default=2260, help="random seed, for repeatable data")

    def handle(self, *args, **options):
        if options["customers"] < 0:
            raise CommandError("--customers must be zero or more.")
        started = time.monotonic()
        seeder = DemoSeeder(options["customers"], seed=options["seed"], progress=self.stdout.write)
        report = seeder.run()
        if connection.vendor == "postgresql" and not report.skipped:
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
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
