"""A written run's `written_at` is now the moment its rows carry (the customers it created have it as their
`created_at`), no longer the moment its write ended. The runs of customers written before this change get the
moment most of the customers created within their time carry, so that the customer list finds their new
customers too."""

from django.db import migrations
from django.db.models import Count


def stamp_written_runs(apps, schema_editor):
    ImportRun = apps.get_model("imports", "ImportRun")
    Customer = apps.get_model("accounts", "Customer")
    runs = ImportRun.objects.filter(kind="customers", status="done", created__gt=0, written_at__isnull=False)
    for run in runs.iterator():
        since = run.started_at or run.created_at
        moment = (
            Customer.objects.filter(created_at__gte=since, created_at__lte=run.written_at)
            .values("created_at")
            .annotate(n=Count("id"))
            .order_by("-n")
            .values_list("created_at", flat=True)
            .first()
        )
        if moment is not None:
            ImportRun.objects.filter(pk=run.pk).update(written_at=moment)


class Migration(migrations.Migration):
    dependencies = [
        ("imports", "0002_import_run_discarded"),
        ("accounts", "0024_customer_created_idx_by_code"),
    ]

    operations = [migrations.RunPython(stamp_written_runs, migrations.RunPython.noop)]
