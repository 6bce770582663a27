"""A run's status says what it may do next: `previewed` only once its preview's counts are in, so that a confirm
sent while the preview works is refused with a reason, not taken and lost (SPEC §8.4)."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Customer
from imports import services
from imports.models import ImportRun
from imports.services import import_run_confirm, import_run_write
from tests.factories import CustomerFactory
from tiering.services import tier_refresh

from .conftest import csv_bytes

pytestmark = pytest.mark.django_db

HEADER = ["code", "name", "region"]


def test_a_run_is_validating_until_its_preview_is_done_and_a_confirm_meanwhile_is_refused(cast, run_file, monkeypatch):
    paul = cast["paul"]
    seen = []
    preview_write = services._write

    def confirm_during_the_preview(run, stage, *, preview=False):
        if preview:
            during = ImportRun.objects.get(pk=run.pk)
            seen.append((during.status, during.finished_at, services.progress_of(during)["phase"]))
            with pytest.raises(ValidationError) as refused:
                import_run_confirm(run=during, user=paul)
            seen.append(str(refused.value))
            with pytest.raises(ValidationError):
                import_run_write(during)
        return preview_write(run, stage, preview=preview)

    monkeypatch.setattr(services, "_write", confirm_during_the_preview)
    run = run_file(paul, "customers", csv_bytes([HEADER, ["G1", "甲", "510104"], ["G2", "乙", "510104"]]))
    assert seen[0] == ("validating", None, "previewing")
    assert "validating" not in seen[1] and "Validating" in seen[1]  # the status as people read it, not its code
    assert (run.status, run.created) == ("previewed", 2) and run.finished_at is not None
    assert not Customer.objects.exists()
    import_run_write(import_run_confirm(run=run, user=paul))
    assert ImportRun.objects.get(pk=run.pk).status == "done" and Customer.objects.count() == 2


def test_a_file_written_at_once_goes_from_validating_to_done(cast, run_file):
    run = run_file(cast["paul"], "customers", csv_bytes([HEADER, ["G1", "甲", "510104"]]), then="write")
    assert (run.status, run.created) == ("done", 1), run.message


def test_a_customers_history_names_the_import_and_the_tier_changes_source_in_words(cast, login, run_file, territory):
    """The history of a customer an import changed reads "导入：#N 集团客户 · file.csv" and "来源：导入", not the
    run's raw string ("3 customers file.csv") or the source's code."""
    customer = CustomerFactory(code="E0001", region=territory["jinjiang"], handset_count=10)
    tier_refresh(customer=customer)
    rows = [["客户编码", "手机数量", "状态"], ["E0001", "700", "churned"]]  # leaves the tiers: a tier change
    run = run_file(cast["paul"], "customers", csv_bytes(rows), name="更新.csv", then="write")
    assert (run.status, run.updated) == ("done", 1), run.message
    response = login(cast["paul"]).get(reverse("accounts:customer-history", args=["E0001"]))
    text = re.sub(r"\s*：\s*", "：", re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))
    assert f"#{run.pk} 集团客户 · 更新.csv" in text
    assert "来源：导入" in text
    assert f"{run.pk} customers" not in text and "：import" not in text


def test_a_runs_encoding_is_named_as_people_name_it(cast, login, run_file):
    run = run_file(cast["paul"], "customers", csv_bytes([HEADER, ["G1", "甲", "510104"]], "utf-8-sig"))
    assert run.encoding == "utf-8-sig"
    html = login(cast["paul"]).get(reverse("imports:run", args=[run.pk])).content.decode()
    assert "UTF-8（带 BOM）" in html and "UTF-8-SIG" not in html
