"""`crm.models.UpdateStamped`: the pair `updated_at` / `updated_by` of a record kept by hand, written once. Every
model holding the pair takes it from there, and doing so changed no table: the migrations are in step with the
models, and the columns are where they were."""

from __future__ import annotations

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection

from crm.models import UpdateStamped

pytestmark = pytest.mark.django_db

STAMPED = {
    "arrears.ArrearsThreshold",
    "campaigns.CoverageThresholds",
    "kpis.KpiTarget",
    "kpis.ProductRevenueTarget",
    "kpis.VisitCompliancePolicy",
    "teams.ServiceStandard",
}


def test_every_model_with_the_pair_takes_it_from_update_stamped():
    pairs = {
        model._meta.label
        for model in apps.get_models()
        if {"updated_at", "updated_by"} <= {field.name for field in model._meta.concrete_fields}
    }
    assert pairs == STAMPED
    assert {model._meta.label for model in apps.get_models() if issubclass(model, UpdateStamped)} == STAMPED


def test_the_tables_are_unchanged():
    out = StringIO()
    apps_of = sorted({label.split(".")[0] for label in STAMPED} | {"crm"})
    call_command("makemigrations", *apps_of, "--check", "--dry-run", stdout=out)  # exits on a pending change
    for label in sorted(STAMPED):
        model = apps.get_model(label)
        with connection.cursor() as cursor:
            columns = {
                column.name: column
                for column in connection.introspection.get_table_description(cursor, model._meta.db_table)
            }
        assert {"updated_at", "updated_by_id"} <= set(columns), label
        assert columns["updated_by_id"].null_ok, label
