from django.db import migrations

from accounts.data.industries import DIVISIONS


def load_industries(apps, schema_editor):
    Industry = apps.get_model("accounts", "Industry")
    for code, name, segment in DIVISIONS:
        Industry.objects.update_or_create(code=code, defaults={"name": name, "section": code[0], "segment": segment})


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_initial")]

    operations = [migrations.RunPython(load_industries, migrations.RunPython.noop)]
