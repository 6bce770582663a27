"""Profile completeness and VIP levels as pure functions over plain values."""

from dataclasses import replace
from decimal import Decimal

import pytest

from accounts.rules import ProfileFacts, profile_missing, vip_level_for

COMPLETE = ProfileFacts(
    uscc="91350100M000100Y43",
    industry_code="J66",
    region_level="county",
    address="成都市锦江区红星路1号",
    has_key_person_mobile=True,
    handset_count=12,
    has_customer_manager=True,
)


def test_complete_profile_misses_nothing():
    assert profile_missing(COMPLETE) == []


def test_grid_level_region_counts_as_fine_enough():
    assert profile_missing(replace(COMPLETE, region_level="grid")) == []


@pytest.mark.parametrize(
    ("change", "missing"),
    [
        ({"uscc": None}, "uscc"),
        ({"uscc": "91350100M000100Y44"}, "uscc"),
        ({"industry_code": None}, "industry"),
        ({"region_level": "city"}, "region"),
        ({"address": "   "}, "address"),
        ({"has_key_person_mobile": False}, "key_person"),
        ({"handset_count": 0}, "handset_count"),
        ({"has_customer_manager": False}, "customer_manager"),
    ],
)
def test_each_requirement_is_reported_alone(change, missing):
    assert profile_missing(replace(COMPLETE, **change)) == [missing]


def test_everything_missing_is_listed_in_order():
    empty = ProfileFacts(None, None, "city", "", False, 0, False)
    assert profile_missing(empty) == [
        "uscc",
        "industry",
        "region",
        "address",
        "key_person",
        "handset_count",
        "customer_manager",
    ]


@pytest.mark.parametrize(
    ("arpu", "level"),
    [
        ("3000", "diamond"),
        ("2999.99", "gold"),
        ("1500", "gold"),
        ("1499.99", "silver"),
        ("666", "silver"),
        ("665.99", None),
        ("0", None),
    ],
)
def test_vip_level_thresholds(arpu, level):
    assert vip_level_for(Decimal(arpu)) == level
