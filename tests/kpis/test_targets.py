"""KPI targets as data (SPEC §7): national ones by headquarters, a province's own by its provincial staff."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client

from kpis.models import KpiTarget
from kpis.selectors import targets_for
from kpis.services import kpi_compute

from .conftest import OCTOBER

pytestmark = pytest.mark.django_db
URL = "/kpis/targets/"


def test_provincial_staff_set_their_provinces_targets_in_percent(cast, territory, login):
    response = login(cast["paul"]).post(URL, {"stability_rate": "80", "informatization_revenue": "2000000"})
    assert response.status_code == 302
    assert dict(KpiTarget.objects.filter(region=territory["sichuan"]).values_list("metric", "value")) == {
        "stability_rate": Decimal("0.8000"),
        "informatization_revenue": Decimal("2000000.0000"),
    }
    targets = targets_for("510000")
    assert targets["stability_rate"] == Decimal("0.8")
    assert targets["member_coverage_rate"] == Decimal("0.27")  # not set: the national default
    assert targets_for("440000")["stability_rate"] == Decimal("0.70")  # Guangdong keeps the national one


def test_an_emptied_field_returns_to_the_national_target(cast, territory, login):
    KpiTarget.objects.create(metric="stability_rate", region=territory["sichuan"], value="0.8")
    login(cast["paul"]).post(URL, {"stability_rate": ""})
    assert not KpiTarget.objects.exists()


def test_each_target_set_changed_or_cleared_is_in_the_audit_trail(cast, territory, login):
    from crm.models import AuditEntry

    client = login(cast["paul"])
    client.post(URL, {"stability_rate": "80"})
    client.post(URL, {"stability_rate": "80"})  # the same again: nothing changed, nothing recorded
    client.post(URL, {"stability_rate": "85"})
    client.post(URL, {"stability_rate": ""})
    entries = AuditEntry.objects.filter(object_type="kpis.kpitarget").order_by("id")
    assert [(entry.action, entry.changes["value"]) for entry in entries] == [
        ("create", [None, "0.8000"]),
        ("update", ["0.8000", "0.8500"]),
        ("delete", ["0.8500", None]),
    ]
    assert {(entry.username, entry.region_path) for entry in entries} == {("paul", territory["sichuan"].path)}


def test_headquarters_set_the_national_targets(cast, territory, login):
    login(cast["hq"]).post(URL, {"member_coverage_rate": "30"})
    assert KpiTarget.objects.get().region == territory["root"]
    assert targets_for("510000")["member_coverage_rate"] == Decimal("0.3")


def test_a_rate_above_100_percent_is_refused_naming_the_field(cast, territory, login):
    client = login(cast["paul"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(URL, {"stability_rate": "150", "member_coverage_rate": "28"})
    assert response.status_code == 400
    field = response.context["form"]["stability_rate"]
    assert field.errors == ["Ensure this value is less than or equal to 100."]
    assert not KpiTarget.objects.exists()  # nothing saved, not even the valid field


def test_the_page_lists_the_computations(cast, territory, login, province):
    kpi_compute(period=OCTOBER)
    page = login(cast["paul"]).get(URL).content.decode()
    assert 'data-testid="kpi-runs"' in page and "2026-10" in page


@pytest.mark.parametrize("who", ["alice", "dora"])
def test_only_provincial_staff_and_headquarters_set_targets(cast, login, who):
    assert login(cast[who]).get(URL).status_code == 403
    assert login(cast[who]).post(URL, {"stability_rate": "1"}).status_code == 403


def test_an_anonymous_visitor_is_sent_to_log_in(db):
    assert Client().get(URL)["Location"].startswith("/login/")


def test_in_the_admin_provincial_staff_see_and_set_only_their_provinces_targets(cast, territory, login):
    cast["paul"].is_staff = True
    cast["paul"].save()
    KpiTarget.objects.create(metric="stability_rate", region=territory["root"], value="0.75")
    KpiTarget.objects.create(metric="stability_rate", region=territory["guangdong"], value="0.6")
    own = KpiTarget.objects.create(metric="stability_rate", region=territory["sichuan"], value="0.8")
    client = login(cast["paul"])
    listing = client.get("/admin/kpis/kpitarget/").content.decode()
    assert f"/admin/kpis/kpitarget/{own.pk}/change/" in listing
    assert listing.count("/change/") == 1
    response = client.post(
        "/admin/kpis/kpitarget/add/", {"metric": "member_coverage_rate", "region": "000000", "value": "0.3"}
    )
    assert response.context["adminform"].form.errors.get("region")  # the national targets are headquarters'
    assert not KpiTarget.objects.filter(metric="member_coverage_rate").exists()


def test_targets_changed_meanwhile_are_not_saved_over(cast, territory, login):
    client = login(cast["paul"])
    seen = client.get(URL).context["form"]["version"].value()
    login(cast["paul"]).post(URL, {"stability_rate": "85"})  # another page, meanwhile
    refused = client.post(URL, {"stability_rate": "80", "version": seen})
    assert refused.status_code == 400 and "data-conflicts" in refused.content.decode()
    assert [row[1:] for row in refused.context["form"].conflicts] == [("80", "85")]  # in percent, as the page shows
    assert KpiTarget.objects.get().value == Decimal("0.85")
    again = refused.context["form"].data["version"]
    assert client.post(URL, {"stability_rate": "80", "version": again}).status_code == 302
    assert KpiTarget.objects.get().value == Decimal("0.80")
