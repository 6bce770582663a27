"""The region tree's paths fully described to PostgreSQL's planner.

Every territory's rule reads `region.path LIKE 'prefix%'`, and the planner's estimate of how many regions a prefix
matches decides how it reads the customers, visits and staff under them. With the default statistics (a histogram of
100 buckets) a city's 32 regions among the 6 000 of a national tree were estimated at one, and a department head's
visit list read every customer of the city to check 51 visits (1.3 s against 0.17 s; docs/PERFORMANCE.md, 2026-12-05,
afternoon). A country's region tree is a few tens of thousands of rows: a histogram of 10 000 buckets describes it
whole, for an ANALYZE that reads it in milliseconds. PostgreSQL only; SQLite keeps no such statistics.
"""

from django.db import migrations

TARGET = 10000


def _set(target: int):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(f"ALTER TABLE crm_region ALTER COLUMN path SET STATISTICS {target}")
        schema_editor.execute("ANALYZE crm_region")

    return apply


class Migration(migrations.Migration):
    dependencies = [("crm", "0016_roles_grid_notifications")]

    operations = [migrations.RunPython(_set(TARGET), _set(-1))]
