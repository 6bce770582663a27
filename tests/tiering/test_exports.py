"""Tier lists: CSV with BOM and XLSX, the filters and visibility of /customers/, formulas neutralised."""

import csv
import datetime
import io
import re
from decimal import Decimal
from io import StringIO
from urllib.parse import unquote

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import translation
from openpyxl import load_workbook
from rest_framework.test import APIClient

from accounts.models import Customer
from crm.models import User
from tiering import exports
from tiering.bulk import apply_rules
from tiering.reasons import reasons_text

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
    assert by_code["CD0001"][14] == "手机数量 612 ≥ 500"


@pytest.mark.parametrize("start", exports.FORMULA_STARTS)
def test_csv_neutralises_every_start_of_a_formula_in_every_text_column(api, cast, listed, start):
    """Each character a spreadsheet reads as the start of a formula, in a name and in a manager's name; a text
    that merely contains one is left as it is."""
    Customer.objects.filter(code="CD0001").update(name=f"{start}1+1 集团")
    Customer.objects.filter(code="CD0002").update(name=f"集团 {start}1")
    User.objects.filter(team_roles__customer__code="CD0001").update(last_name=f"{start}cmd", first_name="")
    table = read_csv(api(cast["hq"]).get(CSV, {"region": "510100"}))
    by_code = {row[0]: row for row in table[1:]}
    assert by_code["CD0001"][1] == f"'{start}1+1 集团"
    assert by_code["CD0002"][1] == f"集团 {start}1"
    assert by_code["CD0001"][13] == f"'{start}cmd"


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


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_reasons_in_the_list_read_as_on_the_customer_page(generated, language):
    national, (_rules, extra) = rule_sets()
    apply_rules(Customer.objects.all(), extra, national.pk)
    with translation.override(language):
        listed = Customer.objects.annotate(text=exports.TierReasonsText("tier_reasons"))
        assert listed.exclude(tier_reasons=[]).count() > 50
        operators = set()
        for customer in listed:
            operators |= {reason["operator"] for reason in customer.tier_reasons}
            separator = "；" if language == "zh-hans" else "; "  # Chinese punctuation in Chinese
            assert customer.text == separator.join(reasons_text(customer.tier_reasons)), customer.code
    assert any(len(customer.tier_reasons) > 1 for customer in listed)  # the separator was written
    assert {"gte", "gt", "in", "is_true"} <= operators  # every kind of sentence was compared


def test_csv_in_batches_lists_every_customer_once_in_code_order(generated, monkeypatch):
    monkeypatch.setattr(exports, "BATCH", 7)
    Customer.objects.filter(pk=generated[0].pk).update(name='甲, "乙"\n丙')
    export = exports.TierListCSV(Customer.objects.all())
    table = list(csv.reader(io.StringIO(b"".join(export).decode("utf-8")[1:])))
    assert [row[0] for row in table[1:]] == list(Customer.objects.order_by("code").values_list("code", flat=True))
    assert export.rows == len(generated) == 300
    assert {row[0]: row[1] for row in table[1:]}[generated[0].code] == '甲, "乙"\n丙'


def test_the_written_csv_is_the_streamed_csv_byte_for_byte(cast, listed, monkeypatch):
    """`write_csv` (the command's, one statement on PostgreSQL) writes what the download streams in batches of
    codes: the same bytes, managers and formulas included."""
    from tests.factories import TeamRoleFactory

    cast["alice"].last_name, cast["alice"].first_name = "=李", "娜"  # a manager's name that starts like a formula
    cast["alice"].save()
    gz = Customer.objects.get(code="GZ0001")
    ended = {"starts_on": datetime.date(2019, 1, 1), "ends_on": datetime.date(2020, 1, 1)}
    TeamRoleFactory(customer=gz, user=cast["bob"], role="customer_manager", **ended)
    monkeypatch.setattr(exports, "BATCH", 2)
    for customers in (Customer.objects.all(), Customer.objects.filter(code__startswith="CD"), Customer.objects.none()):
        streamed = exports.TierListCSV(customers)
        expected = b"".join(streamed)
        written = io.BytesIO()
        assert exports.write_csv(customers, written) == streamed.rows
        assert written.getvalue() == expected
    table = list(csv.reader(io.StringIO(expected.decode("utf-8")[1:])))
    assert table[0][0] == "客户编码"
    whole = list(csv.reader(io.StringIO(written.getvalue().decode("utf-8")[1:])))
    assert whole == table[:1]  # nobody listed: the header alone
    listed_all = io.BytesIO()
    exports.write_csv(Customer.objects.all(), listed_all)
    managers = {row[0]: row[13] for row in csv.reader(io.StringIO(listed_all.getvalue().decode("utf-8")[1:]))}
    assert managers["CD0001"] == "'=李娜" and managers["CD0002"] == "bob"
    assert managers["GZ0001"] == ""  # the manager's role ended: nobody, not the old one


