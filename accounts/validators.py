"""Validators for customer data whose rules come from national standards."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.lookups import uncased
from crm.validators import USCC_ALPHABET, USCC_WEIGHTS, uscc_check_character, uscc_error, validate_uscc

__all__ = [
    "USCC_ALPHABET",
    "USCC_WEIGHTS",
    "uscc_check_character",
    "uscc_error",
    "validate_uscc",
]

MOBILE_RE = re.compile(r"^1[3-9][0-9]{9}$")  # ASCII digits only: \d would also take full-width ones
# A customer code is addressed in URLs (/customers/{code}/), so it keeps to characters that need no escaping.
CUSTOMER_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")


def may_begin_a_code(text: str) -> bool:
    """Whether a customer code may begin with `text`, case ignored: the start of a code is a code itself
    (`CUSTOMER_CODE_RE`), and a character with case outside ASCII might be one of a code's in capitals. Not a text
    with a character that is none of a code's and has no case (a Chinese character, a space): a search need not
    look for it among the codes."""
    return bool(CUSTOMER_CODE_RE.match(text)) or any(not c.isascii() and not uncased(c) for c in text)


def may_be_a_uscc(text: str) -> bool:
    """Whether `text` in capitals, as a search compares it, is as long as a USCC."""
    return len(text.upper()) == 18


def validate_customer_code(value: str) -> None:
    if not CUSTOMER_CODE_RE.match(value):
        raise ValidationError(
            _("A customer code is 1 to 32 letters, digits, '-' or '_', starting with a letter or digit."),
            code="invalid_customer_code",
        )


def validate_mobile(value: str) -> None:
    if not MOBILE_RE.match(value):
        raise ValidationError(
            _("A mobile number is 11 digits starting with 1 and a digit from 3 to 9, e.g. 13812345678."),
            code="invalid_mobile",
        )


def position_whole_and_in_range(latitude: str, longitude: str) -> Q:
    """A check constraint's condition on a position kept in two fields: both or neither, each in the globe's range
    (the customer's location, a visit's check-in and check-out)."""
    return Q(**{f"{latitude}__isnull": True, f"{longitude}__isnull": True}) | Q(
        **{
            f"{latitude}__isnull": False,
            f"{longitude}__isnull": False,
            f"{latitude}__gte": -90,
            f"{latitude}__lte": 90,
            f"{longitude}__gte": -180,
            f"{longitude}__lte": 180,
        }
    )
