"""An import's writes in the audit trail (issue 16, point 6): the run, each row created, and each row changed with
its fields' old and new values, written set-based, through the channel `import`, as the importing user's."""

from __future__ import annotations

import pytest

from crm.models import AuditEntry

from .test_command import GOOD, HEADER, run_command

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _imports_dir(settings, tmp_path):
    settings.IMPORTS_DIR = str(tmp_path / "imports")


@pytest.fixture
def extract(tmp_path):
    from .conftest import csv_bytes

    def _write(rows, name: str) -> str:
        path = tmp_path / name
        path.write_bytes(csv_bytes(rows, "utf-8"))
        return str(path)

    return _write


def test_an_import_records_its_run_each_row_created_and_each_field_changed(cast, extract):
    assert run_command(extract(GOOD, "first.csv"), "--user", "paul")[0] == 0
    created = AuditEntry.objects.filter(action="create", object_type="accounts.customer")
    assert sorted(created.values_list("customer_code", flat=True)) == ["N0001", "N0002"]
    assert {(entry.source, entry.username) for entry in created} == {("import", "paul")}
    changed_rows = [HEADER, GOOD[1][:5] + ["650", "1000.50", "在网"], GOOD[2]]
    assert run_command(extract(changed_rows, "second.csv"), "--user", "paul")[0] == 0
    (changed,) = AuditEntry.objects.filter(action="update", object_type="accounts.customer", customer_code="N0001")
    assert changed.changes == {"handset_count": [600, 650]}  # the row's other fields did not change
    assert (changed.source, changed.username, changed.region_path) == ("import", "paul", "000000/510000/510100/510104/")
    assert not AuditEntry.objects.filter(action="update", customer_code="N0002", object_type="accounts.customer")
    runs = AuditEntry.objects.filter(action="run", object_type="imports.importrun")
    assert [entry.detail["updated"] for entry in runs.order_by("at", "id")] == [0, 1]
