"""The campaign app's admin: a number added there leaves every open call list, as from the page and the API;
campaigns and activities are looked up there, not planned or recorded."""

from __future__ import annotations

import pytest

from campaigns import services
from campaigns.models import CallEntry, DoNotCall
from tests.campaigns.test_call_lists import WANG, build_calling

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _staff_in_the_admin(cast):
    for name in ("paul", "gd_paul"):
        cast[name].is_staff = True
        cast[name].save()


def test_a_number_added_in_the_admin_leaves_every_open_call_list(cast, customers, territory, login):
    calling = build_calling(cast, customers, territory)
    call_list = services.call_list_build(user=cast["alice"], campaign=calling["campaign"])
    assert call_list.entries.filter(mobile=WANG).exists()
    response = login(cast["paul"]).post(
        "/admin/campaigns/donotcall/add/", {"mobile": WANG, "reason": "客户来电投诉，要求不再外呼"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = DoNotCall.objects.get(mobile=WANG)
    assert (entry.added_by, entry.reason) == (cast["paul"], "客户来电投诉，要求不再外呼")
    assert not CallEntry.objects.filter(mobile=WANG).exists()


def test_campaigns_and_activities_are_not_planned_in_the_admin(cast, customers, territory, login):
    build_calling(cast, customers, territory)
    client = login(cast["paul"])
    assert client.get("/admin/campaigns/campaign/").status_code == 200
    assert client.get("/admin/campaigns/campaign/add/").status_code == 403
    assert client.get("/admin/campaigns/activity/add/").status_code == 403
    assert client.get("/admin/campaigns/campaign/").content.decode().count("field-name") == 1
    assert login(cast["gd_paul"]).get("/admin/campaigns/campaign/").content.decode().count("field-name") == 0
