"""One row of settings a region keeps (`crm.services.scoped_setting_keep`): created, changed, left alone when set
to the same values, removed with None; each change in the trail under the region, as stored, and stamped with who
set it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crm.models import AuditEntry
from crm.services import scoped_setting_keep
from kpis.models import KpiTarget

pytestmark = pytest.mark.django_db


def _keep(user, region, value):
    return scoped_setting_keep(
        user=user,
        region=region,
        model=KpiTarget,
        keys={"metric": "member_coverage_rate", "region": region},
        fields=("value",),
        values=None if value is None else {"value": value},
        detail={"metric": "member_coverage_rate"},
    )


def _trail():
    entries = AuditEntry.objects.filter(object_type="kpis.kpitarget").order_by("id")
    return list(entries.values_list("action", "changes", "detail"))


def test_a_setting_is_created_changed_kept_and_removed_each_change_in_the_trail(cast, territory):
    paul, sichuan = cast["paul"], territory["sichuan"]
    row = _keep(paul, sichuan, Decimal("0.8"))
    assert row.value == Decimal("0.8000") and row.updated_by == paul
    assert _keep(paul, sichuan, Decimal("0.80")).pk == row.pk  # the same value: no entry
    _keep(cast["hq"], sichuan, Decimal("0.9"))
    assert KpiTarget.objects.get(pk=row.pk).updated_by == cast["hq"]
    assert _keep(paul, sichuan, None) is None
    assert not KpiTarget.objects.filter(region=sichuan).exists()
    assert _keep(paul, sichuan, None) is None  # nothing to remove: no entry
    detail = {"metric": "member_coverage_rate"}
    assert _trail() == [
        ("create", {"value": [None, "0.8000"]}, detail),
        ("update", {"value": ["0.8000", "0.9000"]}, detail),
        ("delete", {"value": ["0.9000", None]}, detail),
    ]
    assert set(AuditEntry.objects.filter(object_type="kpis.kpitarget").values_list("region_path", flat=True)) == {
        sichuan.path
    }


def test_a_value_the_model_refuses_writes_nothing(cast, territory):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        _keep(cast["paul"], territory["sichuan"], Decimal("-1"))
    assert not KpiTarget.objects.exists()
    assert _trail() == []
