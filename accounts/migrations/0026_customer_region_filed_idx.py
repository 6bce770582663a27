"""A territory's new customers of the year read from an index of region and filing date: its regions' years only,
where the filing date's index reads every region's year, which grows with the table."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0025_customer_region_index_holds_the_name"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["region", "created_at"], name="customer_region_filed_idx"),
        ),
    ]
