"""The import pages (SPEC §8.4): upload, the run page in each of its states, confirm, and who may see what."""

from __future__ import annotations

import datetime
import importlib

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Customer, GroupMember
from crm import jobboard as crm_jobboard
from crm.celery import app as celery_app
from imports import jobboard
from imports.extensions import written_runs
from imports.models import ImportRun, ImportStatus
from imports.services import import_run_create
from tests.factories import CustomerFactory

from .conftest import csv_bytes

HEADER = ["客户编码", "客户名称", "统一社会信用代码", "行业", "区域", "手机数量", "月均消费"]
GOOD = [
    HEADER,
    ["N0001", "新客户一", "91350100M000100Y43", "J66", "510104", "600", "1000.50"],
    ["N0002", "新客户二", "", "", "510107", "10", "0"],
]
BAD_USCC = [GOOD[0], GOOD[1][:2] + ["91350100M000100Y44"] + GOOD[1][3:], GOOD[2]]


@pytest.fixture(autouse=True)
def _imports_here(settings, tmp_path, monkeypatch):
    settings.IMPORTS_DIR = str(tmp_path / "imports")
    # The pages hand the work to Celery; here it runs in the request, whatever broker the environment names.
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)


def upload(client, rows, *, kind="customers", mode="upsert", name="customers.csv", encoding="gb18030"):
    data = {"kind": kind, "mode": mode, "file": SimpleUploadedFile(name, csv_bytes(rows, encoding))}
    return client.post(reverse("imports:imports"), data)


@pytest.fixture
def sichuan_run(cast, run_file):
    """A run of paul's (Sichuan), checked and waiting for its confirmation."""
    return run_file(cast["paul"], "customers", csv_bytes(GOOD, "gb18030"))


# -- who may see what -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "status"), [("paul", 200), ("gd_paul", 200), ("hq", 200), ("alice", 403)])
def test_imports_page_is_for_provincial_staff_and_headquarters(cast, login, who, status):
    response = login(cast[who]).get(reverse("imports:imports"))
    assert response.status_code == status
    if status == 403:
        assert "只有省公司人员和集团总部可以导入文件。" in response.content.decode()


