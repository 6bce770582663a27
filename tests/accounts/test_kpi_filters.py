"""The customer list's filters behind the KPIs and the coverage matrix refuse bad values with a field message."""

from __future__ import annotations

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def _english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"lost_in": "2026-13"}, "lost_in", "A period is a month written YYYY-MM"),
        ({"coverage": "thin"}, "product", "Choose the product whose coverage to filter by."),
        ({"product": "NOPE", "coverage": "thin"}, "product", "Select a valid choice"),
    ],
)
def test_a_bad_filter_value_is_a_field_error_on_the_page_and_in_the_api(
    customers, cast, login, api, query, field, message
):
    page = _english(login(cast["dora"])).get("/customers/", query)
    assert page.status_code == 200
    assert message in str(page.context["filter"].errors[field])
    response = _english(api(cast["dora"])).get("/api/v1/customers/", query)
    assert response.status_code == 400
    assert message in response.json()[field][0]
