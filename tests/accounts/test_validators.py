"""The USCC check of GB 32100-2015 and the mobile number rule: pure functions, no database."""

import pytest
from django.core.exceptions import ValidationError

from accounts.validators import uscc_check_character, uscc_error, validate_mobile, validate_uscc
from tests.factories import make_uscc


def test_spec_example_uscc_is_valid():
    assert uscc_error("91350100M000100Y43") is None
    validate_uscc("91350100M000100Y43")


def test_check_character_of_spec_example():
    assert uscc_check_character("91350100M000100Y4") == "3"


def test_wrong_check_character_names_the_expected_one():
    message = str(uscc_error("91350100M000100Y44"))
    assert "3" in message and "4" in message
    with pytest.raises(ValidationError) as exc:
        validate_uscc("91350100M000100Y44")
    assert exc.value.code == "invalid_uscc"


def test_wrong_length_is_reported_with_the_length():
    assert "17" in str(uscc_error("91350100M000100Y4"))


@pytest.mark.parametrize("bad", ["I", "O", "S", "V", "Z", "a", "-"])
def test_characters_outside_the_alphabet_are_named(bad):
    value = "91350100M000100Y4" + bad
    message = str(uscc_error(value))
    assert bad in message


def test_generated_codes_all_pass():
    for serial in range(1, 500):
        assert uscc_error(make_uscc(serial)) is None


@pytest.mark.parametrize("mobile", ["13812345678", "19912345678", "14700000000"])
def test_valid_mobiles(mobile):
    validate_mobile(mobile)


@pytest.mark.parametrize("mobile", ["12812345678", "1381234567", "138123456789", "1381234567a", "+8613812345678"])
def test_invalid_mobiles(mobile):
    with pytest.raises(ValidationError):
        validate_mobile(mobile)
