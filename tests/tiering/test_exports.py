"""Tier lists: CSV with BOM and XLSX, the filters and visibility of /customers/, formulas neutralised."""

import csv
import io
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook
from rest_framework.test import APIClient

from accounts.models import Customer
from tiering import exports
from tiering.bulk import apply_rules
from tiering.rules import reason_text

from .samples import rule_sets

pytestmark = pytest.mark.django_db

CSV = "/api/v1/exports/tier-list.csv"
XLSX = "/api/v1/exports/tier-list.xlsx"


@pytest.fixture
def listed(customers):
    Customer.objects.filter(code="CD0001").update(name='=HYPERLINK("http://x")', handset_count=612)
    Customer.objects.filter(code="CD0002").update(name="+86 集团", address="@home")
    call_command("recompute_tiers", stdout=StringIO())
    return customers


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_csv_has_bom_chinese_headers_code_first_and_visible_rows_only(api, cast, listed):
    response = api(cast["paul"]).get(CSV)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    table = read_csv(response)
    assert table[0][:3] == ["客户编码", "客户名称", "等级"]
    assert [row[0] for row in table[1:]] == ["CD0001", "CD0002", "MY0001"]  # not GZ0001 of Guangdong


def test_csv_neutralises_formulas_and_keeps_numbers(api, cast, listed):
    table = read_csv(api(cast["hq"]).get(CSV, {"region": "510100"}))
    by_code = {row[0]: row for row in table[1:]}
    assert by_code["CD0001"][1] == '\'=HYPERLINK("http://x")'
    assert by_code["CD0002"][1] == "'+86 集团"
    assert by_code["CD0001"][9] == "612"
    assert by_code["CD0001"][14] == "handset_count 612 ≥ 500"


def test_csv_takes_the_customer_filters(api, cast, listed):
    table = read_csv(api(cast["hq"]).get(CSV, {"tier": "A"}))
    assert [row[0] for row in table[1:]] == ["CD0001"]


def test_bad_filters_are_field_errors(api, cast, listed):
    response = api(cast["hq"]).get(CSV, {"tier": "Z", "region": "999999"})
    assert response.status_code == 400 and set(response.json()) == {"tier", "region"}


def test_who_may_export(api, cast, listed):
    assert APIClient().get(CSV).status_code == 401
    assert api(cast["alice"]).get(CSV).status_code == 403
    assert [row[0] for row in read_csv(api(cast["dora"]).get(CSV))[1:]] == ["CD0001", "CD0002"]


def test_xlsx_cells_are_typed_and_formulas_are_text(api, cast, listed):
    response = api(cast["hq"]).get(XLSX)
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "客户编码"
    assert [row[0] for row in rows[1:]] == ["CD0001", "CD0002", "GZ0001", "MY0001"]
    formula_cell = sheet.cell(row=2, column=2)
    assert formula_cell.data_type == "s" and formula_cell.value == '=HYPERLINK("http://x")'
    assert sheet.cell(row=2, column=10).value == 612


def test_xlsx_continues_on_a_new_sheet_past_the_row_limit(listed):
    target = io.BytesIO()
    assert exports.write_xlsx(Customer.objects.all(), target, max_rows=3) == 4
    workbook = load_workbook(io.BytesIO(target.getvalue()))
    assert [sheet.max_row for sheet in workbook.worksheets] == [3, 3]
    assert workbook.worksheets[1].cell(row=1, column=1).value == "客户编码"


def test_list_page_offers_the_download_to_those_who_may(login, cast, listed):
    assert 'data-testid="export-xlsx"' in login(cast["paul"]).get("/customers/").content.decode()
    assert 'data-testid="export-xlsx"' not in login(cast["alice"]).get("/customers/").content.decode()


def test_command_exports_a_region(listed, tmp_path):
    target = tmp_path / "chengdu.csv"
    call_command("export_tier_list", region="510100", format="csv", output=str(target), stdout=StringIO())
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8")[1:])))
    assert [row[0] for row in rows[1:]] == ["CD0001", "CD0002"]
    with pytest.raises(CommandError, match="999999"):
        call_command("export_tier_list", region="999999", output=str(target))
    xlsx = tmp_path / "a.xlsx"
    call_command("export_tier_list", region="510000", format="xlsx", tier="A", output=str(xlsx), stdout=StringIO())
    assert [row[0] for row in load_workbook(xlsx).worksheets[0].iter_rows(values_only=True)][1:] == ["CD0001"]


def test_reasons_in_the_list_read_as_on_the_customer_page(generated):
    national, (_rules, extra) = rule_sets()
    apply_rules(Customer.objects.all(), extra, national.pk)
    listed = Customer.objects.annotate(text=exports.TierReasonsText("tier_reasons"))
    assert listed.exclude(tier_reasons=[]).count() > 50
    for customer in listed:
        assert customer.text == "; ".join(reason_text(reason) for reason in customer.tier_reasons), customer.code


def test_csv_in_batches_lists_every_customer_once_in_code_order(generated, monkeypatch):
    monkeypatch.setattr(exports, "BATCH", 7)
    Customer.objects.filter(pk=generated[0].pk).update(name='甲, "乙"\n丙')
    export = exports.TierListCSV(Customer.objects.all())
    table = list(csv.reader(io.StringIO(b"".join(export).decode("utf-8")[1:])))
    assert [row[0] for row in table[1:]] == list(Customer.objects.order_by("code").values_list("code", flat=True))
    assert export.rows == len(generated) == 300
    assert {row[0]: row[1] for row in table[1:]}[generated[0].code] == '甲, "乙"\n丙'


def test_command_counts_what_it_wrote(generated, tmp_path):
    out = StringIO()
    call_command("export_tier_list", "--region", "510104", "-o", str(tmp_path / "list.csv"), stdout=out)
    assert "Wrote 300 customers" in out.getvalue()
