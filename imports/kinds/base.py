"""What a kind of import is made of: its columns, how each cell is read and checked, and how its rows merge into
the tables (SPEC §8.4). Each kind is a module of this package that defines `KIND`; adding a kind is adding one."""

from __future__ import annotations

import datetime
import functools
import math
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.validators import CUSTOMER_CODE_RE, MOBILE_RE, USCC_ALPHABET, USCC_WEIGHTS, uscc_error
from crm.models import RegionLevel

from ..files import CONTROL_RE, CONTROLS

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


@dataclass(frozen=True)
class CellSQL:
    """A parser's twin in SQL, for the common spellings of a cell: `ok` says whether the cell (text, NULL when
    empty) is one of them, `value` is what the parser gives for it. A cell `ok` refuses is read by the parser
    itself, so `ok` may refuse a cell the parser accepts, never accept one the parser would refuse or read
    otherwise (tests/imports/test_cell_sql.py holds the two side by side)."""

    ok: str
    value: str
    ok_params: tuple[Any, ...] = ()
    value_params: tuple[Any, ...] = ()


# parser → its SQL twin: a function of the cell's SQL expression and the run's lookups.
SQL_TWINS: dict[Callable[..., Any], Callable[[str, Lookups], CellSQL]] = {}


def sql_twin(parse: Callable[..., Any]) -> Callable[[Callable[[str, Lookups], CellSQL]], Any]:
    def register(twin: Callable[[str, Lookups], CellSQL]) -> Callable[[str, Lookups], CellSQL]:
        SQL_TWINS[parse] = twin
        return twin

    return register


# What `str.strip()` removes: every character for which `str.isspace()` holds (a test checks the list is whole).
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000"
)


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
# The control characters of imports.files as a PostgreSQL bracket expression of the characters themselves (a text
# value holds no NUL: the class starts at U+0001).
CONTROLS_SQL = "[" + CONTROLS.replace("\x00-", "\x01-") + "]"
# What keeps a text cell from the SQL twin's taking it as it is, as one regular expression: whitespace to strip at
# either end, or a control character. One match a cell costs less than half of `btrim(cell, WHITESPACE) = cell`
# and the controls' match apart (a multi-byte `btrim` set is taken apart again for every cell).
TEXT_NOT_AS_IS_SQL = f"^[{WHITESPACE}]|[{WHITESPACE}]$|{CONTROLS_SQL}"


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
        control = CONTROL_RE.search(text)
        if control:
            # A workbook's cell (a CSV holding one is refused with the file, by imports.files, before any cell).
            raise CellError(
                _(
                    "The cell holds %(char)s, a control character or a text-direction mark, which no BOSS field "
                    "holds: remove it."
                )
                % {"char": f"U+{ord(control.group()):04X}"}
            )
        return text

    def twin(cell: str, lookups: Lookups) -> CellSQL:
        # Nothing to strip, no apostrophe before a formula character, within the length, no control character.
        ok = f"(char_length({cell}) <= {int(max_length)} AND left({cell}, 1) <> '''' AND {cell} !~ %s)"
        ok = f"({cell} IS NULL OR {ok})" if not required else f"COALESCE({ok}, false)"
        return CellSQL(ok, f"COALESCE({cell}, '')", (TEXT_NOT_AS_IS_SQL,))

    SQL_TWINS[parse] = twin
    return parse


def parse_customer_code(value: Any, lookups: Lookups) -> str:
    text = value.strip() if type(value) is str else as_text(value)
    if not text:
        raise CellError(_("This column cannot be empty."))
    if not CUSTOMER_CODE_RE.match(text):
        raise CellError(_("A customer code is 1 to 32 letters, digits, '-' or '_', starting with a letter or digit."))
    return text


@sql_twin(parse_customer_code)
def _customer_code_sql(cell: str, lookups: Lookups) -> CellSQL:
    return CellSQL(f"COALESCE({cell} ~ '^[A-Za-z0-9][-A-Za-z0-9_]*$' AND length({cell}) <= 32, false)", cell)


def parse_optional_customer_code(value: Any, lookups: Lookups) -> str | None:
    """A customer's code that may be left empty (a customer's parent group: empty is none)."""
    text = value.strip() if type(value) is str else as_text(value)
    if not text:
        return None
    return parse_customer_code(text, lookups)


