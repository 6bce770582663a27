"""What a kind of import is made of: its columns, how each cell is read and checked, and how its rows merge into
the tables (SPEC §8.4). Each kind is a module of this package that defines `KIND`; adding a kind is adding one."""

from __future__ import annotations

import datetime
import functools
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.validators import CUSTOMER_CODE_RE, MOBILE_RE, USCC_ALPHABET, USCC_WEIGHTS, uscc_error

if TYPE_CHECKING:
    from django.db.models import Model


class CellError(ValueError):
    """A cell that breaks its column's rule; the message says which rule, in the importer's language."""


@dataclass
class Lookups:
    """Reference data the cells are checked against, read once per run: small tables (industries, regions,
    products) held in memory, and the importer's territory."""

    industries: set[str]
    regions: dict[str, str]  # code → level
    filing_regions: set[str]  # the regions the importer may file customers under
    products: set[str]
    territory_path: str


# -- how a cell is read --------------------------------------------------------------------------------------------

BLANK = ("", None)
FORMULA_STARTS = ("=", "+", "-", "@")
TRUE_WORDS = {"true", "1", "yes", "y", "是", "t"}
FALSE_WORDS = {"false", "0", "no", "n", "否", "f"}
DECIMAL_RE = re.compile(r"^[0-9]+(\.[0-9]+)?$")
INTEGER_RE = re.compile(r"^[0-9]+$")
DATE_RE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")
PERIOD_RE = re.compile(r"^([0-9]{4})-([0-9]{2})$")
EARLIEST = datetime.date(1949, 10, 1)


