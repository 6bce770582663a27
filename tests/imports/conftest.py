"""Helpers for the import tests: files written the way Excel and BOSS write them, and a run from one call."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import xlsxwriter
from django.utils import translation

from imports.services import import_run_check, import_run_create


def csv_bytes(rows: list[list[object]], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[object]], path: Path) -> bytes:
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    dates = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for row_number, row in enumerate(rows):
        for column, value in enumerate(row):
            if hasattr(value, "isoformat"):
                sheet.write_datetime(row_number, column, value, dates)
            else:
                sheet.write(row_number, column, value)
    workbook.close()
    return path.read_bytes()


@pytest.fixture(autouse=True)
def _eager_celery(monkeypatch):
    """The web and the API hand runs to Celery; here its tasks run in the request, as in the embedded default,
    even where CI has a real broker configured (tests/imports/test_real_stack.py sends to a real worker itself)."""
    from crm.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)


@pytest.fixture
def run_file(tmp_path, settings):
    """Import `content` (bytes) as `name` for `user`: create the run and check it (then preview, write or
    nothing), as the task does."""
    settings.IMPORTS_DIR = str(tmp_path / "imports")

    def _run(
        user,
        kind: str,
        content: bytes,
        *,
        name: str = "file.csv",
        mode: str = "upsert",
        then: str = "preview",
        language: str = "en",
    ):
        upload = tmp_path / f"upload-{name}"
        upload.write_bytes(content)
        with translation.override(language):
            run = import_run_create(user=user, kind=kind, mode=mode, file_name=name, path=upload)
        return import_run_check(run, then=then)

    return _run