def test_command_counts_what_it_wrote(generated, tmp_path):
    out = StringIO()
    call_command("export_tier_list", "--region", "510104", "-o", str(tmp_path / "list.csv"), stdout=out)
    assert "Wrote 300 customers" in out.getvalue()


# A tier list fit to send (issue 18, point 3): read back as Excel would.


def xlsx_of(response):
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def test_xlsx_is_laid_out_to_be_sent(api, cast, listed):
    Customer.objects.filter(code="CD0001").update(monthly_spend=Decimal("1936.30"))
    sheet = xlsx_of(api(cast["hq"]).get(XLSX)).worksheets[0]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:O5"  # the header and the four customers, every column
    widths = {letter: sheet.column_dimensions[letter].width for letter in "ABGNO"}
    assert widths["A"] >= 12 and widths["B"] >= 30 and widths["G"] >= 20 and widths["O"] >= 40, widths
    assert sheet.cell(row=1, column=1).font.b
    spend = sheet.cell(row=2, column=11)
    assert spend.value == 1936.3 and spend.number_format == "#,##0.00"
    assert sheet.cell(row=2, column=12).number_format == "#,##0.00"
    assert sheet.cell(row=2, column=10).number_format == "General"  # handsets are a count, not money


def test_xlsx_holds_the_longest_industry_and_wraps_the_reasons(api, cast, listed):
    """行业 is as wide as the longest industry name (a Chinese character two widths); 定级依据 wraps, from the top,
    so that a long list of reasons is neither cut on screen nor clipped when printed (issue 18's walk)."""
    from accounts.data.industries import DIVISIONS

    Customer.objects.filter(code="CD0001").update(industry_id="C37")  # 铁路、船舶、航空航天和其他运输设备制造业
    sheet = xlsx_of(api(cast["hq"]).get(XLSX)).worksheets[0]
    longest = max(sum(2 if ord(char) > 0x2E80 else 1 for char in name) for _code, name, _segment in DIVISIONS)
    assert longest == 40
    assert sheet.column_dimensions["G"].width >= longest
    assert sheet.cell(row=2, column=7).value == "铁路、船舶、航空航天和其他运输设备制造业"
    reasons = sheet.cell(row=2, column=15)
    assert reasons.value and reasons.alignment.wrap_text and reasons.alignment.vertical == "top"
    assert 40 <= sheet.column_dimensions["O"].width <= 60
    assert not sheet.cell(row=2, column=2).alignment.wrap_text  # the other columns as they were


def test_xlsx_prints_landscape_one_page_wide_with_the_header_on_every_page(api, cast, listed):
    sheet = xlsx_of(api(cast["hq"]).get(XLSX)).worksheets[0]
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.paperSize == 9  # A4
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    # one page wide (1 is the attribute's default, left out of the file), as many down as it takes (0)
    assert (sheet.page_setup.fitToWidth or 1, sheet.page_setup.fitToHeight) == (1, 0)
    assert sheet.print_title_rows == "$1:$1"


def test_xlsx_names_the_manager(api, cast, listed):
    cast["alice"].last_name, cast["alice"].first_name = "李", "娜"
    cast["alice"].save()
    rows = list(xlsx_of(api(cast["hq"]).get(XLSX)).worksheets[0].iter_rows(values_only=True))
    managers = {row[0]: row[13] for row in rows[1:]}
    assert managers["CD0001"] == "李娜"
    assert managers["CD0002"] == "bob"  # no name on file: the username, as everywhere else
    assert managers["GZ0001"] is None


