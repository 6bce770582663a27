"""`manage.py import_customers FILE` (SPEC §8.3, §8.4): exit status 0 written (or valid with --dry-run), 1 the file
has errors, 2 a usage error; every error as `line N, column C: message`; progress on stderr, counts on stdout."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Customer
from imports.models import ImportRun

from .conftest import csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db

HEADER = ["客户编码", "客户名称", "统一社会信用代码", "行业", "区域", "手机数量", "月均消费", "状态"]
GOOD = [
    HEADER,
    ["N0001", "成都新客户一", "91350100M000100Y43", "J66", "510104", "600", "1000.50", "在网"],
    ["N0002", "成都新客户二", "", "", "510107", "10", "0", "active"],
]
BAD = [
    HEADER,
    ["N0001", "成都新客户一", "91350100M000100Y44", "J66", "510104", "600", "1000.50", "在网"],
    ["N0002", "成都新客户二", "", "", "999999", "ten", "0", "active"],
]


@pytest.fixture(autouse=True)
def _imports_dir(settings, tmp_path):
    settings.IMPORTS_DIR = str(tmp_path / "imports")


@pytest.fixture
def extract(tmp_path):
    def _write(rows, name="extract.csv", encoding="gb18030") -> Path:
        path = tmp_path / name
        if name.endswith(".xlsx"):
            xlsx_bytes(rows, path)
        else:
            path.write_bytes(csv_bytes(rows, encoding))
        return path

    return _write


def run_command(*args) -> tuple[int, str, str]:
    """The command's exit status, stdout and stderr, as `manage.py` would end."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_customers", *[str(arg) for arg in args], stdout=out, stderr=err)
    except CommandError as exc:
        err.write(f"CommandError: {exc}\n")
        return exc.returncode, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_a_valid_file_is_written_and_counted_with_progress_and_exit_0(cast, extract):
    path = extract(GOOD)
    original = path.read_bytes()
    status, out, err = run_command(path, "--user", "paul")
    assert status == 0, err
    run = ImportRun.objects.get()
    assert (run.status, run.created_by, run.created) == ("done", cast["paul"], 2)
    assert f"import {run.pk} done: 2 rows, 2 created, 0 updated, 0 unchanged, 0 removed" in out
    assert f"import {run.pk}: extract.csv" in err
    assert "done" in err.splitlines()[-1]  # the last phase the run reported
    assert Customer.objects.filter(code__in=["N0001", "N0002"]).count() == 2
    assert path.read_bytes() == original  # the operator's file is copied, never moved or changed


def test_without_a_user_it_is_the_operations_nation_wide_run(cast, territory, extract):
    status, _out, err = run_command(extract(GOOD, "extract.xlsx"))
    assert status == 0, err
    run = ImportRun.objects.get()
    assert (run.created_by, run.territory, run.file_format) == (None, territory["root"], "xlsx")
    assert Customer.objects.filter(code__in=["N0001", "N0002"]).count() == 2


def test_a_file_with_errors_prints_each_and_exits_1_writing_nothing(cast, extract):
    status, out, err = run_command(extract(BAD), "--user", "paul")
    assert status == 1
    run = ImportRun.objects.get()
    assert run.status == "invalid" and run.errors_count == 3
    issues = list(run.issues.order_by("line", "id").values_list("line", "column", "message"))
    printed = [line for line in err.splitlines() if line.startswith("line ")]
    assert printed == [f"line {line}, column {column}: {message}" for line, column, message in issues]
    assert [(line, column) for line, column, _message in issues] == [
        (2, "统一社会信用代码"),
        (3, "区域"),
        (3, "手机数量"),
    ]
    assert out == ""
    assert not Customer.objects.filter(code__in=["N0001", "N0002"]).exists()


def test_an_unreadable_file_says_why_and_exits_1(cast, extract, tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    status, _out, err = run_command(path, "--user", "paul")
    assert status == 1
    assert ".xls" in err


def test_a_dry_run_checks_and_previews_but_writes_nothing(cast, extract):
    status, out, err = run_command(extract(GOOD), "--user", "paul", "--dry-run")
    assert status == 0, err
    assert "previewed" in out and "2 created" in out
    assert ImportRun.objects.get().status == "previewed"
    assert not Customer.objects.filter(code__in=["N0001", "N0002"]).exists()


def test_a_dry_run_of_a_bad_file_exits_1(cast, extract):
    status, _out, err = run_command(extract(BAD), "--user", "paul", "--dry-run")
    assert status == 1
    assert "line 2, column 统一社会信用代码: " in err


def test_the_same_file_twice_changes_nothing_the_second_time(cast, extract):
    path = extract(GOOD)
    assert run_command(path, "--user", "paul")[0] == 0
    before = list(Customer.objects.order_by("code").values())
    status, out, err = run_command(path, "--user", "paul")
    assert status == 0, err
    first, second = ImportRun.objects.order_by("id")
    assert (second.created, second.updated, second.unchanged) == (0, 0, 2)
    assert "0 created, 0 updated, 2 unchanged" in out and f"the same file as import {first.pk}" in out
    assert list(Customer.objects.order_by("code").values()) == before


def test_replace_mode_for_members_removes_who_is_no_longer_listed(cast, customers, extract):
    members = [
        ["customer", "mobile", "name", "arpu"],
        ["CD0001", "13800000001", "甲", "100"],
        ["CD0001", "13800000002", "乙", "50"],
    ]
    assert run_command(extract(members, "members.csv"), "--kind", "members", "--user", "paul")[0] == 0
    status, out, _err = run_command(
        extract(members[:2], "members-2.csv"), "--kind", "members", "--mode", "replace", "--user", "paul"
    )
    assert status == 0
    assert "1 unchanged, 1 removed" in out


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--kind", "nothing"], "Unknown kind"),
        (["--mode", "merge"], "Unknown mode"),
        (["--mode", "replace"], "mode"),  # customers have no replace mode
        (["--user", "nobody"], "No user named nobody"),
        (["--user", "alice"], "may not import"),
        (["--user", "dora"], "may not import"),
    ],
)
def test_usage_errors_exit_2_and_record_nothing(cast, extract, args, says):
    status, _out, err = run_command(extract(GOOD), *args)
    assert status == 2
    assert says in err
    assert not ImportRun.objects.exists()
    assert list(Path(django_settings.IMPORTS_DIR).glob("upload-*")) == []


def test_a_missing_file_exits_2(cast, tmp_path):
    status, _out, err = run_command(tmp_path / "nowhere.csv")
    assert status == 2
    assert "No such file" in err
    status, _out, err = run_command(tmp_path)  # there, but a directory: not a file to import
    assert status == 2
    assert "Not a regular file" in err


def test_manage_py_ends_with_the_status(tmp_path):
    """As the shell sees it: a usage error ends the process with status 2."""
    path = tmp_path / "extract.csv"
    path.write_bytes(csv_bytes(GOOD))
    manage = Path(django_settings.BASE_DIR) / "manage.py"
    done = subprocess.run(
        [sys.executable, str(manage), "import_customers", str(path), "--kind", "nothing"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "Unknown kind nothing" in done.stderr
