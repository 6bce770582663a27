"""Shared fixtures: a small territory with two provinces, staff in every role, and customers placed across it.

The cast (as in SPEC §2):
- alice: account manager, customer manager of `alice_customer` (锦江区) — the owner;
- bob: account manager in the same department as alice, customer manager of `wuhou_customer` only;
- carol: account manager in 绵阳 (another city) with her own customer;
- dora: head of the Chengdu department (region 成都市);
- paul: provincial staff of Sichuan;
- gd_paul: provincial staff of Guangdong (another province);
- hq: headquarters administrator.
"""

from __future__ import annotations

import datetime
from importlib import import_module

import pytest
import time_machine
from django.apps import apps
from django.test import Client
from django.utils import timezone

from accounts.data import industries
from accounts.models import Industry
from campaigns.data import PRODUCTS
from campaigns.models import Channel, CoverageThresholds, Product
from crm.models import Region
from teams.models import ServiceStandard
from tests.factories import (
    CustomerFactory,
    DepartmentFactory,
    KeyPersonFactory,
    TeamRoleFactory,
    UserFactory,
)
from tiering.models import RuleSet


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Hashing strength is not under test; the default hasher would dominate the suite's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# The suite's day: today when the modules are collected, as several hold it (`TODAY = timezone.localdate()`). A run that
# crosses local midnight (16:00 UTC) would read two days, one at collection and one in the test; once the day has
# turned, or the last hour before midnight has begun, every test runs on the collection's day from 22:00 local, its
# clock ticking. Tests with another process's clock beside ours (Chromium's pages, a real Celery worker) keep the
# real one.
_SUITE_DAY = timezone.localdate()
_OTHER_CLOCKS = ("browser", "celery_worker")


@pytest.fixture(autouse=True)
def _one_day_for_the_whole_run(request):
    now = timezone.localtime()
    if (now.date() == _SUITE_DAY and now.hour < 23) or any(request.node.get_closest_marker(m) for m in _OTHER_CLOCKS):
        yield
        return
    evening = datetime.datetime.combine(_SUITE_DAY, datetime.time(22), tzinfo=now.tzinfo)
    with time_machine.travel(evening, tick=True):
        yield


def _region(code: str, name: str, level: str, parent: Region | None) -> Region:
    region = Region(code=code, name=name, level=level, parent=parent)
    region.save()
    return region


_STANDARDS = import_module("teams.migrations.0003_standards_and_role_periods")
_CHANNELS = import_module("campaigns.migrations.0012_channels_partners_call_modes")


def _reference_data_present() -> bool:
    """Whether the data migrations' reference data is all there: a transactional test's flush empties every table,
    the other tests find what the migrations wrote. Six counts, where loading it again is some 600 queries a test."""
    return (
        Industry.objects.count() == len(industries.DIVISIONS)
        and Product.objects.count() == len(PRODUCTS)
        and CoverageThresholds.objects.filter(pk=1).exists()
        and ServiceStandard.objects.count() == len(_STANDARDS.DEFAULT_STANDARDS)
        and Channel.objects.count() == len(_CHANNELS.CHANNELS)
        and RuleSet.objects.filter(scope_id="000000").exists()
    )


@pytest.fixture
def territory(db) -> dict[str, Region]:
    # Reference data comes from data migrations; a transactional test's flush removes it, so make sure it is here.
    root, _ = Region.objects.get_or_create(code="000000", defaults={"name": "集团总部", "level": "national"})
    if not _reference_data_present():
        industries.load(Industry)
        import_module("tiering.migrations.0002_default_national_rule_set").create_default(apps, None)
        _STANDARDS.create_standards(apps, None)
        import_module("campaigns.migrations.0002_products").load_products(apps, None)
        _CHANNELS.seed_channels(apps, None)
    sichuan = _region("510000", "四川省", "province", root)
    chengdu = _region("510100", "成都市", "city", sichuan)
    jinjiang = _region("510104", "锦江区", "county", chengdu)
    wuhou = _region("510107", "武侯区", "county", chengdu)
    grid = _region("510104-G01", "春熙路网格", "grid", jinjiang)
    mianyang = _region("510700", "绵阳市", "city", sichuan)
    fucheng = _region("510703", "涪城区", "county", mianyang)
    guangdong = _region("440000", "广东省", "province", root)
    guangzhou = _region("440100", "广州市", "city", guangdong)
    tianhe = _region("440106", "天河区", "county", guangzhou)
    return {
        "root": root,
        "sichuan": sichuan,
        "chengdu": chengdu,
        "jinjiang": jinjiang,
        "wuhou": wuhou,
        "grid": grid,
        "mianyang": mianyang,
        "fucheng": fucheng,
        "guangdong": guangdong,
        "guangzhou": guangzhou,
        "tianhe": tianhe,
    }


