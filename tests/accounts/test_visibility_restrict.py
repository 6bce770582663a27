"""`Customer.objects.restrict`: the visibility rule of SPEC §2 asked of rows that point at a customer, one index
probe per row for a territory. It must give exactly the rows of the customers `visible_to` gives, for every kind of
reader, whatever the rows are."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db.models import F

from accounts.models import Customer, KeyPerson
from campaigns.models import Opportunity
from teams.models import TeamRole
from tests.factories import KeyPersonFactory, OpportunityFactory, TeamRoleFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def readers(cast, territory, group):
    return {
        **cast,
        "hq_am": group["hq_am"],  # a national group's account team at headquarters: its branches everywhere
        "root": UserFactory(username="root", is_superuser=True, region=territory["jinjiang"]),
        "headless": UserFactory(username="headless", role="department_head", region=territory["chengdu"]),
        "anonymous": AnonymousUser(),
    }


@pytest.mark.parametrize("model", [TeamRole, KeyPerson])
def test_restrict_gives_the_rows_of_the_customers_visible_to_the_reader(model, readers, customers, cast):
    # a head holding a role on a team outside her territory sees her territory, not her teams
    TeamRoleFactory(customer=customers["mianyang"], user=cast["dora"], role="service_manager")
    for customer in Customer.objects.all():  # rows on every customer, in every territory, at every group level
        KeyPersonFactory(customer=customer)
        TeamRoleFactory(customer=customer, user=cast["hq"], role="billing_manager")
    assert model.objects.values("customer").distinct().count() == Customer.objects.count() > 7
    for name, user in readers.items():
        expected = set(
            model.objects.filter(customer__in=Customer.objects.visible_to(user)).values_list("pk", flat=True)
        )
        restricted = set(Customer.objects.restrict(model.objects.all(), user).values_list("pk", flat=True))
        assert restricted == expected, name
    assert Customer.objects.restrict(model.objects.all(), AnonymousUser()).count() == 0
    # the group's team at headquarters reaches its branch in another province, the branch's city colleagues do not
    branch = model.objects.filter(customer__code="BANK44")
    assert Customer.objects.restrict(branch, readers["hq_am"]).exists()
    assert not Customer.objects.restrict(branch, cast["carol"]).exists()
    outsider = Customer.objects.restrict(model.objects.filter(customer=customers["guangzhou"]), cast["dora"])
    assert not outsider.exists()


def test_a_row_follows_its_customer_to_another_region(customers, cast, territory):
    rows = TeamRole.objects.filter(customer=customers["wuhou"])
    assert Customer.objects.restrict(rows, cast["dora"]).exists()
    Customer.objects.filter(pk=customers["wuhou"].pk).update(region=territory["guangzhou"])
    assert not Customer.objects.restrict(rows, cast["dora"]).exists()


def test_opportunities_found_by_the_region_they_carry_are_those_of_the_customers_visible(readers, customers, cast):
    """An opportunity carries its customer's region, kept by the database (campaigns 0017): on every one written,
    moved with a customer that moves, and with an opportunity moved to another customer. `restrict` by that region
    gives exactly the opportunities of the customers `visible_to` gives."""
    for customer in Customer.objects.all():
        OpportunityFactory(customer=customer, owner=cast["hq"])

    def check() -> None:
        for name, user in readers.items():
            visible = Customer.objects.visible_to(user)
            expected = set(Opportunity.objects.filter(customer__in=visible).values_list("pk", flat=True))
            restricted = Customer.objects.restrict(Opportunity.objects.all(), user, region_field="region")
            assert set(restricted.values_list("pk", flat=True)) == expected, name

    check()
    assert not Opportunity.objects.exclude(region=F("customer__region")).exists()
    # a customer moves (an update that no model method sees), an opportunity is moved to another customer and saved
    # whole by the ORM, its in-memory region unread
    Customer.objects.filter(pk=customers["wuhou"].pk).update(region=customers["guangzhou"].region)
    moved = Opportunity.objects.filter(customer=customers["alice"]).first()
    moved.customer = customers["mianyang"]
    moved.save()
    assert not Opportunity.objects.exclude(region=F("customer__region")).exists()
    check()
    assert not Customer.objects.restrict(
        Opportunity.objects.filter(customer=customers["wuhou"]), cast["dora"], region_field="region"
    ).exists()
