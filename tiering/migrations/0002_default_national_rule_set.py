import datetime

from django.db import migrations

from tiering.data import DEFAULT_NATIONAL_RULES


def create_default(apps, schema_editor):
    RuleSet = apps.get_model("tiering", "RuleSet")
    Rule = apps.get_model("tiering", "Rule")
    if RuleSet.objects.filter(scope_id="000000").exists():
        return
    rule_set = RuleSet.objects.create(
        scope_id="000000",
        version=1,
        name="全国默认分级规则",
        status="published",
        effective_on=datetime.date(2026, 1, 1),
    )
    for tier, field, operator, threshold, industries, label in DEFAULT_NATIONAL_RULES:
        Rule.objects.create(
            rule_set=rule_set, tier=tier, field=field, operator=operator, threshold=threshold,
            industries=industries, label=label,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("tiering", "0001_initial"),
        ("crm", "0002_national_root"),
        ("accounts", "0003_industries"),
    ]

    operations = [migrations.RunPython(create_default, migrations.RunPython.noop)]
