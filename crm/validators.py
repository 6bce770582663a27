"""Validators whose rules come from national standards and that more than customers need: the USCC (GB 32100-2015)
of a customer and of a partner company."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# GB 32100-2015: the 31 characters of the USCC alphabet (no I, O, S, V, Z); a character's value is its index.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


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
