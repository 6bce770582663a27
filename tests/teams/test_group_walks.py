"""Walks of a group (issue 21, point 2): one step down a group for every walk (`accounts.models.branches_of`), and a
reassignment reading the groups above all its customers in one walk up, not one a customer."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Customer, group_line, group_lines, list_governance_read
from teams.services import team_reassign
from tests.factories import CustomerFactory, TeamRoleFactory

pytestmark = pytest.mark.django_db


def test_every_walk_down_a_group_steps_through_the_one_join():
    base = Path(settings.BASE_DIR)
    apps = [path for path in base.iterdir() if (path / "apps.py").exists() or (path / "settings.py").exists()]
    steps = [
        source.relative_to(base).as_posix()
        for app in apps
        for source in app.rglob("*.py")
        if re.search(r"(LATERAL \(SELECT .*|JOIN .* ON )\w+\.parent_id = ", source.read_text(encoding="utf-8"))
    ]
    assert steps == ["accounts/models.py"]


def test_group_lines_read_what_group_line_reads_for_each(group):
    Customer.objects.filter(pk=group["head"].pk).update(parent=group["mianyang"])  # a cycle behind the services
    lines = group_lines(Customer.objects.filter(code__startswith="BANK"))
    for customer in Customer.objects.filter(code__startswith="BANK"):
        assert lines[customer.parent_id] == group_line(customer.parent_id)


def test_the_governance_read_for_a_set_is_the_one_read_alone(group):
    alone = {c.pk: c.list_governance() for c in Customer.objects.filter(code__startswith="BANK")}
    together = list(Customer.objects.filter(code__startswith="BANK"))
    list_governance_read(together)
    assert {c.pk: c._list_governance[1] for c in together} == alone


def test_a_reassignment_walks_up_the_groups_once(group, cast):
    bob, alice = cast["bob"], cast["alice"]
    for n in range(6):
        branch = CustomerFactory(code=f"BANK5107{n:02d}", region=group["mianyang"].region, parent=group["mianyang"])
        TeamRoleFactory(customer=branch, user=bob)
    with CaptureQueriesContext(connection) as queries:
        assert team_reassign(by=cast["hq"], leaving=bob, targets=[alice]).customers >= 7
    walks = [q["sql"] for q in queries.captured_queries if "RECURSIVE up(" in q["sql"]]
    assert len(walks) == 1
