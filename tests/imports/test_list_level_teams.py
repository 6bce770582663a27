"""The customers import decides who changes a national- or provincial-list customer (or a branch of such a group)
exactly as the API does (`accounts.keep_listed_customer`, issue 21): by the importer's territory and by their
place on the account teams of the customer and of the listed customers above it — a member of a national group's
account team imports its branches, a colleague off the team is refused, the line named."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import Customer
from imports.models import ImportIssue
from tests.factories import CustomerFactory, TeamRoleFactory, UserFactory

from .conftest import csv_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def national(customers, territory):
    group = CustomerFactory(code="NAT001", name="全国集团", region=territory["jinjiang"], list_level="national")
    CustomerFactory(code="NAT002", name="全国集团分公司", region=territory["wuhou"], parent=group)
    return group


@pytest.fixture
def member(national, customers, territory):
    """Provincial staff of Sichuan on the national group's account team, and on CD0001's."""
    user = UserFactory(username="paula", role="provincial_staff", region=territory["sichuan"])
    TeamRoleFactory(customer=national, user=user, role="second_manager")
    TeamRoleFactory(customer=customers["alice"], user=user, role="second_manager")
    return user


def _issues(run) -> list[tuple[int, str, str]]:
    return list(ImportIssue.objects.filter(run=run).order_by("line").values_list("line", "column", "value"))


ROWS = [
    ["code", "name", "region", "parent"],
    ["NAT002", "全国集团成都分公司", "510107", "NAT001"],
    ["G0001", "全国集团武侯营业部", "510107", "NAT001"],
]


def test_a_member_of_the_groups_account_team_imports_its_branches(member, run_file):
    run = run_file(member, "customers", csv_bytes(ROWS), then="write")
    assert run.status == "done", _issues(run)
    assert Customer.objects.get(code="NAT002").name == "全国集团成都分公司"
    assert Customer.objects.get(code="G0001").parent.code == "NAT001"


def test_a_colleague_off_the_team_is_refused_with_the_lines_named(member, cast, run_file):
    run = run_file(cast["paul"], "customers", csv_bytes(ROWS), then="write")
    assert run.status == "invalid"
    assert _issues(run) == [(2, "code", "NAT002"), (3, "parent", "NAT001")]
    assert not Customer.objects.filter(code="G0001").exists()


def test_an_ended_role_no_longer_counts(member, cast, run_file):
    member.team_roles.filter(customer__code="NAT001").update(
        starts_on=datetime.date(2020, 1, 1), ends_on=datetime.date(2021, 1, 1)
    )
    run = run_file(member, "customers", csv_bytes(ROWS), then="write")
    assert run.status == "invalid"
    assert _issues(run) == [(2, "code", "NAT002"), (3, "parent", "NAT001")]


class Rollback(Exception):
    pass


def _api_accepts(api, user, code: str, data: dict) -> bool:
    """Whether the API takes the change (a create when the customer does not exist), nothing kept."""
    try:
        with transaction.atomic():
            client = api(user)
            if Customer.objects.filter(code=code).exists():
                answer = client.patch(f"/api/v1/customers/{code}/", data, format="json")
            else:
                answer = client.post("/api/v1/customers/", {"code": code, **data}, format="json")
            raise Rollback(answer.status_code)
    except Rollback as rolled_back:
        status = rolled_back.args[0]
    assert status in (200, 201, 400, 403), status
    return status in (200, 201)


CASES = {
    "rename-branch": ("NAT002", {"name": "新名"}),
    "rename-group": ("NAT001", {"name": "新名"}),
    "new-branch": ("G0001", {"name": "分", "region": "510107", "parent": "NAT001"}),
    "under-a-branch": ("G0001", {"name": "分", "region": "510107", "parent": "NAT002"}),
    "join-group": ("CD0002", {"parent": "NAT001"}),
    "own-customer-national": ("CD0001", {"list_level": "national"}),
    "other-customer-national": ("CD0002", {"list_level": "national"}),
    "detach-branch": ("NAT002", {"parent": None}),
    "demote-group": ("NAT001", {"list_level": "city"}),
    "provincial-list": ("CD0002", {"list_level": "provincial"}),
}


@pytest.mark.parametrize("who", ["member", "paul"])
@pytest.mark.parametrize("case", list(CASES))
def test_the_import_decides_as_the_api_does(member, cast, api, run_file, who, case):
    user = member if who == "member" else cast[who]
    code, data = CASES[case]
    expected = _api_accepts(api, user, code, data)
    header = ["code", *data]
    row = [code, *("" if value is None else value for value in data.values())]
    run = run_file(user, "customers", csv_bytes([header, row]))
    assert (run.status == "previewed") is expected, (run.status, _issues(run))


def test_the_check_stays_set_based_with_team_roles(member, run_file):
    def statements(count: int) -> int:
        rows = [["code", "name", "region", "parent"]]
        rows += [[f"G{i:04d}", "分", "510107", "NAT001"] for i in range(count)]
        with CaptureQueriesContext(connection) as captured:
            run = run_file(member, "customers", csv_bytes(rows))
        assert run.status == "previewed", _issues(run)
        return len(captured.captured_queries)

    assert statements(3) == statements(30)
