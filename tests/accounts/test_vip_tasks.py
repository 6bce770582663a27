"""The set-based VIP recompute agrees with `vip_level_for`, touches only stale rows, and fans out in chunks."""

import random
from decimal import Decimal

import pytest

from accounts.models import GroupMember
from accounts.rules import vip_level_for
from accounts.tasks import vip_levels_apply, vip_levels_recompute
from crm.celery import app as celery_app
from tests.factories import GroupMemberFactory

pytestmark = pytest.mark.django_db

EDGES = ["0", "665.99", "666", "666.01", "1499.99", "1500", "2999.99", "3000", "99999.99"]


@pytest.fixture
def members(customers):
    rng = random.Random(7)
    arpus = [Decimal(value) for value in EDGES] + [
        Decimal(rng.uniform(0, 5000)).quantize(Decimal("0.01")) for _ in range(200)
    ]
    created = [GroupMemberFactory(customer=customers["alice"], arpu=arpu) for arpu in arpus]
    # Every level starts wrong or missing so that the recompute has work to do.
    GroupMember.objects.update(vip_level="silver")
    GroupMember.objects.filter(arpu__lt=100).update(vip_level=None)
    return created


def test_bulk_recompute_agrees_with_the_pure_function(members):
    ids = [m.id for m in members]
    vip_levels_apply(min(ids), max(ids))
    for member in GroupMember.objects.all():
        assert member.vip_level == vip_level_for(member.arpu), member.arpu


def test_second_run_changes_nothing(members):
    ids = [m.id for m in members]
    assert vip_levels_apply(min(ids), max(ids)) > 0
    assert vip_levels_apply(min(ids), max(ids)) == 0


def test_chunks_only_touch_their_range(members):
    ids = sorted(m.id for m in members)
    vip_levels_apply(ids[0], ids[9])
    untouched = GroupMember.objects.filter(id__gt=ids[9], arpu__gte=3000)
    assert untouched.exists() and all(m.vip_level == "silver" for m in untouched)


def test_fan_out_covers_every_member(members, monkeypatch):
    # In-process here, whatever the broker; tests/test_celery_worker.py proves the real worker path.
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    assert vip_levels_recompute.delay(chunk_size=50).get() == 5  # 209 members in chunks of 50
    assert all(m.vip_level == vip_level_for(m.arpu) for m in GroupMember.objects.all())
