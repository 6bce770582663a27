from django.db import migrations


def create_root(apps, schema_editor):
    Region = apps.get_model("crm", "Region")
    Region.objects.update_or_create(
        code="000000", defaults={"name": "集团总部", "level": "national", "parent": None, "path": "000000/"}
    )


class Migration(migrations.Migration):
    dependencies = [("crm", "0001_initial")]

    operations = [migrations.RunPython(create_root, migrations.RunPython.noop)]