def as_text(value: Any) -> str:
    """A cell as text: CSV gives text; a spreadsheet's whole numbers (a code typed as a number) lose the `.0`."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    return str(value).strip()


def parse_text(max_length: int, *, required: bool = False) -> Callable[[Any, Lookups], str]:
    def parse(value: Any, lookups: Lookups) -> str:
        text = value.strip() if type(value) is str else as_text(value)
        if text[:1] == "'" and text[1:2] in FORMULA_STARTS:
            # The apostrophe our error file (and the tier lists) put before = + - @ so that a spreadsheet shows
            # the text instead of running it: not part of the value.
            text = text[1:]
        if required and not text:
            raise CellError(_("This column cannot be empty."))
        if len(text) > max_length:
            raise CellError(
                _("At most %(max)d characters; this has %(count)d.") % {"max": max_length, "count": len(text)}
            )
        return text

    return parse


def parse_customer_code(value: Any, lookups: Lookups) -> str:
    text = value.strip() if type(value) is str else as_text(value)
    if not text:
        raise CellError(_("This column cannot be empty."))
    if not CUSTOMER_CODE_RE.match(text):
        raise CellError(_("A customer code is 1 to 32 letters, digits, '-' or '_', starting with a letter or digit."))
    return text


USCC_VALUES = {char: value for value, char in enumerate(USCC_ALPHABET)}


def parse_uscc(value: Any, lookups: Lookups) -> str | None:
    text = value.strip() if type(value) is str else as_text(value)
    if not text:
        return None
    if len(text) == 18:
        # The check of GB 32100-2015 in one pass; `uscc_error` says which rule a bad code breaks.
        try:
            total = sum(map(operator.mul, map(USCC_VALUES.__getitem__, text[:17]), USCC_WEIGHTS))
        except KeyError:
            pass
        else:
            if text[17] == USCC_ALPHABET[(31 - total % 31) % 31]:
                return text
    raise CellError(uscc_error(text) or _("This is not a valid unified social credit code."))


def parse_mobile(value: Any, lookups: Lookups) -> str:
    text = value.strip() if type(value) is str else as_text(value)
    if not text:
        raise CellError(_("This column cannot be empty."))
    if not MOBILE_RE.match(text):
        raise CellError(_("A mobile number is 11 digits starting with 1 and a digit from 3 to 9, e.g. 13812345678."))
    return text


def parse_industry(value: Any, lookups: Lookups) -> str | None:
    text = value.strip() if type(value) is str else as_text(value)
    if not text:
        return None
    if text not in lookups.industries:
        raise CellError(_("No industry has the code %(code)s (GB/T 4754-2017 division, e.g. J66).") % {"code": text})
    return text


def parse_region(value: Any, lookups: Lookups) -> str:
    text = value.strip() if type(value) is str else as_text(value)
    if not text:
        raise CellError(_("This column cannot be empty."))
    level = lookups.regions.get(text)
    if level is None:
        raise CellError(_("No region has the code %(code)s (GB/T 2260, e.g. 510104).") % {"code": text})
    if level not in ("city", "county", "grid"):
        raise CellError(_("A customer belongs to a city, a county or a grid, not to a %(level)s.") % {"level": level})
    if text not in lookups.filing_regions:
        raise CellError(_("The region %(code)s is outside your territory.") % {"code": text})
    return text


def parse_product(value: Any, lookups: Lookups) -> str:
    text = value.strip() if type(value) is str else as_text(value)
    if not text:
        raise CellError(_("This column cannot be empty."))
    if text not in lookups.products:
        raise CellError(_("No product has the code %(code)s.") % {"code": text})
    return text


# The common case of a CSV cell, checked by one regular expression and staged as the text it is (the database reads
# it): a whole number below 2**31, an amount with at most 2 decimals, an ISO date.
FAST_INTEGER = re.compile(r"[0-9]{1,9}")
FAST_DATE = re.compile(r"[12][0-9]{3}-[01][0-9]-[0-3][0-9]")


def parse_integer(value: Any, lookups: Lookups) -> int | str:
    if type(value) is str and FAST_INTEGER.fullmatch(value):
        return value
    if value in BLANK:
        return 0
    if isinstance(value, bool):
        raise CellError(_("A whole number of 0 or more is expected."))
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise CellError(_("A whole number of 0 or more is expected."))
        number = int(value)
    else:
        text = str(value).strip()
        if not INTEGER_RE.match(text):
            raise CellError(_("A whole number of 0 or more is expected, written with digits only."))
        number = int(text)
    if number < 0:
        raise CellError(_("A whole number of 0 or more is expected."))
    if number > 2_147_483_647:
        raise CellError(_("This number is too large."))
    return number


def parse_money(max_digits: int = 14) -> Callable[[Any, Lookups], Decimal | str]:
    limit = Decimal(10) ** (max_digits - 2)
    fast = re.compile(rf"[0-9]{{1,{max_digits - 2}}}(\.[0-9]{{1,2}})?")

    def parse(value: Any, lookups: Lookups) -> Decimal | str:
        if type(value) is str and fast.fullmatch(value):
            return value
        if value in BLANK:
            return Decimal("0.00")
        if isinstance(value, bool):
            raise CellError(_("An amount of 0 or more is expected."))
        if isinstance(value, int | float):
            amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        else:
            text = str(value).strip()
            if not DECIMAL_RE.match(text):
                raise CellError(
                    _("An amount of 0 or more is expected, with digits and at most one decimal point (e.g. 1234.50).")
                )
            amount = Decimal(text)
        try:
            rounded = amount.quantize(Decimal("0.01"))
        except InvalidOperation:
            raise CellError(_("This amount is too large.")) from None
        if amount < 0:
            raise CellError(_("An amount of 0 or more is expected."))
        if rounded != amount:
            raise CellError(_("An amount has at most 2 decimal places."))
        if rounded >= limit:
            raise CellError(_("This amount is too large."))
        return rounded

    return parse


BOOL_WORDS = {**dict.fromkeys(TRUE_WORDS, True), **dict.fromkeys(FALSE_WORDS, False)}


def parse_bool(value: Any, lookups: Lookups) -> bool:
    if type(value) is str and value in BOOL_WORDS:
        return BOOL_WORDS[value]
    if value in BLANK:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise CellError(_("Yes or no is expected: true/false, 1/0 or 是/否."))


def _checked_date(day: datetime.date) -> datetime.date:
    if day < EARLIEST or day > timezone.localdate():
        raise CellError(_("A date between %(first)s and today is expected.") % {"first": EARLIEST.isoformat()})
    return day


def parse_date(*, required: bool = False) -> Callable[[Any, Lookups], datetime.date | None]:
    def parse(value: Any, lookups: Lookups) -> datetime.date | None:
        if type(value) is str and FAST_DATE.fullmatch(value):
            try:
                day = datetime.date.fromisoformat(value)
            except ValueError:
                raise CellError(_("This date does not exist.")) from None
            return _checked_date(day)
        if value in BLANK:
            if required:
                raise CellError(_("This column cannot be empty."))
            return None
        if isinstance(value, datetime.datetime):
            if value.time() != datetime.time(0):
                raise CellError(_("A date without a time is expected."))
            return _checked_date(value.date())
        if isinstance(value, datetime.date):
            return _checked_date(value)
        match = DATE_RE.match(str(value).strip())
        if not match:
            raise CellError(_("A date is written YYYY-MM-DD, e.g. 2026-03-31."))
        if int(match.group(1)) < EARLIEST.year:
            raise CellError(_("A date between %(first)s and today is expected.") % {"first": EARLIEST.isoformat()})
        try:
            day = datetime.date(*(int(part) for part in match.groups()))
        except ValueError:
            raise CellError(_("This date does not exist.")) from None
        return _checked_date(day)

    return parse


def parse_period(value: Any, lookups: Lookups) -> datetime.date:
    """A billing month `YYYY-MM`, stored as its first day."""
    if value in BLANK:
        raise CellError(_("This column cannot be empty."))
    if isinstance(value, datetime.date):
        value = f"{value:%Y-%m}"
    match = PERIOD_RE.match(str(value).strip())
    if not match:
        raise CellError(_("A month is written YYYY-MM, e.g. 2026-03."))
    year, month = (int(part) for part in match.groups())
    if not 1 <= month <= 12:
        raise CellError(_("A month is written YYYY-MM, e.g. 2026-03."))
    first = datetime.date(max(year, 1), month, 1)
    if first < EARLIEST or first > timezone.localdate():
        raise CellError(_("A month between %(first)s and this month is expected.") % {"first": f"{EARLIEST:%Y-%m}"})
    return first


def parse_choice(choices: Any) -> Callable[[Any, Lookups], str]:
    """A value of `choices` (a TextChoices), as its code (`active`) or its Chinese label (在网)."""

    def parse(value: Any, lookups: Lookups) -> str:
        text = value.strip() if type(value) is str else as_text(value)
        accepted = choice_words(choices)
        if text in accepted:
            return accepted[text]
        raise CellError(_("One of %(values)s is expected.") % {"values": ", ".join(dict.fromkeys(accepted))})

    return parse


@functools.cache
def choice_words(choices: Any) -> dict[str, str]:
    """The words a file may use for each choice: its code, and its Chinese label (read once per process)."""
    from django.utils import translation

    words = {str(value): str(value) for value in choices.values}
    with translation.override("zh-hans"):
        words.update({str(label): str(value) for value, label in choices.choices})
    return words


# -- a column and a kind -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A column of a file: its API field name (and staging column), its Chinese header as in the template, how a
    cell is read, and the SQL type it is staged as."""

    name: str
    label: str
    parse: Callable[[Any, Lookups], Any]
    sql_type: str  # "text", "integer", "numeric", "boolean", "date"
    example: str
    rule: str  # the rule, as the template documents it
    required: bool = False  # the column must be in the file
    target: str | None = None  # the table column it writes, when not `name`
    nullable: bool = False  # `parse` may give None (staged as NULL); otherwise never

    @property
    def staged_as_null(self) -> bool:
        """Whether an empty staged value means NULL: for every column but text, which keeps an empty text."""
        return self.nullable or self.sql_type != "text"


