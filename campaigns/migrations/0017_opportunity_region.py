"""Each opportunity carries its customer's region (issue 17, the board of a department of 300 000 customers): a
territory's opportunities are found by their own region instead of looking up each one's customer (the board of
成都's head checked 32 078 customers to count its columns).

The region is the customer's, kept by the database whatever writes, as the visits' (teams 0010): a trigger sets it on
every opportunity inserted (or moved to another customer, or given a region by hand) and, when a customer moves to
another region, moves its opportunities with it."""

import django.db.models.deletion
from django.db import migrations, models

BACKFILL = {
    "postgresql": (
        "UPDATE campaigns_opportunity o SET region_id = c.region_id FROM accounts_customer c WHERE c.id = o.customer_id"
    ),
    "sqlite": (
        "UPDATE campaigns_opportunity "
        "SET region_id = (SELECT region_id FROM accounts_customer c WHERE c.id = customer_id)"
    ),
}
TRIGGERS = {
    "postgresql": [
        """CREATE FUNCTION campaigns_opportunity_region() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            SELECT region_id INTO NEW.region_id FROM accounts_customer WHERE id = NEW.customer_id;
            RETURN NEW;
        END $$""",
        "CREATE TRIGGER campaigns_opportunity_region BEFORE INSERT OR UPDATE OF customer_id, region_id "
        "ON campaigns_opportunity FOR EACH ROW EXECUTE FUNCTION campaigns_opportunity_region()",
        """CREATE FUNCTION campaigns_customer_moved() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE campaigns_opportunity SET region_id = NEW.region_id WHERE customer_id = NEW.id;
            RETURN NULL;
        END $$""",
        "CREATE TRIGGER campaigns_customer_moved AFTER UPDATE OF region_id ON accounts_customer FOR EACH ROW "
        "WHEN (OLD.region_id IS DISTINCT FROM NEW.region_id) EXECUTE FUNCTION campaigns_customer_moved()",
    ],
    "sqlite": [
        "CREATE TRIGGER campaigns_opportunity_region AFTER INSERT ON campaigns_opportunity BEGIN "
        "UPDATE campaigns_opportunity SET region_id = "
        "(SELECT region_id FROM accounts_customer WHERE id = NEW.customer_id) WHERE id = NEW.id; END",
        "CREATE TRIGGER campaigns_opportunity_region_kept AFTER UPDATE OF customer_id, region_id "
        "ON campaigns_opportunity "
        "WHEN NEW.region_id IS NOT (SELECT region_id FROM accounts_customer WHERE id = NEW.customer_id) BEGIN "
        "UPDATE campaigns_opportunity SET region_id = "
        "(SELECT region_id FROM accounts_customer WHERE id = NEW.customer_id) WHERE id = NEW.id; END",
        "CREATE TRIGGER campaigns_customer_moved AFTER UPDATE OF region_id ON accounts_customer "
        "WHEN OLD.region_id IS NOT NEW.region_id BEGIN "
        "UPDATE campaigns_opportunity SET region_id = NEW.region_id WHERE customer_id = NEW.id; END",
    ],
}
DROP = {
    "postgresql": [
        "DROP TRIGGER IF EXISTS campaigns_customer_moved ON accounts_customer",
        "DROP FUNCTION IF EXISTS campaigns_customer_moved()",
        "DROP TRIGGER IF EXISTS campaigns_opportunity_region ON campaigns_opportunity",
        "DROP FUNCTION IF EXISTS campaigns_opportunity_region()",
    ],
    "sqlite": [
        "DROP TRIGGER IF EXISTS campaigns_customer_moved",
        "DROP TRIGGER IF EXISTS campaigns_opportunity_region_kept",
        "DROP TRIGGER IF EXISTS campaigns_opportunity_region",
    ],
}


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor in BACKFILL:
        schema_editor.execute(BACKFILL[vendor])
        for statement in TRIGGERS[vendor]:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    for statement in DROP.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0021_customer_created_index"),
        ("campaigns", "0016_coverage_thresholds_update_stamped"),
        ("crm", "0017_region_path_statistics"),
    ]

    operations = [
        migrations.AddField(
            model_name="opportunity",
            name="region",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="crm.region",
                verbose_name="region",
            ),
        ),
        migrations.RunPython(forward, backward),
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(fields=["region", "stage"], name="opportunity_region_idx"),
        ),
    ]
