"""A hand-built province for the KPIs of October 2026 (SPEC §7); every expected value is worked out in the tests.

In 成都 (department 成都市政企客户部):
- c1 锦江 grid, tier A, 200 handsets, 4 members (3 on net, 2 of them verified), the whole A team, two visits in
  October one of them by the second manager, complete profile, revenue 1000.00;
- c2 锦江, tier B, 100 handsets, 2 members (1 on net and verified), customer manager only (B needs a service
  manager), one visit, no key person (profile incomplete), revenue 500.50;
- c3 武侯, tier C, 50 handsets, bob's, complete profile, last visited in September (the quarter began in October);
- c4 武侯, tier C, 10 handsets, bob's, only an internal sync in October, a blank address;
- c5 武侯, bob's, active until it churned on 15 October;
- c6 锦江, a prospect;
- c7 锦江, tier C, 20 handsets, active only since 10 October, no customer manager;
- 48 prospects of bob's in 武侯, which make him overloaded (51 customers).
In 绵阳: c8, tier B, 300 handsets, 5 members on net none verified, carol's, no service manager, no visit.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Customer, StatusPeriod
from crm.periods import Period
from teams.models import Visit
from tests.factories import CustomerFactory, GroupMemberFactory, KeyPersonFactory, TeamRoleFactory, UserFactory

OCTOBER = Period(datetime.date(2026, 10, 1))
SINCE = datetime.date(2026, 1, 1)


def _at(day: int, month: int = 10) -> datetime.datetime:
    return datetime.datetime(2026, month, day, 10, 0, tzinfo=timezone.get_current_timezone())


def _customer(code, region, tier, handsets=0, history=(("active", SINCE),), **fields) -> Customer:
    status = history[-1][0]
    customer = CustomerFactory(code=code, region=region, handset_count=handsets, status=status, **fields)
    Customer.objects.filter(pk=customer.pk).update(tier=tier)
    StatusPeriod.objects.filter(customer=customer).delete()
    for (state, starts_on), following in zip(history, [*history[1:], None], strict=True):
        StatusPeriod.objects.create(
            customer=customer, status=state, starts_on=starts_on, ends_on=following[1] if following else None
        )
    customer.refresh_from_db()
    return customer


def _members(customer, on_net_verified: list[tuple[bool, bool]]) -> None:
    for on_net, verified in on_net_verified:
        GroupMemberFactory(customer=customer, on_net=on_net, verified=verified)


def _role(customer, user, role="customer_manager"):
    return TeamRoleFactory(customer=customer, user=user, role=role, starts_on=SINCE)


def _visit(customer, user, role, when, kind="onsite"):
    return Visit.objects.create(
        customer=customer, visitor=user, visitor_role=role, kind=kind, visited_at=when, summary="走访"
    )


@pytest.fixture
def province(cast, territory):
    t, people = territory, cast
    staff = {
        role: UserFactory(username=f"kpi_{role}") for role in ("service", "product", "network", "billing", "second")
    }
    alice, bob, carol = people["alice"], people["bob"], people["carol"]

    c1 = _customer("K001", t["grid"], "A", 200, informatization_revenue=Decimal("1000.00"))
    KeyPersonFactory(customer=c1)
    _members(c1, [(True, True), (True, True), (True, False), (False, False)])
    _role(c1, alice)
    for role, user in staff.items():
        _role(c1, user, f"{role}_manager")
    _visit(c1, alice, "customer_manager", _at(3))
    _visit(c1, staff["second"], "second_manager", _at(20))

    c2 = _customer("K002", t["jinjiang"], "B", 100, informatization_revenue=Decimal("500.50"))
    _members(c2, [(True, True), (False, False)])
    _role(c2, alice)
    _visit(c2, alice, "customer_manager", _at(5))

    c3 = _customer("K003", t["wuhou"], "C", 50)
    KeyPersonFactory(customer=c3)
    _role(c3, bob)
    _visit(c3, bob, "customer_manager", _at(20, month=9))

    c4 = _customer("K004", t["wuhou"], "C", 10, address="  ")
    KeyPersonFactory(customer=c4)
    _role(c4, bob)
    _visit(c4, bob, "customer_manager", _at(10), kind="internal")

    c5 = _customer("K005", t["wuhou"], None, 30, history=(("active", SINCE), ("churned", datetime.date(2026, 10, 15))))
    _role(c5, bob)
    _customer("K006", t["jinjiang"], None, 5, history=(("prospect", SINCE),))
    _customer("K007", t["jinjiang"], "C", 20, history=(("active", datetime.date(2026, 10, 10)),))
    for n in range(48):
        prospect = _customer(f"KP{n:03d}", t["wuhou"], None, 0, history=(("prospect", SINCE),))
        _role(prospect, bob)

    c8 = _customer("K008", t["fucheng"], "B", 300)
    KeyPersonFactory(customer=c8)
    _members(c8, [(True, False)] * 5)
    _role(c8, carol)
    return {"c1": c1, "c2": c2, "c3": c3, "c4": c4, "c5": c5, "c8": c8, "staff": staff}