@sql_twin(parse_optional_customer_code)
def _optional_customer_code_sql(cell: str, lookups: Lookups) -> CellSQL:
    return CellSQL(f"({cell} IS NULL OR ({cell} ~ '^[A-Za-z0-9][-A-Za-z0-9_]*$' AND length({cell}) <= 32))", cell)


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


@sql_twin(parse_uscc)
def _uscc_sql(cell: str, lookups: Lookups) -> CellSQL:
    # The weighted sum of GB 32100-2015 over the first 17 characters, then the check character it calls for.
    total = " + ".join(
        f"(strpos('{USCC_ALPHABET}', substr({cell}, {position}, 1)) - 1) * {weight}"
        for position, weight in enumerate(USCC_WEIGHTS, start=1)
    )
    check = f"substr('{USCC_ALPHABET}', (31 - ({total}) %% 31) %% 31 + 1, 1)"  # %% : a parameter mark escaped
    shape = f"{cell} ~ '^[{USCC_ALPHABET}]+$' AND length({cell}) = 18"
    ok = f"({cell} IS NULL OR ({shape} AND substr({cell}, 18, 1) = {check}))"
    return CellSQL(ok, cell)


def parse_mobile(value: Any, lookups: Lookups) -> str:
    text = value.strip() if type(value) is str else as_text(value)
    if not text:
        raise CellError(_("This column cannot be empty."))
    if not MOBILE_RE.match(text):
        raise CellError(_("A mobile number is 11 digits starting with 1 and a digit from 3 to 9, e.g. 13812345678."))
    return text


@sql_twin(parse_mobile)
def _mobile_sql(cell: str, lookups: Lookups) -> CellSQL:
    return CellSQL(f"COALESCE({cell} ~ '^1[3-9][0-9]+$' AND length({cell}) = 11, false)", cell)


def parse_industry(value: Any, lookups: Lookups) -> str | None:
    text = value.strip() if type(value) is str else as_text(value)
    if not text:
        return None
    if text not in lookups.industries:
        raise CellError(_("No industry has the code %(code)s (GB/T 4754-2017 division, e.g. J66).") % {"code": text})
    return text


@sql_twin(parse_industry)
def _industry_sql(cell: str, lookups: Lookups) -> CellSQL:
    return CellSQL(f"({cell} IS NULL OR {cell} = ANY(%s))", cell, (sorted(lookups.industries),))


def parse_region(value: Any, lookups: Lookups) -> str:
    text = value.strip() if type(value) is str else as_text(value)
    if not text:
        raise CellError(_("This column cannot be empty."))
    level = lookups.regions.get(text)
    if level is None:
        raise CellError(_("No region has the code %(code)s (GB/T 2260, e.g. 510104).") % {"code": text})
    if level not in ("city", "county", "grid"):
        raise CellError(
            _("A customer belongs to a city, a county or a grid, not to a %(level)s.")
            % {"level": str(RegionLevel(level).label).lower()}
        )
    if text not in lookups.filing_regions:
        raise CellError(_("The region %(code)s is outside your territory.") % {"code": text})
    return text


@sql_twin(parse_region)
def _region_sql(cell: str, lookups: Lookups) -> CellSQL:
    filing = [code for code in lookups.filing_regions if lookups.regions.get(code) in ("city", "county", "grid")]
    return CellSQL(f"COALESCE({cell} = ANY(%s), false)", cell, (sorted(filing),))


def parse_product(value: Any, lookups: Lookups) -> str:
    text = value.strip() if type(value) is str else as_text(value)
    if not text:
        raise CellError(_("This column cannot be empty."))
    if text not in lookups.products:
        raise CellError(_("No product has the code %(code)s.") % {"code": text})
    return text


@sql_twin(parse_product)
def _product_sql(cell: str, lookups: Lookups) -> CellSQL:
    return CellSQL(f"COALESCE({cell} = ANY(%s), false)", cell, (sorted(lookups.products),))


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


