"""Outbound call lists (SPEC §6.3) call a customer's current group members: one who left (`left_on`) is not called."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from accounts.models import GroupMember
from campaigns import services
from campaigns.models import CallEntry

from .test_call_lists import MEMBER_A, MEMBER_B, build_calling

pytestmark = pytest.mark.django_db


@pytest.fixture
def calling(cast, customers, territory):
    calling = build_calling(cast, customers, territory)
    GroupMember.objects.filter(mobile=MEMBER_B).update(left_on=datetime.date(2026, 11, 20))
    return calling


@pytest.mark.parametrize("source", ["members", "all"])
def test_a_member_who_left_is_not_on_the_call_list(cast, calling, source):
    call_list = services.call_list_build(user=cast["alice"], campaign=calling["campaign"], source=source)
    mobiles = set(CallEntry.objects.filter(call_list=call_list).values_list("mobile", flat=True))
    assert MEMBER_A in mobiles  # alice's current member; bob's customer is not hers to call
    assert MEMBER_B not in mobiles


def test_a_campaign_whose_only_member_left_has_nobody_to_call(cast, calling):
    GroupMember.objects.exclude(mobile=MEMBER_B).delete()
    with translation.override("en"), pytest.raises(ValidationError, match="No number to call"):
        services.call_list_build(user=cast["alice"], campaign=calling["campaign"], source="members")
    assert not CallEntry.objects.exists()
