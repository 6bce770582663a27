"""The visits a demo seed of more customers than fit one of its batches wrote before their customers (so that the
trigger of 0010 found no customer and left their region empty, and a territory's visit lists, read region by
region, never showed them) take their customer's region. Only those rows are touched; a database without them is
left as it is."""

from django.db import migrations

BACKFILL = {
    "postgresql": "UPDATE teams_visit v SET region_id = c.region_id FROM accounts_customer c "
    "WHERE c.id = v.customer_id AND v.region_id IS NULL AND c.region_id IS NOT NULL",
    "sqlite": "UPDATE teams_visit SET region_id = (SELECT region_id FROM accounts_customer c WHERE c.id = customer_id) "
    "WHERE region_id IS NULL",
}


def forward(apps, schema_editor):
    statement = BACKFILL.get(schema_editor.connection.vendor)
    if statement:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("teams", "0011_vip_assignments")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