@sql_twin(parse_integer)
def _integer_sql(cell: str, lookups: Lookups) -> CellSQL:
    ok = f"({cell} IS NULL OR ({cell} ~ '^[0-9]+$' AND length({cell}) <= 9))"
    return CellSQL(ok, f"COALESCE(CAST({cell} AS bigint), 0)")


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

    def twin(cell: str, lookups: Lookups) -> CellSQL:
        # At most max_digits - 2 digits before the point: the text is that short, or its point comes soon enough.
        whole = max_digits - 2
        shape = f"{cell} ~ '^[0-9]+([.][0-9][0-9]?)?$' AND "
        shape += f"(length({cell}) <= {whole} OR strpos({cell}, '.') BETWEEN 1 AND {whole + 1})"
        ok = f"({cell} IS NULL OR ({shape}))"
        return CellSQL(ok, f"COALESCE(CAST({cell} AS numeric(20, 2)), 0)")

    SQL_TWINS[parse] = twin
    return parse


# The customer's location is a pair of doubles (FloatField): a double keeps any decimal of 15 significant digits
# exactly, and degrees have at most 3 whole digits, so 12 decimal places (a tenth of a micrometre) are what it keeps
# for every value in range. More would be rounded by the database: refused, never rounded.
COORDINATE_DECIMALS = 12
COORDINATE_RE = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


def decimal_places(number: Decimal) -> int:
    """The decimal places a finite number needs, trailing zeros aside (read from its digits: no rounding)."""
    _sign, digits, exponent = number.as_tuple()
    if not any(digits):
        return 0
    trailing = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -(int(exponent) + trailing))


def parse_coordinate(limit: int, spelling: Any, in_range: Any) -> Callable[[Any, Lookups], float | None]:
    """A latitude (`limit` 90) or a longitude (180) in decimal degrees, WGS-84 as phones report them; empty is
    None. `spelling` and `in_range` are the messages (lazily translated) of a cell that is no number, or is one
    out of range."""

    def parse(value: Any, lookups: Lookups) -> float | None:
        if value in BLANK:
            return None
        if isinstance(value, bool):
            raise CellError(str(spelling))
        if isinstance(value, int | float):
            if isinstance(value, float) and not math.isfinite(value):
                raise CellError(str(spelling))
            number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        else:
            text = value.strip() if type(value) is str else as_text(value)
            if text[:1] == "'" and text[1:2] == "-":
                text = text[1:]  # the apostrophe our error file puts before a minus sign (see parse_text)
            if not text:
                return None
            if not COORDINATE_RE.match(text):
                raise CellError(str(spelling))
            number = Decimal(text)
        if not -limit <= number <= limit:
            raise CellError(str(in_range))
        places = decimal_places(number)
        if places > COORDINATE_DECIMALS:
            raise CellError(
                _(
                    "A latitude or longitude has at most %(max)d decimal places (what the customer's location keeps "
                    "exactly); this has %(count)d."
                )
                % {"max": COORDINATE_DECIMALS, "count": places}
            )
        return float(number)

    def twin(cell: str, lookups: Lookups) -> CellSQL:
        # Digits with an optional minus sign and decimal point, at most COORDINATE_DECIMALS of them after it (a
        # trailing zero too: such a cell goes to the parser), short enough to cast; then the range, on the double.
        places = f"(strpos({cell}, '.') = 0 OR char_length({cell}) - strpos({cell}, '.') <= {COORDINATE_DECIMALS})"
        shape = f"{cell} ~ '^-?[0-9]+([.][0-9]+)?$' AND char_length({cell}) <= 20 AND {places}"
        in_range = f"CAST({cell} AS double precision) BETWEEN -{int(limit)} AND {int(limit)}"
        ok = f"({cell} IS NULL OR CASE WHEN {shape} THEN {in_range} ELSE false END)"
        return CellSQL(ok, f"CAST({cell} AS double precision)")

    SQL_TWINS[parse] = twin
    return parse


parse_latitude = parse_coordinate(
    90,
    gettext_lazy(
        "A latitude is written in decimal degrees: digits, one decimal point, a minus sign for the south (e.g. 30.657)."
    ),
    gettext_lazy("A latitude lies between -90 and 90 degrees."),
)
parse_longitude = parse_coordinate(
    180,
    gettext_lazy(
        "A longitude is written in decimal degrees: digits, one decimal point, a minus sign for the west "
        "(e.g. 104.066)."
    ),
    gettext_lazy("A longitude lies between -180 and 180 degrees."),
)


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


