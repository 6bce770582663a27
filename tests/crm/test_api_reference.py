"""Token auth, regions, industries, and the OpenAPI schema and docs."""

import pytest
from rest_framework.test import APIClient

from accounts.data.industries import DIVISIONS
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_token_for_valid_credentials_opens_the_api(cast, customers):
    response = APIClient().post("/api/v1/auth/token/", {"username": "alice", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/customers/").json()["count"] == 1


def test_token_refused_for_a_wrong_password(cast):
    response = APIClient().post("/api/v1/auth/token/", {"username": "alice", "password": "nope"}, format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_regions_have_the_contract_fields(api, cast, territory):
    body = api(cast["alice"]).get("/api/v1/regions/", {"parent": "510100"}).json()
    rows = {row["code"]: row for row in body["results"]}
    assert set(rows) == {"510104", "510107"}
    assert rows["510104"] == {"code": "510104", "name": "锦江区", "level": "county", "parent": "510100"}


def test_regions_need_authentication(territory):
    assert APIClient().get("/api/v1/regions/").status_code == 401


def test_all_industry_divisions_with_segments(api, cast):
    body = api(cast["alice"]).get("/api/v1/industries/", {"page_size": 500}).json()
    assert body["count"] == len(DIVISIONS) == 97
    rows = {row["code"]: row for row in body["results"]}
    assert rows["J66"]["name"] == "货币金融服务" and rows["J66"]["segment"] == "finance"
    assert rows["S92"]["segment"] == "party_gov"
    assert api(cast["alice"]).get("/api/v1/industries/", {"segment": "education"}).json()["count"] == 1


def test_schema_describes_the_customer_endpoints(staff_client):
    response = staff_client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/v1/customers/",
        "/api/v1/customers/{code}/",
        "/api/v1/customers/{code}/members/",
        "/api/v1/customers/{code}/key-persons/",
        "/api/v1/regions/",
        "/api/v1/industries/",
        "/api/v1/auth/token/",
        "/api/v1/customers/{code}/tier/",
        "/api/v1/tiering/recompute/",
    ):
        assert path in paths, path


def test_docs_page_loads_its_assets_locally(staff_client):
    response = staff_client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    # Every asset from our own host: no absolute or protocol-relative URL. (Not a search for "cdn", which a random
    # CSRF token on the page contains once in a while.)
    assert '="//' not in html and "'//" not in html
    assert "https://" not in html and "http://" not in html


def test_the_schema_and_its_docs_are_for_signed_in_staff_only(client):
    assert client.get("/api/schema/", {"format": "json"}).status_code == 401
    assert client.get("/api/docs/").status_code in (401, 403)
