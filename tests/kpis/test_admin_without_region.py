"""The admin pages of every app for a user without a home region (issue 21 review): a superuser made with
`createsuperuser` has none and sees every row; a member of staff without one sees none — never a server error."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.admin.sites import site
from django.urls import reverse

from campaigns.models import Product
from crm.models import User
from kpis.models import KpiTarget, ProductRevenueTarget, VisitCompliancePolicy
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(cast, territory):
    """One row of each kpis admin in Sichuan, kept by paul."""
    KpiTarget.objects.create(metric="visit_compliance", region=territory["sichuan"], value=Decimal("0.8"))
    VisitCompliancePolicy.objects.create(region=territory["sichuan"], verified_only=True)
    ProductRevenueTarget.objects.create(
        region=territory["sichuan"], product=Product.objects.get(pk="GROUP_CRBT"), year=2026, amount=Decimal("5")
    )


@pytest.fixture
def superuser(territory):
    """As `manage.py createsuperuser` makes one: no role given, no home region."""
    return User.objects.create_superuser(username="root", email="root@example.com", password="x")


@pytest.fixture
def homeless(territory):
    return UserFactory(username="nomad", role="provincial_staff", region=None, is_staff=True)


KPI_ADMINS = [KpiTarget, VisitCompliancePolicy, ProductRevenueTarget]


def _changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


@pytest.mark.parametrize("model", KPI_ADMINS, ids=lambda model: model.__name__)
def test_a_superuser_without_a_region_sees_every_row(rows, superuser, login, model):
    response = login(superuser).get(_changelist(model))
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1


@pytest.mark.parametrize("model", KPI_ADMINS, ids=lambda model: model.__name__)
def test_staff_without_a_region_see_none(rows, homeless, login, model):
    response = login(homeless).get(_changelist(model))
    assert response.status_code == 200
    assert response.context["cl"].result_count == 0


@pytest.mark.parametrize("model", KPI_ADMINS, ids=lambda model: model.__name__)
def test_provincial_staff_see_their_province_only(rows, cast, login, model):
    User.objects.filter(username__in=["paul", "gd_paul"]).update(is_staff=True)
    cast["paul"].refresh_from_db()
    cast["gd_paul"].refresh_from_db()
    assert login(cast["paul"]).get(_changelist(model)).context["cl"].result_count == 1
    assert login(cast["gd_paul"]).get(_changelist(model)).context["cl"].result_count == 0


def _every_admin():
    return sorted(site._registry, key=lambda model: model._meta.label)


@pytest.mark.parametrize("model", _every_admin(), ids=lambda model: model._meta.label)
def test_no_admin_page_fails_a_user_without_a_region(rows, superuser, homeless, login, model):
    for user in (superuser, homeless):
        client = login(user)
        assert client.get(_changelist(model)).status_code in (200, 302, 403), (user, model)
        add = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
        assert client.get(add).status_code in (200, 302, 403), (user, model)


@pytest.mark.parametrize("model", KPI_ADMINS, ids=lambda model: model.__name__)
def test_the_change_page_of_a_row(rows, superuser, homeless, login, model):
    row = model.objects.get()
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[row.pk])
    assert login(superuser).get(url).status_code == 200
    assert login(homeless).get(url).status_code in (302, 403, 404)
