from django.db import migrations


def load_products(apps, schema_editor):
    from campaigns.data import load

    load(apps.get_model("campaigns", "Product"))
    apps.get_model("campaigns", "CoverageThresholds").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0001_initial")]

    operations = [migrations.RunPython(load_products, migrations.RunPython.noop)]
