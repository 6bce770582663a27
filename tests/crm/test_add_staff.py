"""The add_staff command."""

import pytest
from django.core.management import CommandError, call_command

from crm.models import Department, User

pytestmark = pytest.mark.django_db


def test_creates_a_manager_with_department(territory):
    call_command(
        "add_staff",
        "zhangwei",
        role="account_manager",
        region="510104",
        department="锦江政企部",
        password="Strong#Pass1",
    )
    user = User.objects.get(username="zhangwei")
    assert user.role == "account_manager" and user.region_id == "510104"
    assert user.department.name == "锦江政企部" and user.department.region_id == "510104"
    assert user.check_password("Strong#Pass1")
    assert not user.is_staff


def test_rerunning_updates_the_user(territory):
    call_command("add_staff", "lina", role="account_manager", region="510104", password="Strong#Pass1")
    call_command("add_staff", "lina", role="provincial_staff", region="510000", password="Other#Pass2")
    user = User.objects.get(username="lina")
    assert User.objects.filter(username="lina").count() == 1
    assert user.role == "provincial_staff" and user.region_id == "510000"
    assert user.is_staff and user.check_password("Other#Pass2")


def test_rerunning_without_department_keeps_it(territory):
    call_command(
        "add_staff",
        "lina",
        role="department_head",
        region="510100",
        department="成都市政企客户部",
        password="Strong#Pass1",
    )
    call_command("add_staff", "lina", role="department_head", region="510100", password="Strong#Pass1")
    assert User.objects.get(username="lina").department.name == "成都市政企客户部"


def test_department_head_heads_the_department(territory):
    call_command(
        "add_staff",
        "boss",
        role="department_head",
        region="510100",
        department="成都市政企客户部",
        password="Strong#Pass1",
    )
    assert Department.objects.get(name="成都市政企客户部").head.username == "boss"


def test_unknown_role_is_a_clear_error(territory):
    with pytest.raises(CommandError, match="ceo"):
        call_command("add_staff", "x", role="ceo", region="510104", password="Strong#Pass1")
    assert not User.objects.filter(username="x").exists()


def test_unknown_region_is_a_clear_error(territory):
    with pytest.raises(CommandError, match="999999"):
        call_command("add_staff", "x", role="account_manager", region="999999", password="Strong#Pass1")
    assert not User.objects.filter(username="x").exists()


def test_weak_password_is_refused(territory):
    with pytest.raises(CommandError, match="password"):
        call_command("add_staff", "x", role="account_manager", region="510104", password="123")
    assert not User.objects.filter(username="x").exists()


def test_without_a_terminal_the_password_must_be_given(territory, monkeypatch):
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    with pytest.raises(CommandError, match="--password"):
        call_command("add_staff", "x", role="account_manager", region="510104")
