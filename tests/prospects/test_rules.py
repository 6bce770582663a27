"""The duplicate check's and the claims' pure rules, without a database."""

from __future__ import annotations

import datetime

from prospects.rules import (
    DUPLICATE_NAME_ADDRESS,
    DUPLICATE_USCC,
    address_key,
    claim_expires_at,
    duplicate_reason,
    name_core,
    names_similar,
    same_address,
)


def test_name_core_drops_the_legal_form_spaces_and_punctuation():
    assert name_core("成都春熙商贸有限公司") == "成都春熙商贸"
    assert name_core(" 成都 春熙商贸（有限责任公司） ") == "成都春熙商贸"
    assert name_core("Chengdu Spring Trading Co., Ltd.") == "CHENGDUSPRINGTRADING"


def test_names_with_the_same_core_or_one_within_the_other_are_similar():
    assert names_similar("成都春熙商贸有限公司", "成都春熙商贸有限责任公司")
    assert names_similar("成都春熙商贸有限公司", "春熙商贸")
    assert names_similar("成都春熙商贸有限公司", "成都春熙商贸公司锦江店")


def test_different_companies_are_not_similar():
    assert not names_similar("成都春熙商贸有限公司", "成都蜀道物流有限公司")
    assert not names_similar("有限公司", "成都蜀道物流有限公司")


def test_an_address_written_with_other_spaces_or_more_detail_is_the_same_place():
    assert address_key("春熙路 8 号") == address_key("春熙路8号")
    assert same_address("成都市锦江区春熙路8号", "成都市锦江区春熙路8号 3楼")
    assert not same_address("成都市锦江区春熙路8号", "成都市锦江区红星路1号")
    assert not same_address("", "成都市锦江区红星路1号")


def test_a_duplicate_is_the_same_uscc_or_a_similar_name_at_the_same_address():
    common = {"name": "成都春熙商贸有限公司", "address": "春熙路8号", "uscc": "91510104MA0000001X"}
    assert (
        duplicate_reason(**common, other_name="另一家公司", other_address="别处", other_uscc="91510104MA0000001X")
        == DUPLICATE_USCC
    )
    assert (
        duplicate_reason(**common, other_name="成都春熙商贸有限责任公司", other_address="春熙路 8号", other_uscc=None)
        == DUPLICATE_NAME_ADDRESS
    )
    # a similar name elsewhere, or another company at the same address, is not one
    assert duplicate_reason(**common, other_name="成都春熙商贸公司", other_address="红星路1号", other_uscc=None) is None
    assert duplicate_reason(**common, other_name="成都蜀道物流公司", other_address="春熙路8号", other_uscc=None) is None


def test_a_claim_expires_its_days_after_the_claim_or_the_last_visit_whichever_is_later():
    claimed = datetime.datetime(2026, 3, 1, 9, tzinfo=datetime.UTC)
    assert claim_expires_at(
        claimed_at=claimed, last_visited_at=None, return_after_days=30
    ) == claimed + datetime.timedelta(days=30)
    visited = claimed + datetime.timedelta(days=10)
    assert claim_expires_at(
        claimed_at=claimed, last_visited_at=visited, return_after_days=30
    ) == visited + datetime.timedelta(days=30)
