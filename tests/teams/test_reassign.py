"""Bulk reassign of a leaving manager's customers (SPEC §5.2): preview, overload confirmation, all or nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from teams import selectors, services
from teams.models import TeamRole
from tests.factories import CustomerFactory, TeamRoleFactory, UserFactory


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def leaving(cast, territory, customers):
    """alice manages 4 customers more, is service manager of bob's, and bob (the target) already has one."""
    extra = CustomerFactory.create_batch(4, region=territory["jinjiang"])
    for customer in extra:
        TeamRoleFactory(customer=customer, user=cast["alice"])
    TeamRoleFactory(customer=customers["wuhou"], user=cast["alice"], role="service_manager")
    return cast["alice"]


@pytest.mark.django_db
def test_the_plan_spreads_customers_over_the_targets_by_load(cast, territory, leaving):
    eve = UserFactory(username="eve", region=territory["wuhou"], department=cast["alice"].department)
    plan = selectors.reassign_plan(by=cast["dora"], leaving=leaving, targets=[cast["bob"], eve])
    rows = {target.username: (before, taken, after) for target, before, taken, after in plan.rows()}
    # 5 managed customers: eve (0) takes 3, bob (1) takes 2; bob's own customer, where alice is service manager,
    # counts for nobody's load
    assert rows == {"bob": (1, 2, 3), "eve": (0, 3, 3)}
    assert len(plan.customers) == 6
    assert not plan.overloaded


@pytest.mark.django_db
def test_applying_hands_every_role_over_at_once_and_keeps_the_history(cast, customers, leaving):
    result = services.team_reassign(by=cast["dora"], leaving=leaving, targets=[cast["bob"]])
    assert (result.customers, result.roles) == (6, 6)
    today = timezone.localdate()
    assert not TeamRole.objects.active().filter(user=leaving).exists()
    assert TeamRole.objects.filter(user=leaving, ends_on=today).count() == 6
    assert TeamRole.objects.active().filter(user=cast["bob"], role="customer_manager").count() == 6
    # bob already manages his own customer; he also becomes its service manager in alice's place
    assert (
        TeamRole.objects.active().filter(customer=customers["wuhou"], role="service_manager").get().user == cast["bob"]
    )


@pytest.mark.django_db
def test_a_reassign_that_overloads_a_manager_asks_for_confirmation_first(cast, territory, leaving):
    for customer in CustomerFactory.create_batch(48, region=territory["wuhou"]):
        TeamRoleFactory(customer=customer, user=cast["bob"])
    with pytest.raises(ValidationError) as error:
        services.team_reassign(by=cast["dora"], leaving=leaving, targets=[cast["bob"]])
    assert error.value.code == "overload"
    assert "above 50" in error.value.messages[0]
    assert TeamRole.objects.active().filter(user=leaving).count() == 6  # nothing changed
    result = services.team_reassign(by=cast["dora"], leaving=leaving, targets=[cast["bob"]], confirm_overload=True)
    assert result.customers == 6
    assert selectors.customer_manager_loads([cast["bob"].pk]) == {cast["bob"].pk: 54}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("targets", "field", "message"),
    [
        (["carol"], "targets", "outside your region"),
        (["alice"], "targets", "cannot take over their own"),
        ([], "targets", "at least one"),
    ],
)
def test_bad_reassigns_say_why_and_change_nothing(cast, leaving, targets, field, message):
    with pytest.raises(ValidationError) as error:
        services.team_reassign(by=cast["dora"], leaving=leaving, targets=[cast[name] for name in targets])
    assert message in error.value.message_dict[field][0]
    assert TeamRole.objects.active().filter(user=leaving).count() == 6


@pytest.mark.django_db
def test_account_managers_cannot_reassign(cast, leaving):
    with pytest.raises(PermissionDenied):
        services.team_reassign(by=cast["bob"], leaving=leaving, targets=[cast["bob"]])
