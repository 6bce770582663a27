"""A converted prospect's location (issue 21): the customer it becomes is where the grid's staff found it — the
latitude and longitude of the filing, marked as coming from it, on the audit trail, and the position its on-site
visits are checked against; a prospect filed without one gives a customer without one."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from accounts.models import LocationSource
from crm.models import AuditEntry
from prospects import services
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CHUNXI = (30.657, 104.080)


@pytest.fixture
def gina(territory):
    return UserFactory(username="gina", role="grid_manager", region=territory["grid"])


def file(user, **extra):
    data = {"name": "成都春熙咖啡有限公司", "address": "春熙路9号", "region": user.region, **extra}
    return services.prospect_file(user=user, data=data)


def test_the_customer_gets_the_location_the_prospect_was_filed_with(gina):
    prospect = file(gina, latitude=CHUNXI[0], longitude=CHUNXI[1])
    customer = services.prospect_convert(user=gina, prospect=prospect, data={"code": "PR0700"})
    customer.refresh_from_db()
    assert (customer.latitude, customer.longitude) == CHUNXI
    assert customer.location_source == LocationSource.PROSPECT
    assert customer.location == CHUNXI  # the position its on-site visits are checked against
    assert (customer.location_confirmed_by, customer.location_confirmed_at) == (None, None)
    created = AuditEntry.objects.get(object_type="accounts.customer", object_id=str(customer.pk), action="create")
    assert created.changes["latitude"] == [None, CHUNXI[0]]
    assert created.changes["location_source"] == [None, "prospect"]


def test_a_prospect_filed_without_a_location_gives_a_customer_without_one(gina):
    customer = services.prospect_convert(user=gina, prospect=file(gina), data={"code": "PR0701"})
    customer.refresh_from_db()
    assert (customer.latitude, customer.longitude, customer.location_source) == (None, None, "")
    assert customer.location is None


def test_the_customer_page_says_where_the_location_came_from(gina, login):
    prospect = file(gina, latitude=CHUNXI[0], longitude=CHUNXI[1])
    customer = services.prospect_convert(user=gina, prospect=prospect, data={"code": "PR0702"})
    page = login(gina).get(reverse("accounts:customer-detail", args=[customer.code]))
    assert page.status_code == 200
    with translation.override("zh-hans"):
        assert gettext("from the prospect's filing") in page.content.decode()
