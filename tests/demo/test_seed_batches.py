"""The demo seed writes its rows in batches, table by table: a visit's batch never goes in before its customers'."""

import pytest
from django.db.models import F
from django.test import override_settings

from crm import bulk
from demo.seed import DemoSeeder
from teams.models import Visit

pytestmark = pytest.mark.django_db


@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
def test_every_visit_takes_its_customers_region_whichever_batch_fills_first(monkeypatch):
    # Batches of 50: the visits (several a customer) fill theirs long before the customers do.
    monkeypatch.setattr(bulk, "BATCH_SIZE", 50)
    DemoSeeder(300, progress=lambda line: None).run()
    visits = Visit.objects.filter(customer__region__path__startswith="000000/510000/")
    assert visits.count() > 10 * bulk.BATCH_SIZE
    assert not visits.filter(region__isnull=True).exists()
    assert not visits.exclude(region_id=F("customer__region_id")).exists()
