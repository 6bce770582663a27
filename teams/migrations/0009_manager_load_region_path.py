from django.db import migrations, models
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce


def paths_of_counted_managers(apps, schema_editor):
    """The managers counted before: their home region's path, as the night writes it (the load page reads by it)."""
    ManagerLoad = apps.get_model("teams", "ManagerLoad")
    User = apps.get_model("crm", "User")
    path = User.objects.filter(pk=OuterRef("user_id")).values("region__path")[:1]
    ManagerLoad.objects.update(region_path=Coalesce(Subquery(path), Value("")))


# The database keeps the default of "": a worker still running the code before this migration writes its counts
# without a path, as it always did.
class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0001_initial"),
        ("teams", "0008_manager_loads"),
    ]

    operations = [
        migrations.AddField(
            model_name="managerload",
            name="region_path",
            field=models.CharField(db_default="", db_index=True, max_length=200, verbose_name="region path"),
        ),
        migrations.RunPython(paths_of_counted_managers, migrations.RunPython.noop),
    ]
