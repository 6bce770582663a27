"""The set-based profile facts of the selector agree with asking the database row by row."""

import pytest

from accounts.models import Customer
from accounts.selectors import customer_list
from teams.models import TeamRole
from tests.factories import KeyPersonFactory

pytestmark = pytest.mark.django_db


def test_annotated_and_row_by_row_completeness_agree(cast, customers):
    KeyPersonFactory(customer=customers["mianyang"], mobile="")
    annotated = {c.code: c.profile_missing for c in customer_list(user=cast["hq"])}
    row_by_row = {c.code: c.profile_missing for c in Customer.objects.all()}
    assert annotated == row_by_row
    assert annotated["CD0001"] == []
    assert annotated["MY0001"] == ["key_person"]
    assert annotated["GZ0001"] == ["key_person", "customer_manager"]


def test_ended_customer_manager_makes_the_profile_incomplete(cast, customers):
    import datetime

    TeamRole.objects.filter(customer=customers["alice"]).update(
        starts_on=datetime.date(2020, 1, 1), ends_on=datetime.date(2020, 12, 31)
    )
    customer = customer_list(user=cast["hq"]).get(code="CD0001")
    assert customer.profile_missing == ["customer_manager"]


def test_city_level_region_is_reported_missing(cast, customers, territory):
    Customer.objects.filter(code="CD0001").update(region=territory["chengdu"])
    assert customer_list(user=cast["hq"]).get(code="CD0001").profile_missing == ["region"]