@dataclass(frozen=True)
class Kind:
    """A kind of BOSS extract: its columns, the key that finds a row, the table it merges into and what follows.

    - `key`: the columns that identify a row in the file (duplicates are errors);
    - `model`: the table written; `conflict` its unique key as table columns, `conflict_where` a partial
      index's condition;
    - `customer_column`: the file column holding the customer's code in the kinds that hang off a customer;
    - `replaceable`: whether `replace` mode applies (the file is the whole list of every customer it names);
    - `removal`: in replace mode, "delete" the rows not in the file, or "leave" (mark `left_on`);
    - `required_for_new`: columns a new row cannot do without, even when a file that only updates may omit them.
    """

    name: str
    columns: Sequence[Column]
    key: tuple[str, ...]
    model: type[Model]
    conflict: tuple[str, ...]
    customer_column: str | None = None
    conflict_where: str = ""
    replaceable: bool = False
    removal: str = "delete"
    required_for_new: tuple[str, ...] = ()
    # Columns of the table set by the merge from staged values: column → (SQL over the staged row `s`, the staged
    # columns it reads); one whose columns the file has not is left alone.
    computed: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)

    @property
    def headers(self) -> dict[str, Column]:
        """Every header a file may use for each column: the API field name and the Chinese label."""
        names = {column.name: column for column in self.columns}
        names.update({column.label: column for column in self.columns})
        return names

    def target(self, column: Column) -> str:
        return column.target or column.name


# The columns several kinds share: the customer a row hangs off (by its code), and a person's mobile number.
CUSTOMER = Column(
    "customer",
    "客户编码",
    parse_customer_code,
    "text",
    "G5101000001",
    _("required; the customer's code"),
    required=True,
)
MOBILE = Column("mobile", "手机号码", parse_mobile, "text", "13812345678", _("required; 11 digits"), required=True)
