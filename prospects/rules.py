"""Pure rules of the prospect pool (公海, issue 21): when two companies are the same (the duplicate check), the claim
limits' defaults, when a claim goes back to the pool. Plain values in, plain values out; the selectors' SQL narrows
the candidates and these decide."""

from __future__ import annotations

import datetime
import re
import unicodedata
from decimal import Decimal

DEFAULT_MAX_CLAIMED = 30
DEFAULT_RETURN_AFTER_DAYS = 30

# The profile completeness (建档率) targets a region without its own reads, by tier (SPEC §7: A+/A/B 95 %, C 80 %).
DEFAULT_PROFILE_TARGETS = {"A+": Decimal("0.95"), "A": Decimal("0.95"), "B": Decimal("0.95"), "C": Decimal("0.80")}

# Legal forms and branch words that say nothing of which company it is, longest first.
LEGAL_FORMS = (
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "分公司",
    "集团公司",
    "集团",
    "公司",
    "CO.,LTD.",
    "COMPANY",
    "LIMITED",
    "CORP",
    "LTD",
    "INC",
)
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
_BRACKETS = str.maketrans({"（": "(", "）": ")"})
# Two names whose cores share this share of their character pairs (Dice) are the same company.
NAME_SIMILARITY = 0.8
# A core shorter than this is too common to look a company up by (the SQL needs a few characters).
MIN_CORE = 2


def _plain(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").translate(_BRACKETS).upper()


def name_core(name: str) -> str:
    """What names the company: its name upper-cased, without spaces, punctuation and its legal form
    ("成都春熙商贸有限公司" → "成都春熙商贸")."""
    core = _NOT_WORD.sub("", _plain(name))
    for form in LEGAL_FORMS:
        bare = _NOT_WORD.sub("", form)
        if core.endswith(bare) and len(core) > len(bare):
            core = core[: -len(bare)]
    return core


def address_key(address: str) -> str:
    """An address as compared: upper-cased, without spaces and punctuation ("春熙路 8 号" = "春熙路8号")."""
    return _NOT_WORD.sub("", _plain(address))


def _pairs(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)} or {text}


def names_similar(first: str, second: str) -> bool:
    """Whether two company names name the same company: the same core, one core within the other, or cores that
    share most of their character pairs."""
    a, b = name_core(first), name_core(second)
    if not a or not b:
        return False
    if a == b or (min(len(a), len(b)) >= MIN_CORE and (a in b or b in a)):
        return True
    pairs_a, pairs_b = _pairs(a), _pairs(b)
    return 2 * len(pairs_a & pairs_b) / (len(pairs_a) + len(pairs_b)) >= NAME_SIMILARITY


def same_address(first: str, second: str) -> bool:
    """Whether two addresses are the same place: equal once spaced and punctuated alike, or one the other with more
    detail (a floor, a room) after it."""
    a, b = address_key(first), address_key(second)
    if not a or not b:
        return False
    return a == b or a.startswith(b) or b.startswith(a)


DUPLICATE_USCC, DUPLICATE_NAME_ADDRESS = "uscc", "name_address"


def duplicate_reason(
    *, name: str, address: str, uscc: str | None, other_name: str, other_address: str, other_uscc: str | None
) -> str | None:
    """Why another company (customer or prospect) is the same as this one: its USCC, or a similar name at the same
    address; None when it is not."""
    if uscc and other_uscc and uscc.upper() == other_uscc.upper():
        return DUPLICATE_USCC
    if same_address(address, other_address) and names_similar(name, other_name):
        return DUPLICATE_NAME_ADDRESS
    return None


def claim_expires_at(
    *, claimed_at: datetime.datetime, last_visited_at: datetime.datetime | None, return_after_days: int
) -> datetime.datetime:
    """When a claim goes back to the pool: `return_after_days` after the claim or the last visit, whichever is later."""
    start = max(claimed_at, last_visited_at) if last_visited_at is not None else claimed_at
    return start + datetime.timedelta(days=return_after_days)
