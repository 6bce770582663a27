"""The default service standards of SPEC §5.2, and, on PostgreSQL, customer-manager periods that never overlap.

The exclusion constraint says in the database what `TeamRole` can only say for open-ended roles on every database:
one customer manager per customer on any day, whatever the dates. Periods are [starts_on, ends_on), as
`TeamRoleQuerySet.active` reads them. It covers the customer manager only (SPEC §5.1: exactly one): a GiST index
over every role would cost bulk loads twice as much. SQLite has no exclusion constraints.
"""

from django.db import migrations

from crm.migration_operations import RunSQLOnPostgreSQL

FOUR_MANAGERS = ["service_manager", "product_manager", "network_manager", "billing_manager"]
TOP_TEAM = ["customer_manager", *FOUR_MANAGERS, "second_manager"]
DEFAULT_STANDARDS = [
    # tier, required roles, period, visits required, of which by, how many of that role
    ("A+", TOP_TEAM, "month", 2, "second_manager", 1),
    ("A", TOP_TEAM, "month", 2, "second_manager", 1),
    ("B", ["customer_manager", "service_manager"], "month", 1, "", 0),
    ("C", ["customer_manager"], "quarter", 1, "", 0),
]

EXCLUSION = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    "ALTER TABLE teams_teamrole ADD CONSTRAINT teamrole_manager_periods_never_overlap EXCLUDE USING gist "
    "(customer_id WITH =, daterange(starts_on, ends_on, '[)') WITH &&) WHERE (role = 'customer_manager')",
]


def create_standards(apps, schema_editor):
    ServiceStandard = apps.get_model("teams", "ServiceStandard")
    for tier, roles, period, visits, role, role_visits in DEFAULT_STANDARDS:
        ServiceStandard.objects.get_or_create(
            tier=tier,
            defaults={
                "required_roles": roles,
                "period": period,
                "visits_required": visits,
                "visits_role": role,
                "visits_role_required": role_visits,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("teams", "0002_standards_and_visits")]

    operations = [
        migrations.RunPython(create_standards, migrations.RunPython.noop),
        RunSQLOnPostgreSQL(
            EXCLUSION, ["ALTER TABLE teams_teamrole DROP CONSTRAINT IF EXISTS teamrole_manager_periods_never_overlap"]
        ),
    ]
