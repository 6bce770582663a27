"""Coverage status (SPEC §6.1) as a pure function: no database."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from campaigns.rules import COVERED, FAKE, THIN, UNCOVERED, Holding, Thresholds, coverage_status, is_backwards

TODAY = datetime.date(2026, 11, 24)
DEFAULT = Thresholds()
RECENT = TODAY - datetime.timedelta(days=3)


def status(per_member=True, holding=None, handsets=100, thresholds=DEFAULT):
    return coverage_status(
        per_member=per_member, holding=holding, handset_count=handsets, today=TODAY, thresholds=thresholds
    )


def test_not_subscribed_is_uncovered():
    assert status(holding=None) == UNCOVERED
    assert status(per_member=False, holding=None) == UNCOVERED


@pytest.mark.parametrize(
    ("last_used_on", "expected"),
    [
        (TODAY - datetime.timedelta(days=90), COVERED),  # used 90 days ago: within the last 90 days
        (TODAY - datetime.timedelta(days=91), FAKE),
        (None, FAKE),  # subscribed, never used
    ],
)
def test_a_subscription_unused_for_90_days_is_fake(last_used_on, expected):
    assert status(per_member=False, holding=Holding(0, last_used_on)) == expected


@pytest.mark.parametrize(
    ("active_users", "expected"),
    [
        (4, FAKE),  # 4 % of 100 handsets: below 5 %
        (5, THIN),  # 5 %: no longer fake, below 30 %
        (29, THIN),
        (30, COVERED),
        (100, COVERED),
    ],
)
def test_a_per_member_product_is_fake_below_5_and_thin_below_30_percent_of_handsets(active_users, expected):
    assert status(holding=Holding(active_users, RECENT), handsets=100) == expected


def test_a_per_customer_product_in_use_is_covered_whatever_its_users():
    assert status(per_member=False, holding=Holding(1, RECENT), handsets=5000) == COVERED


def test_a_customer_without_handsets_has_no_share_to_fall_short_of():
    assert status(holding=Holding(0, RECENT), handsets=0) == COVERED


def test_the_thresholds_are_data():
    strict = Thresholds(idle_days=30, fake_share=Decimal("10"), thin_share=Decimal("50"))
    assert status(holding=Holding(8, RECENT), handsets=100, thresholds=strict) == FAKE
    assert status(holding=Holding(40, RECENT), handsets=100, thresholds=strict) == THIN
    assert status(holding=Holding(60, TODAY - datetime.timedelta(days=31)), thresholds=strict) == FAKE


@pytest.mark.parametrize(
    ("from_stage", "to_stage", "backwards"),
    [
        ("screened", "opportunity", False),
        ("screened", "opened", False),  # steps may be skipped forwards
        ("visited", "opportunity", True),
        ("after_sales", "screened", True),
        ("visited", "lost", False),
        ("lost", "visited", True),
    ],
)
def test_a_move_back_along_the_path_or_out_of_lost_is_backwards(from_stage, to_stage, backwards):
    assert is_backwards(from_stage, to_stage) is backwards
