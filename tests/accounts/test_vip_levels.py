"""The set-based VIP recompute agrees with `vip_level_for`, touches only stale rows and only the members given;
the tier recompute runs it for its customers' members."""

import random
from decimal import Decimal

import pytest

from accounts.models import GroupMember
from accounts.rules import vip_level_for
from accounts.services import vip_levels_apply
from tests.factories import GroupMemberFactory
from tiering.services import tier_recompute

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
    vip_levels_apply(GroupMember.objects.all())
    for member in GroupMember.objects.all():
        assert member.vip_level == vip_level_for(member.arpu), member.arpu


def test_second_run_changes_nothing(members):
    assert vip_levels_apply(GroupMember.objects.all()) > 0
    assert vip_levels_apply(GroupMember.objects.all()) == 0


def test_chunks_only_touch_their_range(members):
    ids = sorted(m.id for m in members)
    vip_levels_apply(GroupMember.objects.filter(id__lte=ids[9]))
    untouched = GroupMember.objects.filter(id__gt=ids[9], arpu__gte=3000)
    assert untouched.exists() and all(m.vip_level == "silver" for m in untouched)


def test_the_tier_recompute_sets_the_vip_levels_of_its_customers_members(members, customers, territory):
    outsider = GroupMemberFactory(customer=customers["guangzhou"], arpu=Decimal("5000"))
    GroupMember.objects.filter(pk=outsider.pk).update(vip_level=None)
    run = tier_recompute(scope=territory["sichuan"])
    assert run.members_changed > 0
    assert all(m.vip_level == vip_level_for(m.arpu) for m in GroupMember.objects.exclude(pk=outsider.pk))
    assert GroupMember.objects.get(pk=outsider.pk).vip_level is None  # Guangdong is not in Sichuan's run
