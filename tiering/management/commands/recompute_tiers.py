from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from crm.models import Region
from tiering.selectors import NATIONAL
from tiering.services import tier_recompute


class Command(BaseCommand):
    help = "Recompute the tier of every customer of a region (default: everywhere) under the rules in force."

    def add_arguments(self, parser):
        parser.add_argument("--region", default=NATIONAL, help="region code, e.g. 510000 (default: all)")

    def handle(self, *args, **options):
        scope = Region.objects.filter(code=options["region"]).first()
        if scope is None:
            raise CommandError(f"Unknown region code {options['region']}.")

        def progress(run):
            self.stdout.write(
                f"chunks {run.chunks_done}/{run.chunks_total}: {run.customers_seen} customers seen, "
                f"{run.customers_changed} changed, {run.members_changed} VIP levels changed"
            )

        run = tier_recompute(scope=scope, source="manual", progress=progress)
        style = self.style.SUCCESS if run.status == "succeeded" else self.style.ERROR
        self.stdout.write(
            style(
                f"{run.status}: {run.customers_seen} customers seen, {run.customers_changed} changed, "
                f"{run.members_changed} VIP levels changed, {len(run.errors)} errors"
            )
        )
        if run.errors:
            raise CommandError("; ".join(error["error"] for error in run.errors))