def test_imports_page_sends_anonymous_to_login(client, db):
    response = client.get(reverse("imports:imports"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(("who", "status"), [("paul", 200), ("hq", 200), ("gd_paul", 404), ("alice", 404)])
def test_run_page_shows_a_run_only_to_those_who_see_it(cast, login, sichuan_run, who, status):
    response = login(cast[who]).get(reverse("imports:run", args=[sichuan_run.pk]))
    assert response.status_code == status


def test_run_page_and_confirm_send_anonymous_to_login(client, sichuan_run):
    for response in (
        client.get(reverse("imports:run", args=[sichuan_run.pk])),
        client.post(reverse("imports:confirm", args=[sichuan_run.pk])),
    ):
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("who", ["gd_paul", "alice"])
def test_outsiders_cannot_confirm_a_run(cast, login, sichuan_run, who):
    response = login(cast[who]).post(reverse("imports:confirm", args=[sichuan_run.pk]))
    assert response.status_code == 404
    sichuan_run.refresh_from_db()
    assert sichuan_run.status == ImportStatus.PREVIEWED
    assert not Customer.objects.filter(code__in=["N0001", "N0002"]).exists()


def test_history_lists_only_the_runs_the_user_sees(cast, login, sichuan_run):
    paul_page = login(cast["paul"]).get(reverse("imports:imports")).content.decode()
    assert reverse("imports:run", args=[sichuan_run.pk]) in paul_page
    gd_page = login(cast["gd_paul"]).get(reverse("imports:imports")).content.decode()
    assert reverse("imports:run", args=[sichuan_run.pk]) not in gd_page
    assert login(cast["hq"]).get(reverse("imports:imports")).context["page"].paginator.count == 1


def test_history_reads_a_page_of_runs_in_a_fixed_number_of_queries(cast, login, run_file, django_assert_num_queries):
    for _ in range(3):
        run_file(cast["paul"], "customers", csv_bytes(BAD_USCC, "gb18030"))
    client = login(cast["paul"])
    client.get(reverse("imports:imports"))  # the session's first read
    # session, user (with their region and unread notifications), count, the page of runs with their importers
    with django_assert_num_queries(4):
        response = client.get(reverse("imports:imports"))
    assert len(response.context["page"]) == 3


def test_navigation_offers_imports_to_those_who_may_import(cast, login):
    assert 'data-testid="nav-imports"' in login(cast["paul"]).get(reverse("accounts:customer-list")).content.decode()
    assert (
        'data-testid="nav-imports"' not in login(cast["alice"]).get(reverse("accounts:customer-list")).content.decode()
    )


# -- upload ---------------------------------------------------------------------------------------------------------


def test_upload_of_a_file_with_a_bad_uscc_names_the_line_and_writes_nothing(cast, login):
    client = login(cast["paul"])
    response = upload(client, BAD_USCC)
    run = ImportRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("imports:run", args=[run.pk])
    # the page previews every file and writes it on its user's confirm: not a check only
    assert (run.dry_run, run.file_name, run.created_by) == (False, "customers.csv", cast["paul"])
    page = client.get(response["Location"])
    assert page.context["run"].status == ImportStatus.INVALID
    issues = list(page.context["issues"])
    assert [(issue.line, issue.column, issue.value) for issue in issues] == [
        (2, "统一社会信用代码", "91350100M000100Y44")
    ]
    html = page.content.decode()
    assert "91350100M000100Y44" in html and "统一社会信用代码" in html
    assert f"/api/v1/imports/{run.pk}/errors.csv" in html
    assert 'data-testid="confirm"' not in html
    assert not Customer.objects.filter(code__in=["N0001", "N0002"]).exists()


def test_upload_then_confirm_writes_and_shows_the_outcome(cast, login):
    client = login(cast["paul"])
    run_url = upload(client, GOOD)["Location"]
    page = client.get(run_url)
    run = page.context["run"]
    assert run.status == ImportStatus.PREVIEWED and (run.created, run.updated) == (2, 0)
    assert run.encoding == "gb18030" and run.file_format == "csv"
    html = page.content.decode()
    assert 'data-testid="count-created">2<' in html and reverse("imports:confirm", args=[run.pk]) in html
    # the tiers the new customers will get, before anything is written: every new customer in one of them
    assert sum(run.preview["new_tiers"].values()) == 2 and run.preview["new_tiers"].get("A") == 1
    assert 'data-testid="new-tiers">新客户将获得的等级' in html
    assert not Customer.objects.filter(code__in=["N0001", "N0002"]).exists()
    # on the jobs page the preview waits for its confirm; nothing is written yet for the KPIs to predate
    assert jobboard._status(run) == crm_jobboard.WAITING
    assert not written_runs(region=run.territory)[2].exists()

    response = client.post(reverse("imports:confirm", args=[run.pk]))
    assert response.status_code == 302 and response["Location"] == f"{run_url}?confirmed=1"
    run.refresh_from_db()
    assert run.status == ImportStatus.DONE
    assert jobboard._status(run) == crm_jobboard.SUCCEEDED
    assert list(written_runs(region=run.territory)[2]) == [run]  # the dashboard says its figures predate it
    assert Customer.objects.get(code="N0001").tier == "A"
    done = client.get(run_url).content.decode()
    assert 'data-testid="done"' in done and reverse("accounts:customer-list") in done


def test_a_written_run_links_to_the_customers_it_created_and_nothing_else(cast, login, territory):
    before = CustomerFactory(code="OLD001", region=territory["jinjiang"])
    client = login(cast["paul"])
    first_url = upload(client, GOOD)["Location"]
    first = ImportRun.objects.get()
    client.post(reverse("imports:confirm", args=[first.pk]))
    # a second file changes one of them and the customer that was there before, and creates one more
    second_rows = [
        HEADER,
        ["N0001", "新客户一（改名）", "91350100M000100Y43", "J66", "510104", "600", "1000.50"],
        ["OLD001", before.name, before.uscc, "C39", "510104", "130", "5000.00"],
        ["N0003", "新客户三", "", "", "510107", "10", "0"],
    ]
    second_url = upload(client, second_rows, name="second.csv")["Location"]
    second = ImportRun.objects.get(file_name="second.csv")
    client.post(reverse("imports:confirm", args=[second.pk]))
    second.refresh_from_db()
    assert (second.status, second.created, second.updated) == (ImportStatus.DONE, 1, 2)

    listed = reverse("accounts:customer-list")
    for run_url, run, codes in ((first_url, first, ["N0001", "N0002"]), (second_url, second, ["N0003"])):
        done = client.get(run_url).content.decode()
        link = f'href="{listed}?imported={run.pk}" data-testid="new-customers">查看新增的 {len(codes)} 个客户及其分级<'
        assert link in done
        page = client.get(listed, {"imported": run.pk})
        assert [customer.code for customer in page.context["page"]] == codes
        html = page.content.decode()
        assert f'data-testid="filter-chip">导入新增 #{run.pk}' in html
        # the chip's × leaves the other filters, and the hidden field keeps the import when another is added
        assert f'type="hidden" name="imported" value="{run.pk}"' in html
        narrowed = client.get(listed, {"imported": run.pk, "tier": "A"})
        assert [customer.code for customer in narrowed.context["page"]] == [c for c in codes if c == "N0001"]
        assert 'href="?tier=A"' in narrowed.content.decode()
    # a run that created nobody offers no such link
    again_url = upload(client, second_rows, name="again.csv")["Location"]
    client.post(reverse("imports:confirm", args=[ImportRun.objects.get(file_name="again.csv").pk]))
    assert 'data-testid="new-customers"' not in client.get(again_url).content.decode()


def test_the_new_customers_of_an_import_are_the_readers_own(cast, login, api, client, run_file):
    run = run_file(cast["paul"], "customers", csv_bytes(GOOD, "gb18030"), then="write")
    assert run.status == ImportStatus.DONE and run.created == 2
    listed = reverse("accounts:customer-list")
    # headquarters see every import; the API's list takes the same filter
    answer = api(cast["hq"]).get("/api/v1/customers/", {"imported": run.pk})
    assert answer.status_code == 200 and sorted(row["code"] for row in answer.json()["results"]) == ["N0001", "N0002"]
    # an account manager sees no import, another province's staff not Sichuan's: the field says so, nothing listed
    for who in ("alice", "gd_paul"):
        page = login(cast[who]).get(listed, {"imported": run.pk})
        assert page.status_code == 200 and list(page.context["page"]) == []
        error = f"编号 {run.pk} 不是您可查看的、已写入的客户导入。"
        assert f'data-testid="filter-chip-error">{error}<' in page.content.decode()
    bad = api(cast["paul"]).get("/api/v1/customers/", {"imported": "twelve"})
    assert bad.status_code == 400 and "imported" in bad.json()
    anonymous = client.get(listed, {"imported": run.pk})
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("login"))


def test_runs_written_before_keep_the_moment_of_their_customers(cast, territory, run_file):
    """The migration that made `written_at` the rows' moment gives the runs written before it the moment most of
    the customers created within their time carry."""
    from django.apps import apps

    migration = importlib.import_module("imports.migrations.0003_written_at_is_the_rows_moment")
    run = run_file(cast["paul"], "customers", csv_bytes(GOOD, "gb18030"), then="write")
    moment = run.written_at
    assert set(Customer.objects.filter(created_at=moment).values_list("code", flat=True)) == {"N0001", "N0002"}
    # as a run of before: the moment its write ended, a customer filed by hand during it
    ended = moment + datetime.timedelta(seconds=3)
    by_hand = CustomerFactory(code="HAND01", region=territory["jinjiang"])
    Customer.objects.filter(pk=by_hand.pk).update(created_at=moment + datetime.timedelta(seconds=1))
    ImportRun.objects.filter(pk=run.pk).update(written_at=ended)
    migration.stamp_written_runs(apps, None)
    run.refresh_from_db()
    assert run.written_at == moment


def test_confirming_an_invalid_run_is_refused_with_a_message(cast, login):
    client = login(cast["paul"])
    run_url = upload(client, BAD_USCC)["Location"]
    run = ImportRun.objects.get()
    response = client.post(reverse("imports:confirm", args=[run.pk]), follow=True)
    assert response.redirect_chain == [(run_url, 302)]
    assert 'data-testid="invalid"' in response.content.decode()
    assert any("只有已校验通过且尚未写入的导入才能确认" in str(message) for message in response.context["messages"])
    run.refresh_from_db()
    assert run.status == ImportStatus.INVALID
    assert not Customer.objects.filter(code__in=["N0001", "N0002"]).exists()


def test_a_second_upload_of_a_written_file_says_so_and_changes_nothing(cast, login):
    client = login(cast["paul"])
    first = ImportRun.objects.get(pk=int(upload(client, GOOD)["Location"].rstrip("/").split("/")[-1]))
    client.post(reverse("imports:confirm", args=[first.pk]))
    page = client.get(upload(client, GOOD)["Location"])
    run = page.context["run"]
    assert run.same_as == first and (run.created, run.updated, run.unchanged) == (0, 0, 2)
    assert 'data-testid="same-file"' in page.content.decode()


def test_replace_mode_states_the_members_that_will_leave(cast, login, customers):
    client = login(cast["paul"])
    GroupMember.objects.create(customer=customers["alice"], mobile="13800000002", name="乙")
    rows = [["customer", "mobile", "name", "arpu"], ["CD0001", "13800000001", "甲", "10"]]
    page = client.get(
        upload(client, rows, kind="members", mode="replace", name="members.csv", encoding="utf-8")["Location"]
    )
    assert page.context["run"].status == ImportStatus.PREVIEWED
    assert page.context["removal"] == "将有 1 名成员标记为已离开。"
    assert GroupMember.objects.get(mobile="13800000002").left_on is None


@pytest.mark.parametrize(("language", "message"), [("zh-hans", "该字段是必填项。"), ("en", "This field is required.")])
def test_a_missing_file_is_named_next_to_the_field_in_the_users_language(cast, login, language, message):
    client = login(cast["paul"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.post(reverse("imports:imports"), {"kind": "customers", "mode": "upsert"})
    assert response.status_code == 400
    assert response.context["form"].errors == {"file": [message]}
    assert f'<div class="invalid-feedback d-block" data-field="file">{message}</div>' in response.content.decode()


def test_the_service_refusal_is_shown_on_its_field_and_nothing_is_kept(cast, login, tmp_path):
    client = login(cast["paul"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = upload(client, GOOD, mode="replace")
    assert response.status_code == 400
    assert response.context["form"].errors == {"mode": ["Replace mode is for key persons, members and holdings only."]}
    assert 'data-field="mode"' in response.content.decode()
    assert not ImportRun.objects.exists()
    assert not any((tmp_path / "imports").iterdir())


def test_a_file_that_is_neither_csv_nor_xlsx_is_refused_at_once(cast, login):
    response = upload(login(cast["paul"]), GOOD, name="customers.xls")
    assert response.status_code == 400 and list(response.context["form"].errors) == ["file"]
    assert not ImportRun.objects.exists()


# -- the run page in its other states -------------------------------------------------------------------------------


def test_a_run_at_work_shows_its_progress_and_follows_it(cast, login, tmp_path):
    upload_path = tmp_path / "waiting.csv"
    upload_path.write_bytes(csv_bytes(GOOD))
    run = import_run_create(user=cast["paul"], kind="customers", file_name="waiting.csv", path=upload_path)
    html = login(cast["paul"]).get(reverse("imports:run", args=[run.pk])).content.decode()
    assert "data-import-progress" in html and f'data-url="/api/v1/imports/{run.pk}/"' in html
    assert "js/import-progress.js" in html and 'id="import-progress-texts"' in html


def test_a_confirmed_run_waiting_for_a_worker_is_followed_not_offered_again(cast, login, sichuan_run):
    html = login(cast["paul"]).get(reverse("imports:run", args=[sichuan_run.pk]) + "?confirmed=1").content.decode()
    assert "data-import-progress" in html and 'data-status="previewed"' in html
    assert 'data-testid="confirm"' not in html


def test_a_failed_write_can_be_confirmed_again(cast, login, sichuan_run):
    ImportRun.objects.filter(pk=sichuan_run.pk).update(status=ImportStatus.FAILED, message="The worker stopped.")
    client = login(cast["paul"])
    page = client.get(reverse("imports:run", args=[sichuan_run.pk]))
    assert page.context["retryable"] and 'data-testid="confirm"' in page.content.decode()
    client.post(reverse("imports:confirm", args=[sichuan_run.pk]))
    sichuan_run.refresh_from_db()
    assert sichuan_run.status == ImportStatus.DONE
    assert Customer.objects.filter(code__in=["N0001", "N0002"]).count() == 2


def test_a_preview_can_be_discarded_from_its_page(cast, login, sichuan_run):
    client = login(cast["paul"])
    page = client.get(reverse("imports:run", args=[sichuan_run.pk])).content.decode()
    assert 'data-testid="discard"' in page
    assert "如未在 3 天内确认，将被放弃。" in page
    response = client.post(reverse("imports:discard", args=[sichuan_run.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("imports:run", args=[sichuan_run.pk])
    sichuan_run.refresh_from_db()
    assert sichuan_run.status == ImportStatus.DISCARDED
    html = client.get(reverse("imports:run", args=[sichuan_run.pk])).content.decode()
    assert 'data-testid="discarded"' in html and "已放弃" in html and sichuan_run.message in html
    assert 'data-testid="confirm"' not in html and 'data-testid="discard"' not in html
    assert not Customer.objects.filter(code__in=["N0001", "N0002"]).exists()
    refused = client.post(reverse("imports:discard", args=[sichuan_run.pk]), follow=True).content.decode()
    assert "只有已检查、尚未写入的导入可以放弃；此导入的状态为已放弃。" in refused


def test_a_failed_write_can_be_discarded_instead_of_confirmed_again(cast, login, sichuan_run):
    ImportRun.objects.filter(pk=sichuan_run.pk).update(status=ImportStatus.FAILED, message="The worker stopped.")
    client = login(cast["paul"])
    assert 'data-testid="discard"' in client.get(reverse("imports:run", args=[sichuan_run.pk])).content.decode()
    client.post(reverse("imports:discard", args=[sichuan_run.pk]))
    sichuan_run.refresh_from_db()
    assert sichuan_run.status == ImportStatus.DISCARDED


@pytest.mark.parametrize("who", ["gd_paul", "alice"])
def test_outsiders_cannot_discard_a_run(cast, login, client, sichuan_run, who):
    assert login(cast[who]).post(reverse("imports:discard", args=[sichuan_run.pk])).status_code == 404
    anonymous = client.post(reverse("imports:discard", args=[sichuan_run.pk]))
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("login"))
    sichuan_run.refresh_from_db()
    assert sichuan_run.status == ImportStatus.PREVIEWED


def test_a_run_whose_file_changed_nothing_says_so(cast, login, run_file):
    assert run_file(cast["paul"], "customers", csv_bytes(GOOD, "gb18030"), then="write").status == ImportStatus.DONE
    again = run_file(cast["paul"], "customers", csv_bytes(GOOD, "gb18030"), then="write")
    assert again.status == ImportStatus.DONE and again.message
    html = login(cast["paul"]).get(reverse("imports:run", args=[again.pk])).content.decode()
    assert 'data-testid="message"' in html and again.message in html


def test_an_upload_declared_over_the_limit_is_refused_on_the_form(cast, login, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.IMPORTS_MAX_BYTES = 1_000
    big = SimpleUploadedFile("big.csv", b"code,name,region\r\n" + b"Q1,x,510104\r\n" * 20_000, content_type="text/csv")
    response = login(cast["paul"]).post(
        reverse("imports:imports"), {"kind": "customers", "mode": "upsert", "file": big}
    )
    assert response.status_code == 400
    assert "1,000" in response.content.decode()
    assert not ImportRun.objects.exists()


def test_a_written_run_says_how_long_the_write_took_without_the_wait_before_it(cast, login):
    from imports.views import duration_text

    client = login(cast["paul"])
    run = ImportRun.objects.get(pk=int(upload(client, GOOD)["Location"].rstrip("/").split("/")[-1]))
    client.post(reverse("imports:confirm", args=[run.pk]))
    ImportRun.objects.filter(pk=run.pk).update(check_seconds=600)  # as if the check had taken ten minutes
    run.refresh_from_db()
    page = client.get(reverse("imports:run", args=[run.pk]))
    assert run.write_seconds is not None
    assert page.context["write_duration"] == duration_text(run.write_seconds)
