from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Customer
from crm.models import Region
from tiering import exports


class Command(BaseCommand):
    help = "Export the tier list of a region (its whole subtree) as CSV or XLSX."

    def add_arguments(self, parser):
        parser.add_argument("--region", required=True, help="region code, e.g. 510100")
        parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        parser.add_argument("--tier", choices=["A+", "A", "B", "C"], help="only this tier")
        parser.add_argument("-o", "--output", required=True, help="file to write")

    def handle(self, *args, **options):
        region = Region.objects.filter(code=options["region"]).first()
        if region is None:
            raise CommandError(f"Unknown region code {options['region']}.")
        customers = Customer.objects.filter(region__path__startswith=region.path)
        if options["tier"]:
            customers = customers.filter(tier=options["tier"])
        if options["format"] == "csv":
            with open(options["output"], "wb") as target:
                written = exports.write_csv(customers, target)
        else:
            try:
                written = exports.write_xlsx(customers, options["output"])
            except exports.ListChanged as changed:
                raise CommandError(str(changed)) from changed
        self.stdout.write(self.style.SUCCESS(f"Wrote {written} customers of {region.name} to {options['output']}."))