def test_xlsx_reasons_read_in_the_users_language(api, cast, listed):
    client = api(cast["hq"])
    rows = list(xlsx_of(client.get(XLSX)).worksheets[0].iter_rows(values_only=True))
    assert rows[1][14] == "手机数量 612 ≥ 500"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    rows = list(xlsx_of(client.get(XLSX)).worksheets[0].iter_rows(values_only=True))
    assert rows[0][0] == "Customer code" and rows[1][14] == "Handset count 612 ≥ 500"


def test_csv_reasons_read_in_the_users_language(api, cast, listed):
    client = api(cast["hq"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    table = read_csv(client.get(CSV, {"region": "510100"}))
    assert {row[0]: row[14] for row in table[1:]}["CD0001"] == "Handset count 612 ≥ 500"


def disposition(response) -> tuple[str, str]:
    """The ASCII `filename` and the decoded `filename*` of a Content-Disposition."""
    header = response["Content-Disposition"]
    assert header.startswith("attachment; ")
    fallback = re.search(r'filename="([^"]*)"', header).group(1)
    encoded = re.search(r"filename\*=UTF-8''(\S+)", header).group(1)
    return fallback, unquote(encoded)


def test_the_file_is_named_for_the_region_the_tier_and_the_day(api, cast, listed, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda: datetime.date(2026, 12, 3))
    client = api(cast["hq"])
    assert disposition(client.get(XLSX, {"region": "510100", "tier": "A"})) == (
        "tier-list-510100-A-2026-12-03.xlsx",
        "分级清单-成都市-A-2026-12-03.xlsx",
    )
    assert disposition(client.get(CSV, {"region": "510100"})) == (
        "tier-list-510100-2026-12-03.csv",
        "分级清单-成都市-2026-12-03.csv",
    )
    # no region asked for: the user's territory; headquarters' whole country is no region
    assert disposition(api(cast["dora"]).get(XLSX))[1] == "分级清单-成都市-2026-12-03.xlsx"
    assert disposition(client.get(XLSX, {"tier_group": "a"}))[1] == "分级清单-A+A-2026-12-03.xlsx"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert disposition(client.get(XLSX, {"region": "510100"}))[1] == "Tier list-成都市-2026-12-03.xlsx"


def test_every_sheet_past_the_row_limit_is_laid_out_alike(listed):
    target = io.BytesIO()
    with translation.override("zh-hans"):
        assert exports.write_xlsx(Customer.objects.order_by(), target, max_rows=3) == 4
    first, second = load_workbook(io.BytesIO(target.getvalue())).worksheets
    assert (first.title, second.title) == ("分级清单", "分级清单 2")
    assert (first.auto_filter.ref, second.auto_filter.ref) == ("A1:O3", "A1:O3")
    for sheet in (first, second):
        assert sheet.freeze_panes == "A2" and sheet.print_title_rows == "$1:$1"
        assert sheet.page_setup.orientation == "landscape"
        assert sheet.cell(row=2, column=11).number_format == "#,##0.00"


def test_an_empty_list_is_still_a_laid_out_sheet(db, territory):
    target = io.BytesIO()
    assert exports.write_xlsx(Customer.objects.none(), target) == 0
    sheet = load_workbook(io.BytesIO(target.getvalue())).worksheets[0]
    assert sheet.max_row == 1 and sheet.freeze_panes == "A2" and sheet.auto_filter.ref.startswith("A1:O")
    assert [cell.value for cell in sheet[1]] == exports.headers()


def test_a_list_that_grew_past_its_last_sheet_is_refused_not_cut(listed, monkeypatch, tmp_path):
    """The sheets are laid out from a count taken just before the rows are read: a list that grew in between past
    the last sheet's limit is refused, never written short. (The count is made to lag as a concurrent import would.)"""
    customers = Customer.objects.order_by()
    monkeypatch.setattr(type(customers), "count", lambda self: 2)
    with pytest.raises(exports.ListChanged):
        exports.write_xlsx(customers, tmp_path / "list.xlsx", max_rows=3)
    # growing within the last sheet's room is no harm: every customer is written
    assert exports.write_xlsx(customers, tmp_path / "list.xlsx", max_rows=10) == 4
