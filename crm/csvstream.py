"""Streaming CSV for downloads (tier lists, import error files): rows written by the csv module into a buffer that
is handed on, UTF-8 encoded, every few rows, so that memory holds a few rows whatever the file's size."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

BOM = "\ufeff"


def csv_chunks(rows: Iterable[Sequence[Any]], *, every: int = 1000) -> Iterator[bytes]:
    """The rows as CSV, in UTF-8 pieces of about `every` rows each."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for count, row in enumerate(rows, start=1):
        writer.writerow(row)
        if count % every == 0:
            yield _drain(buffer)
    yield _drain(buffer)


def _drain(buffer: io.StringIO) -> bytes:
    data = buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    return data