@sql_twin(parse_bool)
def _bool_sql(cell: str, lookups: Lookups) -> CellSQL:
    return CellSQL(
        f"({cell} IS NULL OR {cell} = ANY(%s))",
        f"COALESCE({cell} = ANY(%s), false)",
        (sorted(BOOL_WORDS),),
        (sorted(TRUE_WORDS),),
    )


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

    def twin(cell: str, lookups: Lookups) -> CellSQL:
        # A day that exists in every year (the 29th of February goes to the parser), from EARLIEST to today.
        shape = f"{cell} ~ '{ISO_DAY_SQL}' AND {cell} >= %s AND {cell} <= %s"
        ok = f"COALESCE({shape}, false)" if required else f"({cell} IS NULL OR ({shape}))"
        return CellSQL(ok, f"CAST({cell} AS date)", (EARLIEST.isoformat(), timezone.localdate().isoformat()))

    SQL_TWINS[parse] = twin
    return parse


# (Bounded repetitions such as {3} cost PostgreSQL's regular expressions several times what spelled-out ones do.)
ISO_DAY_SQL = (
    "^[12][0-9][0-9][0-9]-((0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31)$"
)


def parse_period(value: Any, lookups: Lookups) -> datetime.date:
    """A billing month `YYYY-MM`, stored as its first day."""
    if value in BLANK:
        raise CellError(_("This column cannot be empty."))
    if isinstance(value, datetime.date):
        # A workbook's date cell: Excel stores a typed 2026-08 as the first of August; another day (or a time of
        # day) is a date, not a month, and is refused rather than cut to its month.
        is_first = value.day == 1 and (not isinstance(value, datetime.datetime) or value.time() == datetime.time(0))
        if not is_first:
            raise CellError(_("A month is written YYYY-MM, e.g. 2026-03."))
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


@sql_twin(parse_period)
def _period_sql(cell: str, lookups: Lookups) -> CellSQL:
    ok = f"COALESCE({cell} ~ '^[0-9][0-9][0-9][0-9]-(0[1-9]|1[0-2])$' AND {cell} >= %s AND {cell} <= %s, false)"
    return CellSQL(ok, f"CAST({cell} || '-01' AS date)", (f"{EARLIEST:%Y-%m}", f"{timezone.localdate():%Y-%m}"))


def parse_choice(choices: Any) -> Callable[[Any, Lookups], str]:
    """A value of `choices` (a TextChoices), as its code (`active`) or its Chinese label (在网)."""

    def parse(value: Any, lookups: Lookups) -> str:
        text = value.strip() if type(value) is str else as_text(value)
        accepted = choice_words(choices)
        if text in accepted:
            return accepted[text]
        raise CellError(_("One of %(values)s is expected.") % {"values": ", ".join(dict.fromkeys(accepted))})

    def twin(cell: str, lookups: Lookups) -> CellSQL:
        words = choice_words(choices)
        return CellSQL(
            f"COALESCE({cell} = ANY(%s), false)",
            f"CASE {cell} " + " ".join(["WHEN %s THEN %s"] * len(words)) + " END",
            (sorted(words),),
            tuple(part for pair in words.items() for part in pair),
        )

    SQL_TWINS[parse] = twin
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
    sql_type: str  # "text", "integer", "numeric" (amounts), "float" (degrees), "boolean", "date"
    example: str
    rule: str  # the rule, as the template documents it
    required: bool = False  # the column must be in the file
    target: str | None = None  # the table column it writes, when not `name`
    nullable: bool = False  # `parse` may give None (staged as NULL); otherwise never
    # The cell names another row of the same table by its key (a customer's parent group, perhaps a customer of
    # the same file): left out of the merge, its `target` is set from the key by a statement of its own after it.
    reference: bool = False

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
    - `required_for_new`: columns a new row cannot do without, even when a file that only updates may omit them;
    - `together`: pairs of columns that go together (a location's latitude and longitude): a file has both of a
      pair or neither, a row fills both or leaves both empty.
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
    together: tuple[tuple[str, str], ...] = ()
    # Columns of the table set by the merge from staged values: column → (SQL over the staged row `s` and the
    # table's row `t`, NULL for a new one; the staged columns it reads); one whose columns the file has not is
    # left alone.
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
