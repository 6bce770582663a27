from django.db import migrations

from accounts.data import industries


def load_industries(apps, schema_editor):
    industries.load(apps.get_model("accounts", "Industry"))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_initial")]

    operations = [migrations.RunPython(load_industries, migrations.RunPython.noop)]
