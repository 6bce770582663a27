"""The territory's index of customers by region and code holds their names too: a territory's customers searched for
a common word of two characters (科技) are found in the index alone, region by region, without reading the table."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0024_customer_created_idx_by_code"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="customer",
            name="customer_region_code_tier_idx",
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                fields=["region", "code"], include=("tier", "id", "name"), name="customer_region_code_tier_idx"
            ),
        ),
    ]
