"""Team gaps counted in one pass (teams.selectors.team_gaps) against a hand-built territory, and against the
customer-by-customer list of incomplete teams they must always agree with."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from accounts.models import Customer
from teams import selectors
from teams.models import SINGLE_ROLES
from tests.factories import CustomerFactory, TeamRoleFactory, UserFactory

FOUR = ["service_manager", "product_manager", "network_manager", "billing_manager"]


@pytest.fixture
def gaps_territory(territory, cast):
    today = timezone.localdate()
    staff = [UserFactory(region=territory["chengdu"]) for _ in range(6)]

    def customer(code: str, tier: str | None, region: str = "jinjiang", roles=()):
        made = CustomerFactory(code=code, region=territory[region])
        Customer.objects.filter(pk=made.pk).update(tier=tier)
        for role, starts_on, ends_on in roles:
            TeamRoleFactory(customer=made, user=staff[len(role) % 6], role=role, starts_on=starts_on, ends_on=ends_on)

    held = (today - datetime.timedelta(days=30), None)
    customer("K1", "C", roles=[("customer_manager", *held)])
    # the manager's role ended today: nobody holds it now
    customer("K2", "C", roles=[("customer_manager", today - datetime.timedelta(days=30), today)])
    # the service manager starts tomorrow
    customer("K3", "B", roles=[("customer_manager", *held), ("service_manager", today + datetime.timedelta(1), None)])
    customer(
        "K4", "B", region="wuhou", roles=[("customer_manager", *held), ("service_manager", *held), ("assistant", *held)]
    )
    # four managers but no second manager; an assistant is no second manager
    customer("K5", "A", roles=[("customer_manager", *held), *((role, *held) for role in FOUR), ("assistant", *held)])
    customer("K6", "A")  # nobody at all
    customer("K7", None)  # untiered: no standard applies
    customer("K8", "A", region="fucheng")  # Mianyang: not in the Chengdu department head's territory


@pytest.mark.django_db
def test_gaps_are_counted_per_role_and_in_total_within_the_territory(cast, gaps_territory):
    gaps = selectors.team_gaps(cast["dora"])
    assert gaps.by_role == {
        "customer_manager": 2,  # K2, K6
        "service_manager": 2,  # K3, K6
        "product_manager": 1,  # K6
        "network_manager": 1,  # K6
        "billing_manager": 1,  # K6
        "second_manager": 2,  # K5, K6
    }
    assert gaps.incomplete == 4  # K2, K3, K5, K6

    province = selectors.team_gaps(cast["paul"])  # Sichuan: K8 too
    assert province.by_role == {role: count + 1 for role, count in gaps.by_role.items()}
    assert province.incomplete == 5
    assert selectors.team_gaps(cast["gd_paul"]).incomplete == 0
    assert selectors.team_gaps(cast["alice"]).incomplete == 0  # an account manager sees only their own teams


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["dora", "paul", "hq"])
def test_gaps_agree_with_the_list_of_incomplete_teams(cast, gaps_territory, who):
    user = cast[who]
    gaps = selectors.team_gaps(user)
    assert gaps.incomplete == selectors.incomplete_teams(user).count()
    for role in SINGLE_ROLES:
        assert gaps.by_role[role] == selectors.incomplete_teams(user, role).count(), role


@pytest.mark.django_db
def test_the_incomplete_teams_page_counts_what_it_lists(login, cast, gaps_territory):
    client = login(cast["dora"])
    page = client.get("/teams/incomplete/").context["page"]
    assert page.paginator.count == 4
    assert [customer.code for customer in page] == ["K2", "K3", "K5", "K6"]
    page = client.get("/teams/incomplete/?role=second_manager").context["page"]
    assert page.paginator.count == 2
    assert [customer.code for customer in page] == ["K5", "K6"]
