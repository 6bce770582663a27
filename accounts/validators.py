"""Validators for customer data whose rules come from national standards."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# GB 32100-2015: the 31 characters of the USCC alphabet (no I, O, S, V, Z); a character's value is its index.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

MOBILE_RE = re.compile(r"^1[3-9][0-9]{9}$")  # ASCII digits only: \d would also take full-width ones
# A customer code is addressed in URLs (/customers/{code}/), so it keeps to characters that need no escaping.
CUSTOMER_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")


def uscc_check_character(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(char) * weight for char, weight in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_error(value: str) -> str | None:
    """The first rule of GB 32100-2015 that `value` breaks, as a message, or None when it is valid."""
    if len(value) != 18:
        return _("A unified social credit code has exactly 18 characters; this one has %(count)d.") % {
            "count": len(value)
        }
    bad = sorted({char for char in value if char not in USCC_ALPHABET})
    if bad:
        return _(
            "A unified social credit code uses only digits and the capitals A–Y without I, O, S, V and Z; "
            "not allowed here: %(chars)s."
        ) % {"chars": " ".join(bad)}
    expected = uscc_check_character(value[:17])
    if value[17] != expected:
        return _(
            "The check character (18th) of this unified social credit code should be %(expected)s, not %(got)s."
        ) % {
            "expected": expected,
            "got": value[17],
        }
    return None


def validate_uscc(value: str) -> None:
    message = uscc_error(value)
    if message:
        raise ValidationError(message, code="invalid_uscc")


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
