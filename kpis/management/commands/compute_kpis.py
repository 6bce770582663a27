from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from crm.periods import Period
from kpis.services import kpi_compute


class Command(BaseCommand):
    help = (
        "Compute the KPI snapshots of a month for every region, department and customer manager, replacing the "
        "month's earlier ones (default: the current month, as of today)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--period", help="the month, YYYY-MM (default: the current month)")

    def handle(self, *args, **options):
        today = timezone.localdate()
        try:
            period = Period.parse(options["period"], today) if options["period"] else Period.of(today)
        except ValueError as exc:
            raise CommandError(f"--period: {exc}") from exc

        def progress(run):
            self.stdout.write(f"chunks {run.chunks_done}/{run.chunks_total}: {run.customers_seen} customers counted")

        run = kpi_compute(period=period, progress=progress)
        if run.errors:
            raise CommandError(
                f"{period}: failed, the earlier snapshots are kept. "
                + "; ".join(error["error"] for error in run.errors)
            )
        self.stdout.write(self.style.SUCCESS(f"{period} as of {run.as_of}: {run.snapshots_written} snapshots written"))
