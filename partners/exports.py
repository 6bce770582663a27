"""A settlement's lines as files (酬金结算, issue 20, point 3): CSV (UTF-8 with a BOM, so that Excel reads it) and XLSX,
with the tier lists' machinery (`tiering.exports`, `crm.csvstream`): headers in the reader's language, streamed in
constant memory, formulas neutralised (a text cell starting with = + - @ is written as text), money as #,##0.00."""

from __future__ import annotations

import itertools
import os
import tempfile
from collections.abc import Iterator
from typing import IO

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rustpy_xlsxwriter import FastExcel, Format

from crm.csvstream import BOM, csv_chunks
from crm.models import PartnerKind
from tiering.exports import FORMULA_STARTS, MONEY, MONEY_FORMAT, NUMBER, PAGE_SETUP, TEXT, attachment

from .models import CommissionBasis, Settlement
from .months import format_month
from .selectors import settlement_lines

COLUMNS = [
    # (header, kind, width in the XLSX: characters of the default font, a Chinese character counting two)
    (gettext_lazy("Month settled"), TEXT, 10),
    (gettext_lazy("Partner"), TEXT, 28),
    (gettext_lazy("Customer code"), TEXT, 12),
    (gettext_lazy("Customer name"), TEXT, 32),
    (gettext_lazy("Product code"), TEXT, 10),
    (gettext_lazy("Product"), TEXT, 16),
    (gettext_lazy("Basis"), TEXT, 24),
    (gettext_lazy("Rule"), NUMBER, 8),
    (gettext_lazy("Paid as"), TEXT, 24),
    (gettext_lazy("Quantity"), NUMBER, 10),
    (gettext_lazy("Base (CNY)"), MONEY, 14),
    (gettext_lazy("Rate (%)"), NUMBER, 9),
    (gettext_lazy("Month of the share"), NUMBER, 10),
    (gettext_lazy("Amount (CNY)"), MONEY, 14),
    (gettext_lazy("Corrects month"), TEXT, 10),
]
FETCH = 2_000


def headers() -> list[str]:
    return [str(header) for header, _kind, _width in COLUMNS]


def _text(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def labels() -> dict[str, str]:
    """The bases' and kinds' names in the language active now."""
    return {value: str(label) for value, label in [*CommissionBasis.choices, *PartnerKind.choices]}


def rows(settlement: Settlement, *, for_csv: bool, words: dict[str, str] | None = None) -> Iterator[list]:
    """One row per line, a few thousand read at a time; numbers stay numbers."""
    words = labels() if words is None else words
    month, partner = format_month(settlement.period), settlement.partner.name
    text = _text if for_csv else str
    for line in settlement_lines(settlement).iterator(chunk_size=FETCH):
        yield [
            month,
            text(partner),
            text(line.customer.code),
            text(line.customer.name),
            line.product_id,
            text(line.product.name),
            words.get(line.basis, line.basis),
            line.rule_id,
            words.get(line.partner_kind, line.partner_kind),
            line.quantity,
            line.base,
            line.rate,
            line.month_index,
            line.amount,
            format_month(line.corrects_period) or "",
        ]


class SettlementCSV:
    """The CSV as an iterable of byte pieces: a BOM, the header, then the lines a few thousand at a time. The words
    are those of the language active when it is made (a streamed response is read after the view has returned)."""

    def __init__(self, settlement: Settlement):
        self.settlement = settlement
        self.headers = headers()
        self.words = labels()

    def __iter__(self) -> Iterator[bytes]:
        yield BOM.encode("utf-8")
        lines = rows(self.settlement, for_csv=True, words=self.words)
        yield from csv_chunks(itertools.chain([self.headers], lines))


def xlsx_file(settlement: Settlement) -> IO[bytes]:
    """The XLSX in a temporary file, open for streaming; its name is gone once it is open."""
    titles = headers()
    header_format = Format().set_bold().set_background_color("#DDEBF7").set_border_bottom("thin").set_text_wrap()
    money = Format().set_num_format(MONEY_FORMAT)
    column_formats = {title: money for title, (_h, kind, _w) in zip(titles, COLUMNS, strict=True) if kind == MONEY}
    records = (dict(zip(titles, row, strict=True)) for row in rows(settlement, for_csv=False))
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "settlement.xlsx")
        book = FastExcel(path).freeze(row=1)
        book.sheet(
            f"{_('Commission settlement')} {format_month(settlement.period)}",
            _first_or_blank(records, titles),
            column_widths=[width for _header, _kind, width in COLUMNS],
            column_formats=column_formats,
            header_format=header_format,
            autofilter=True,
            page_setup=PAGE_SETUP,
        )
        book.save()
        return open(path, "rb")  # noqa: SIM115 - the response closes it


def _first_or_blank(records: Iterator[dict], titles: list[str]) -> Iterator[dict]:
    """The records, or a row of blanks when there are none: the header is still laid out."""
    empty = True
    for record in records:
        empty = False
        yield record
    if empty:
        yield dict.fromkeys(titles)


def file_names(settlement: Settlement, extension: str) -> tuple[str, str]:
    """The file's name in the reader's language and its ASCII stand-in:
    `酬金结算-成都数智方案有限公司-2026-11.xlsx` and `settlement-12-2026-11.xlsx`."""
    month = format_month(settlement.period)
    name = "-".join([_("Commission settlement"), settlement.partner.name, month or ""]) + f".{extension}"
    return name, f"settlement-{settlement.partner_id}-{month}.{extension}"


def content_disposition(settlement: Settlement, extension: str) -> str:
    return attachment(*file_names(settlement, extension))