@pytest.fixture
def cast(territory):
    chengdu_dept = DepartmentFactory(name="成都市政企客户部", region=territory["chengdu"])
    mianyang_dept = DepartmentFactory(name="绵阳市政企客户部", region=territory["mianyang"])
    users = {
        "alice": UserFactory(username="alice", region=territory["jinjiang"], department=chengdu_dept),
        "bob": UserFactory(username="bob", region=territory["wuhou"], department=chengdu_dept),
        "carol": UserFactory(username="carol", region=territory["fucheng"], department=mianyang_dept),
        "dora": UserFactory(
            username="dora", role="department_head", region=territory["chengdu"], department=chengdu_dept
        ),
        "paul": UserFactory(username="paul", role="provincial_staff", region=territory["sichuan"]),
        "gd_paul": UserFactory(username="gd_paul", role="provincial_staff", region=territory["guangdong"]),
        "hq": UserFactory(username="hq", role="hq_admin", region=territory["root"]),
    }
    chengdu_dept.head = users["dora"]
    chengdu_dept.save()
    return users


@pytest.fixture
def customers(cast, territory):
    """One customer per corner of the territory, each with a customer manager."""
    alice_customer = CustomerFactory(code="CD0001", name="成都锦程科技有限公司", region=territory["grid"])
    wuhou_customer = CustomerFactory(code="CD0002", name="成都蜀道物流有限公司", region=territory["wuhou"])
    mianyang_customer = CustomerFactory(code="MY0001", name="绵阳长虹电子有限公司", region=territory["fucheng"])
    guangzhou_customer = CustomerFactory(code="GZ0001", name="广州天河商贸有限公司", region=territory["tianhe"])
    KeyPersonFactory(customer=alice_customer)
    TeamRoleFactory(customer=alice_customer, user=cast["alice"])
    TeamRoleFactory(customer=wuhou_customer, user=cast["bob"])
    TeamRoleFactory(customer=mianyang_customer, user=cast["carol"])
    return {
        "alice": alice_customer,
        "wuhou": wuhou_customer,
        "mianyang": mianyang_customer,
        "guangzhou": guangzhou_customer,
    }


@pytest.fixture
def login():
    """A logged-in Django test client for one of the cast. (Signed in directly: the test client's `login` calls
    `authenticate` without the request, which the lockout backend needs.)"""

    def _login(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def api(cast):
    """A DRF client authenticated with a token, as scripts use the API."""
    from knox.models import AuthToken
    from rest_framework.test import APIClient

    def _api(user) -> APIClient:
        client = APIClient()
        _instance, token = AuthToken.objects.create(user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return client

    return _api


@pytest.fixture
def staff_client(db):
    """A test client signed in as a member of staff: the API schema and its docs are for signed-in staff only."""
    from tests.factories import UserFactory

    client = Client()
    client.force_login(UserFactory(role="hq_admin"))
    return client


@pytest.fixture
def group(cast, territory, customers):
    """A national bank (issue 21): its headquarters in 锦江区 on the national list, a Sichuan branch in 武侯区 with a
    city branch of its own in 涪城 (绵阳), and a branch in 天河区 (广州, another province). Its account team at
    headquarters: `hq_am`, an account manager of the headquarters' group-customer department (home region the national
    root), its customer manager. `bob` is the 武侯 branch's own customer manager."""
    hq_dept = DepartmentFactory(name="集团总部政企客户部", region=territory["root"])
    hq_am = UserFactory(username="hq_am", region=territory["root"], department=hq_dept)
    head = CustomerFactory(code="BANK00", name="中国示范银行总行", region=territory["jinjiang"], list_level="national")
    sichuan = CustomerFactory(
        code="BANK51", name="中国示范银行四川省分行", region=territory["wuhou"], list_level="provincial", parent=head
    )
    mianyang = CustomerFactory(
        code="BANK5107", name="中国示范银行绵阳分行", region=territory["fucheng"], parent=sichuan
    )
    guangzhou = CustomerFactory(code="BANK44", name="中国示范银行广州分行", region=territory["tianhe"], parent=head)
    TeamRoleFactory(customer=head, user=hq_am)
    TeamRoleFactory(customer=sichuan, user=cast["bob"])
    return {"hq_am": hq_am, "head": head, "sichuan": sichuan, "mianyang": mianyang, "guangzhou": guangzhou}
