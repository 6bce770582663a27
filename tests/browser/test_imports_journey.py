"""Provincial staff of Sichuan import a BOSS customer extract in GB18030: the bad USCC is named by line and column
and nothing is written; the fixed file is previewed, confirmed, and the new customers have their tiers (SPEC §8.4)."""

from __future__ import annotations

import csv
import io

import pytest

from accounts.models import Customer
from crm.celery import app as celery_app
from imports.models import ImportRun, ImportStatus
from imports.services import import_run_check, import_run_create
from tiering.services import tiers_apply

from .test_customer_journey import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADER = ["客户编码", "客户名称", "统一社会信用代码", "行业", "区域", "手机数量", "月均消费"]
FIXED = [
    HEADER,
    ["N0001", "锦江新材料有限公司", "91350100M000100Y43", "J66", "510104", "600", "1000.50"],
    ["N0002", "武侯示范物流有限公司", "", "", "510107", "10", "0"],
]
BAD = [FIXED[0], FIXED[1], FIXED[2][:2] + ["91350100M000100Y44"] + FIXED[2][3:]]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def gb18030_csv(rows, path):
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode("gb18030"))
    return path


@pytest.fixture(autouse=True)
def _imports_here(settings, tmp_path, monkeypatch):
    settings.IMPORTS_DIR = str(tmp_path / "imports")
    # The pages hand the check and the write to Celery; here they run in the request, whatever broker CI has set.
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)


def upload(page, path):
    page.select_option("#id_kind", "customers")
    page.select_option("#id_mode", "upsert")
    page.set_input_files("#id_file", str(path))
    page.click("[data-testid=upload]")
    page.wait_for_url("**/imports/*/")


def fits_the_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 390


def test_provincial_staff_import_a_customer_extract(browser, live_server, customers, screenshot, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    log_in(page, live_server, "paul")

    page.click("[data-testid=nav-manage]")
    page.click("[data-testid=nav-imports]")
    page.wait_for_url(f"{live_server.url}/imports/")
    template = page.locator("[data-testid=template-customers-xlsx]")
    assert template.get_attribute("href") == "/api/v1/imports/templates/customers.xlsx"
    screenshot(page, "imports")

    upload(page, gb18030_csv(BAD, tmp_path / "客户.csv"))
    assert page.locator("[data-testid=status]").get_attribute("data-status") == "invalid"
    (issue,) = page.locator("[data-testid=issues] tbody tr").all()
    cells = [cell.inner_text() for cell in issue.locator("td").all()]
    assert cells[:3] == ["3", "统一社会信用代码", "91350100M000100Y44"]
    run_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    assert page.locator("[data-testid=error-file]").get_attribute("href") == f"/api/v1/imports/{run_id}/errors.csv"
    assert not Customer.objects.filter(code__in=["N0001", "N0002"]).exists()
    invalid_url = page.url
    screenshot(page, "import-invalid")

    page.goto(f"{live_server.url}/imports/")
    upload(page, gb18030_csv(FIXED, tmp_path / "客户-改.csv"))
    assert page.locator("[data-testid=status]").get_attribute("data-status") == "previewed"
    assert page.locator("[data-testid=count-created]").inner_text() == "2"
    assert page.locator("[data-testid=count-updated]").inner_text() == "0"
    assert not Customer.objects.filter(code__in=["N0001", "N0002"]).exists()
    preview_url = page.url
    screenshot(page, "import-preview")

    page.click("[data-testid=confirm]")
    page.wait_for_url(f"{preview_url}?confirmed=1")
    assert page.locator("[data-testid=status]").get_attribute("data-status") == "done"
    assert page.locator("[data-testid=done] [data-testid=count-created]").inner_text() == "2"
    screenshot(page, "import-done")

    page.click("[data-testid=customer-list]")
    page.wait_for_url(f"{live_server.url}/customers/")
    page.goto(f"{live_server.url}/customers/N0001/")
    assert page.locator("[data-testid=tier] .tier").inner_text() == "A"
    assert "手机数量 600 ≥ 500" in page.locator("[data-testid=tier-reasons]").inner_text()
    context.close()

    # The same pages on a phone: nothing wider than the screen.
    phone = browser.new_context(locale="zh-CN", **PHONE)
    page = phone.new_page()
    log_in(page, live_server, "paul")
    for url, name in ((f"{live_server.url}/imports/", "imports-phone"), (invalid_url, "import-invalid-phone")):
        page.goto(url)
        assert fits_the_phone(page), name
        screenshot(page, name)
    phone.close()


def test_preview_on_a_phone_names_the_tier_movers(browser, live_server, customers, screenshot, tmp_path, cast):
    tiers_apply(customers=Customer.objects.all(), source="manual")
    before = Customer.objects.get(code="CD0001").tier
    rows = [["客户编码", "手机数量"], ["CD0001", "600"]]
    run = import_run_create(
        user=cast["paul"],
        kind="customers",
        file_name="手机数量.csv",
        path=gb18030_csv(rows, tmp_path / "a.csv"),
        dry_run=True,
    )
    import_run_check(run, then="preview")
    phone = browser.new_context(locale="zh-CN", **PHONE)
    page = phone.new_page()
    log_in(page, live_server, "paul")
    page.goto(f"{live_server.url}/imports/{run.pk}/")
    assert page.locator("[data-testid=count-updated]").inner_text() == "1"
    mover = page.locator("[data-testid=movers] tbody tr")
    assert mover.count() == 1 and mover.locator("td").first.inner_text() == "CD0001"
    assert [tier.inner_text() for tier in mover.locator(".tier").all()] == [before, "A"]
    assert fits_the_phone(page)
    screenshot(page, "import-preview-phone")
    phone.close()
    assert Customer.objects.get(code="CD0001").handset_count == 120


def test_the_run_page_follows_a_run_at_work(browser, live_server, customers, tmp_path, cast):
    """The page of a run being checked polls the API and reloads itself when the run's status changes."""
    run = import_run_create(
        user=cast["paul"], kind="customers", file_name="客户.csv", path=gb18030_csv(FIXED, tmp_path / "客户.csv")
    )
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    log_in(page, live_server, "paul")
    page.goto(f"{live_server.url}/imports/{run.pk}/")
    assert page.locator("[data-testid=progress]").is_visible()
    import_run_check(ImportRun.objects.get(pk=run.pk), then="preview")
    page.locator("[data-testid=preview]").wait_for(timeout=20_000)
    assert page.locator("[data-testid=status]").get_attribute("data-status") == ImportStatus.PREVIEWED
    context.close()


def test_the_customers_template_downloads_as_xlsx(browser, live_server, customers):
    """The template link of the imports page gives an Excel workbook (the API's `templates/customers.xlsx`)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    log_in(page, live_server, "paul")
    page.goto(f"{live_server.url}/imports/")
    with page.expect_download() as download:
        page.click("[data-testid=template-customers-xlsx]")
    with open(download.value.path(), "rb") as file:
        assert file.read(4) == b"PK\x03\x04"
    assert download.value.suggested_filename.endswith(".xlsx")
    context.close()
