"""The filing date's index carries the code after it: an import's new customers (filed at its one moment) are read
from it in code order, where walking the code index for them reads every older customer first (BOSS gives new
customers the highest codes). The year's counts read it as before."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0023_customer_code_upper_index"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="customer",
            name="customer_created_idx",
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["created_at", "code"], include=("region",), name="customer_created_idx"),
        ),
    ]
