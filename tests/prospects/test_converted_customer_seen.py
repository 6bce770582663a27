"""The customer a prospect became, named only to whoever sees that customer (§2): a converted prospect stays in its
grid's list while the customer may move out of the reader's sight."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Customer
from crm.models import Region
from prospects import services
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def gina(territory):
    """The grid manager (网格经理) of 春熙路网格."""
    return UserFactory(username="gina", role="grid_manager", region=territory["grid"])


@pytest.fixture
def converted(api, gina, territory):
    """A prospect of 春熙路网格 gina converted into PR0100, which then moved to 盐市口网格, out of her sight."""
    prospect = services.prospect_file(
        user=gina, data={"name": "成都春熙咖啡有限公司", "address": "春熙路9号", "region": gina.region}
    )
    client = api(gina)
    assert client.post(f"/api/v1/prospects/{prospect.pk}/claim/").status_code == 200
    assert (
        client.post(f"/api/v1/prospects/{prospect.pk}/convert/", {"code": "PR0100"}, format="json").status_code == 201
    )
    assert client.get(f"/api/v1/prospects/{prospect.pk}/").json()["customer"] == "PR0100"
    elsewhere = Region(code="510104-G02", name="盐市口网格", level="grid", parent=territory["jinjiang"])
    elsewhere.save()
    Customer.objects.filter(code="PR0100").update(region=elsewhere)
    assert not Customer.objects.visible_to(gina).filter(code="PR0100").exists()
    return prospect


def test_the_api_names_no_customer_the_caller_does_not_see(converted, gina, cast, api):
    assert api(gina).get(f"/api/v1/prospects/{converted.pk}/").json()["customer"] is None
    listed = api(gina).get("/api/v1/prospects/").json()["results"]
    assert [row["customer"] for row in listed if row["id"] == converted.pk] == [None]
    assert api(cast["hq"]).get(f"/api/v1/prospects/{converted.pk}/").json()["customer"] == "PR0100"


def test_the_pages_name_no_customer_the_reader_does_not_see(converted, gina, cast, login):
    client = login(gina)
    for url in (reverse("prospects:list") + "?show=converted", reverse("prospects:detail", args=[converted.pk])):
        page = client.get(url)
        assert page.status_code == 200
        assert "PR0100" not in page.content.decode(), url
    detail = login(cast["hq"]).get(reverse("prospects:detail", args=[converted.pk])).content.decode()
    assert "PR0100" in detail
