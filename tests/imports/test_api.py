"""The imports API (SPEC §8.2, §8.4): upload, preview, confirm, the errors and the error file, the templates, and
who sees and may do what."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from accounts.models import BillingPeriod, Customer, GroupMember, KeyPerson
from campaigns.models import CustomerProduct, DoNotCall
from crm.models import AuditEntry
from imports import services, tasks
from imports.kinds import KINDS
from imports.models import ImportIssue, ImportRun

from .conftest import csv_bytes

pytestmark = pytest.mark.django_db

URL = "/api/v1/imports/"
HEADER = ["客户编码", "客户名称", "统一社会信用代码", "行业", "区域", "手机数量", "月均消费", "状态"]
GOOD = [
    HEADER,
    ["N0001", "成都新客户一", "91350100M000100Y43", "J66", "510104", "600", "1000.50", "在网"],
    ["N0002", "成都新客户二", "", "", "510107", "10", "0", "active"],
]
BAD_USCC = "91350100M000100Y44"
FORMULA_NAME = '=HYPERLINK("http://example.com","点我")'
# Line 2 good; line 3 a bad USCC; line 4 a formula for a name (harmless to the importer) and an unknown region.
WITH_ERRORS = [
    HEADER,
    ["N0001", "成都新客户一", "91350100M000100Y43", "J66", "510104", "600", "1000.50", "在网"],
    ["N0002", "成都新客户二", BAD_USCC, "", "510107", "10", "0", "active"],
    ["N0003", FORMULA_NAME, "", "", "999999", "5", "-5", "active"],
]


@pytest.fixture(autouse=True)
def _imports_dir(settings, tmp_path):
    settings.IMPORTS_DIR = str(tmp_path / "imports")


def upload(client, content: bytes, *, kind="customers", name="extract.csv", **fields):
    data = {"kind": kind, "file": SimpleUploadedFile(name, content), **fields}
    return client.post(URL, data, format="multipart")


def sichuan_run(api, cast, **fields):
    response = upload(api(cast["paul"]), csv_bytes(GOOD, "gb18030"), dry_run="true", **fields)
    assert response.status_code == 201, response.content
    return response.json()


# -- upload, preview, confirm ------------------------------------------------------------------------------------------


def test_dry_run_of_a_gb18030_csv_is_previewed_with_counts_and_writes_nothing(api, cast):
    body = sichuan_run(api, cast)
    assert body["status"] == "previewed", body["message"]
    assert (body["rows"], body["created"], body["updated"], body["unchanged"], body["removed"]) == (2, 2, 0, 0, 0)
    assert (body["errors_count"], body["errors"]) == (0, [])
    assert (body["kind"], body["mode"], body["dry_run"]) == ("customers", "upsert", True)
    assert (body["file_name"], body["file_format"], body["encoding"]) == ("extract.csv", "csv", "gb18030")
    assert body["size"] == len(csv_bytes(GOOD, "gb18030")) and len(body["sha256"]) == 64
    assert body["created_by"] == "paul"
    assert body["preview"]["tier_moves"] == 0 and body["progress"]["phase"] == "previewed"
    assert body["started_at"] and body["finished_at"] and body["duration"] >= 0
    assert not Customer.objects.filter(code__in=["N0001", "N0002"]).exists()


def test_confirm_writes_a_previewed_run_and_a_second_confirm_is_refused(api, cast):
    run = sichuan_run(api, cast)
    client = api(cast["paul"])
    response = client.post(f"{URL}{run['id']}/confirm/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["created"], body["updated"]) == ("done", 2, 0), body["message"]
    assert (run["dry_run"], body["dry_run"]) == (True, False)  # checked only at first, then written after all
    assert body["progress"]["phase"] == "done"
    assert Customer.objects.get(code="N0001").monthly_spend == 1000.50
    assert Customer.objects.filter(code="N0002").exists()

    again = client.post(f"{URL}{run['id']}/confirm/")
    assert again.status_code == 400
    assert "status" in again.json()
    assert Customer.objects.filter(code__in=["N0001", "N0002"]).count() == 2


def test_a_write_that_stops_is_answered_failed_and_can_be_confirmed_again(api, cast, monkeypatch):
    run = sichuan_run(api, cast)
    client = api(cast["paul"])

    def stops(*args, **kwargs):
        raise RuntimeError("the disk is full")

    with monkeypatch.context() as patched:
        patched.setattr(services, "_tiers", stops)
        response = client.post(f"{URL}{run['id']}/confirm/")
    assert response.status_code == 200
    assert response.json()["status"] == "failed" and "the disk is full" in response.json()["message"]
    assert not Customer.objects.filter(code="N0001").exists()
    again = client.post(f"{URL}{run['id']}/confirm/")
    assert again.status_code == 200
    assert (again.json()["status"], again.json()["created"]) == ("done", 2)
    assert Customer.objects.filter(code="N0001").exists()


def test_a_discarded_preview_drops_its_rows_unwritten_and_cannot_be_confirmed(api, cast):
    run = sichuan_run(api, cast)
    paul = cast["paul"]
    paul.first_name, paul.last_name = "娜", "李"
    paul.save()
    client = api(paul)
    response = client.post(f"{URL}{run['id']}/discard/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "discarded"
    assert body["message"] == "已由 李娜 放弃，未写入任何内容。"  # in the run's language, the name as Chinese reads it
    assert not services._staged(ImportRun.objects.get(pk=run["id"]))
    assert not Customer.objects.filter(code__in=["N0001", "N0002"]).exists()
    entry = AuditEntry.objects.get(object_type="imports.importrun", object_id=str(run["id"]))
    assert (entry.username, entry.detail["discarded"]) == ("paul", True)

    confirm = client.post(f"{URL}{run['id']}/confirm/")
    assert confirm.status_code == 400
    again = client.post(f"{URL}{run['id']}/discard/")
    assert again.status_code == 400
    assert "status" in again.json()
    assert not Customer.objects.filter(code__in=["N0001", "N0002"]).exists()


def test_a_written_run_cannot_be_discarded(api, cast):
    run = sichuan_run(api, cast)
    client = api(cast["paul"])
    assert client.post(f"{URL}{run['id']}/confirm/").json()["status"] == "done"
    response = client.post(f"{URL}{run['id']}/discard/")
    assert response.status_code == 400
    assert ImportRun.objects.get(pk=run["id"]).status == "done"
    assert Customer.objects.filter(code__in=["N0001", "N0002"]).count() == 2


def test_outsiders_and_anonymous_callers_cannot_discard(api, cast):
    run = sichuan_run(api, cast)
    assert api(cast["gd_paul"]).post(f"{URL}{run['id']}/discard/").status_code == 404
    assert api(cast["alice"]).post(f"{URL}{run['id']}/discard/").status_code == 404
    assert APIClient().post(f"{URL}{run['id']}/discard/").status_code == 401
    assert ImportRun.objects.get(pk=run["id"]).status == "previewed"


def test_an_upload_without_dry_run_writes_a_valid_file_at_once(api, cast):
    response = upload(api(cast["paul"]), csv_bytes(GOOD))
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["created"], body["dry_run"]) == ("done", 2, False), body["message"]
    assert Customer.objects.filter(code__in=["N0001", "N0002"]).count() == 2


def test_the_same_file_again_changes_nothing_and_names_the_first_import(api, cast):
    client = api(cast["paul"])
    first = upload(client, csv_bytes(GOOD)).json()
    second = upload(client, csv_bytes(GOOD)).json()
    assert (second["status"], second["created"], second["updated"], second["unchanged"]) == ("done", 0, 0, 2)
    assert second["same_as"] == first["id"]


def test_with_a_real_broker_the_upload_answers_validating_and_the_worker_checks_it(api, cast, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.import_check, "delay", lambda run_id, **kwargs: queued.append((run_id, kwargs)))
    response = upload(api(cast["paul"]), csv_bytes(GOOD), dry_run="true")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "validating"
    assert queued == [(body["id"], {"then": "preview"})]
    assert tasks.import_check(body["id"], then="preview") == "previewed"


def test_the_upload_is_kept_as_the_run_file_and_nothing_else_is_left_behind(api, cast, settings):
    body = sichuan_run(api, cast)
    run = ImportRun.objects.get(pk=body["id"])
    assert [path.name for path in Path(settings.IMPORTS_DIR).iterdir()] == [f"{run.pk}.csv"]
    assert Path(run.file_path).read_bytes() == csv_bytes(GOOD, "gb18030")


# -- errors ------------------------------------------------------------------------------------------------------------


def test_an_invalid_file_is_invalid_with_every_error_by_line_column_and_value(api, cast):
    response = upload(api(cast["paul"]), csv_bytes(WITH_ERRORS), dry_run="true")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "invalid"
    assert body["errors_count"] == 3
    errors = body["errors"]
    assert [(error["line"], error["column"], error["value"]) for error in errors] == [
        (3, "统一社会信用代码", BAD_USCC),
        (4, "区域", "999999"),
        (4, "月均消费", "-5"),
    ]
    assert all(error["message"] for error in errors)
    assert body["message"]
    assert not Customer.objects.filter(code__startswith="N000").exists()
    confirm = api(cast["paul"]).post(f"{URL}{body['id']}/confirm/")
    assert confirm.status_code == 400


def test_the_list_shows_runs_newest_first_without_their_errors(api, cast, django_assert_num_queries):
    first = sichuan_run(api, cast)
    second = upload(api(cast["paul"]), csv_bytes(WITH_ERRORS), dry_run="true").json()
    client = api(cast["paul"])
    # the token and its user, the user's territory, the count, the page of runs with their importers
    with django_assert_num_queries(4):
        body = client.get(URL).json()
    assert [run["id"] for run in body["results"]] == [second["id"], first["id"]]
    assert body["count"] == 2
    assert "errors" not in body["results"][0] and body["results"][0]["errors_count"] == 3


def error_file(client, run_id: int) -> tuple[bytes, list[list[str]]]:
    response = client.get(f"{URL}{run_id}/errors.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    content = b"".join(response.streaming_content)
    return content, list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_the_error_file_has_the_header_and_the_bad_rows_only_with_their_reasons(api, cast):
    body = upload(api(cast["paul"]), csv_bytes(WITH_ERRORS, "gb18030"), dry_run="true").json()
    content, rows = error_file(api(cast["paul"]), body["id"])
    assert content.startswith(b"\xef\xbb\xbf")
    assert rows[0] == [*HEADER, "错误原因"]
    assert [row[0] for row in rows[1:]] == ["N0002", "N0003"]  # line 2 is good: not in the error file
    line_3 = ImportIssue.objects.get(run_id=body["id"], line=3)
    assert rows[1][:-1] == WITH_ERRORS[2]
    assert rows[1][-1] == f"统一社会信用代码: {line_3.message}"
    line_4 = ImportIssue.objects.filter(run_id=body["id"], line=4).order_by("id")
    assert [issue.column for issue in line_4] == ["区域", "月均消费"]
    assert rows[2][-1] == "; ".join(f"{issue.column}: {issue.message}" for issue in line_4)
    # Would-be formulas are written as text.
    assert rows[2][1] == "'" + FORMULA_NAME
    assert rows[2][6] == "'-5"


def test_the_error_file_once_fixed_goes_in_as_it_is(api, cast):
    client = api(cast["paul"])
    body = upload(client, csv_bytes(WITH_ERRORS), dry_run="true").json()
    _content, rows = error_file(client, body["id"])
    fixed = [
        rows[0],
        [*rows[1][:2], "", *rows[1][3:]],
        [rows[2][0], "成都新客户三", "", "", "510703", "5", "5", *rows[2][7:]],
    ]
    assert fixed[1][-1] and fixed[2][-1]  # the reasons stay in their column
    response = upload(client, csv_bytes(fixed, "utf-8-sig"), name="extract-errors.csv")
    assert response.status_code == 201
    run = response.json()
    assert (run["status"], run["created"]) == ("done", 2), (run["message"], run["errors"])
    assert Customer.objects.get(code="N0003").name == "成都新客户三"


def test_the_error_file_of_a_bad_header_says_why_in_a_row_of_its_own(api, cast):
    rows = [["客户编码", "客户名称", "颜色"], ["N0001", "客户", "红"]]
    body = upload(api(cast["paul"]), csv_bytes(rows), dry_run="true").json()
    assert body["status"] == "invalid"
    assert [(error["line"], error["column"]) for error in body["errors"]] == [(1, "颜色")]
    _content, written = error_file(api(cast["paul"]), body["id"])
    assert written[0] == ["客户编码", "客户名称", "颜色", "错误原因"]
    assert written[1][:3] == ["", "", ""] and written[1][3].startswith("颜色: ")
    assert len(written) == 2


# -- templates ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_xlsx_template_has_the_headers_an_example_and_a_sheet_documenting_every_column(api, cast, kind):
    response = api(cast["paul"]).get(f"{URL}templates/{kind}.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert f"{kind}-template.xlsx" in response["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    columns = KINDS[kind].columns
    data, guide = workbook.worksheets
    assert guide.title == "说明"
    rows = list(data.iter_rows(values_only=True))
    assert list(rows[0]) == [column.label for column in columns]
    assert len(rows) == 2
    for column, value in zip(columns, rows[1], strict=True):
        if column.sql_type in ("integer", "numeric", "float"):
            assert float(value) == float(column.example), column.name
        else:
            assert (value or "") == column.example, column.name
    assert data.freeze_panes == "A2"
    assert all(data.column_dimensions[letter].width > 8 for letter in "ABC"[: len(columns)])
    documented = list(guide.iter_rows(min_row=2, max_row=len(columns) + 1, values_only=True))
    assert [(row[0], row[1], row[3]) for row in documented] == [
        (column.label, column.name, str(column.rule)) for column in columns
    ]
    assert [row[2] for row in documented] == ["是" if column.required else "否" for column in columns]


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_csv_template_is_utf8_with_bom_with_the_headers_and_the_example(api, cast, kind):
    response = api(cast["hq"]).get(f"{URL}templates/{kind}.csv")
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [
        [column.label for column in KINDS[kind].columns],
        [column.example for column in KINDS[kind].columns],
    ]


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_every_template_imports_as_it_is(api, cast, file_format):
    """The customers' example first: the other kinds' examples name its customer."""
    client = api(cast["paul"])
    for kind in ["customers", *(name for name in KINDS if name != "customers")]:
        template = client.get(f"{URL}templates/{kind}.{file_format}").content
        response = upload(client, template, kind=kind, name=f"template.{file_format}")
        assert response.status_code == 201
        body = response.json()
        assert (body["status"], body["created"]) == ("done", 1), (kind, body["message"], body["errors"])

    def example(kind: str, column: str) -> str:
        return KINDS[kind].column(column).example

    customer = Customer.objects.get(code=example("customers", "code"))
    assert (customer.region_id, customer.industry_id) == (
        example("customers", "region"),
        example("customers", "industry"),
    )
    assert customer.handset_count == int(example("customers", "handset_count"))
    assert DoNotCall.objects.filter(mobile=example("do_not_call", "mobile")).exists()
    assert KeyPerson.objects.filter(customer=customer, mobile=example("key_persons", "mobile")).exists()
    assert GroupMember.objects.filter(customer=customer, mobile=example("members", "mobile")).exists()
    assert CustomerProduct.objects.filter(customer=customer, product_id=example("holdings", "product")).exists()
    assert BillingPeriod.objects.filter(customer=customer).exists()


def test_an_unknown_kind_has_no_template(api, cast):
    assert api(cast["paul"]).get(f"{URL}templates/nothing.xlsx").status_code == 404
    assert api(cast["paul"]).get(f"{URL}templates/nothing.csv").status_code == 404


# -- who sees and who may ----------------------------------------------------------------------------------------------


def test_provincial_staff_of_another_province_do_not_see_the_run(api, cast):
    run = sichuan_run(api, cast)
    outsider = api(cast["gd_paul"])
    assert outsider.get(f"{URL}{run['id']}/").status_code == 404
    assert outsider.post(f"{URL}{run['id']}/confirm/").status_code == 404
    assert outsider.get(f"{URL}{run['id']}/errors.csv").status_code == 404
    assert outsider.get(URL).json()["count"] == 0
    assert not Customer.objects.filter(code="N0001").exists()


def test_headquarters_see_every_run(api, cast):
    run = sichuan_run(api, cast)
    assert api(cast["hq"]).get(f"{URL}{run['id']}/").status_code == 200
    assert api(cast["hq"]).get(URL).json()["count"] == 1


def test_an_account_manager_may_not_import_nor_see_a_run(api, cast):
    run = sichuan_run(api, cast)
    alice = api(cast["alice"])
    assert upload(alice, csv_bytes(GOOD)).status_code == 403
    assert alice.get(f"{URL}{run['id']}/").status_code == 404
    assert alice.post(f"{URL}{run['id']}/confirm/").status_code == 404
    assert alice.get(f"{URL}{run['id']}/errors.csv").status_code == 404
    assert alice.get(URL).json()["count"] == 0
    assert alice.get(f"{URL}templates/customers.xlsx").status_code == 403
    assert api(cast["dora"]).get(f"{URL}templates/customers.csv").status_code == 403
    assert ImportRun.objects.count() == 1


def test_anonymous_callers_are_refused(api, cast):
    run = sichuan_run(api, cast)
    anonymous = APIClient()
    assert upload(anonymous, csv_bytes(GOOD)).status_code == 401
    for url in (URL, f"{URL}{run['id']}/", f"{URL}{run['id']}/errors.csv", f"{URL}templates/customers.xlsx"):
        assert anonymous.get(url).status_code == 401, url
    assert anonymous.post(f"{URL}{run['id']}/confirm/").status_code == 401


# -- bad requests ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "nothing"}, "kind"),
        ({"mode": "merge"}, "mode"),
        ({"mode": "replace"}, "mode"),  # customers have no replace mode
        ({"dry_run": "perhaps"}, "dry_run"),
        ({"dry_run": ""}, "dry_run"),  # sent empty: neither yes nor no, not taken for "write it"
    ],
)
def test_a_bad_kind_or_mode_is_400_naming_the_field(api, cast, fields, field):
    response = upload(api(cast["paul"]), csv_bytes(GOOD), **fields)
    assert response.status_code == 400
    assert field in response.json()
    assert not ImportRun.objects.exists()


def test_a_missing_or_empty_file_is_400_naming_the_file(api, cast):
    client = api(cast["paul"])
    missing = client.post(URL, {"kind": "customers"}, format="multipart")
    assert missing.status_code == 400 and "file" in missing.json()
    empty = upload(client, b"")
    assert empty.status_code == 400 and "file" in empty.json()
    assert not ImportRun.objects.exists()


def test_a_file_over_the_limit_is_400_naming_the_file(api, cast, settings):
    settings.IMPORTS_MAX_BYTES = 100
    response = upload(api(cast["paul"]), csv_bytes(GOOD))
    assert response.status_code == 400
    assert "file" in response.json()
    assert not ImportRun.objects.exists()
    assert list(Path(settings.IMPORTS_DIR).iterdir()) == []


def test_the_schema_describes_the_import_endpoints(staff_client):
    paths = staff_client.get("/api/schema/", {"format": "json"}).json()["paths"]
    for path in (
        "/api/v1/imports/",
        "/api/v1/imports/{id}/",
        "/api/v1/imports/{id}/confirm/",
        "/api/v1/imports/{id}/errors.csv",
        "/api/v1/imports/templates/{kind}.xlsx",
        "/api/v1/imports/templates/{kind}.csv",
    ):
        assert path in paths, path


def test_an_unreachable_broker_fails_the_run_at_once_with_a_message(cast, api, settings, monkeypatch, tmp_path):
    from kombu.exceptions import OperationalError

    from imports import tasks

    settings.IMPORTS_DIR = str(tmp_path)

    def unreachable(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr(tasks.import_check, "delay", unreachable)
    upload = SimpleUploadedFile("c.csv", "code,name,region\r\nQ1,甲,510104\r\n".encode(), content_type="text/csv")
    response = api(cast["paul"]).post("/api/v1/imports/", {"kind": "customers", "file": upload}, format="multipart")
    assert response.status_code == 201
    assert response.json()["status"] == "failed"
    assert "job queue" in response.json()["message"] or "队列" in response.json()["message"]


def test_an_upload_declared_over_the_limit_is_refused_before_it_is_stored(api, cast, settings, tmp_path):
    settings.IMPORTS_MAX_BYTES = 1_000
    settings.IMPORTS_DIR = str(tmp_path / "imports")
    big = SimpleUploadedFile("big.csv", b"code,name,region\r\n" + b"Q1,x,510104\r\n" * 20_000, content_type="text/csv")
    response = api(cast["paul"]).post("/api/v1/imports/", {"kind": "customers", "file": big}, format="multipart")
    assert response.status_code == 400
    assert "1,000" in response.json()["file"][0]
    assert not ImportRun.objects.exists()
    assert not any((tmp_path / "imports").glob("*")) if (tmp_path / "imports").exists() else True
