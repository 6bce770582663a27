"""The pages of commissions (issue 20, point 3): provincial staff list a month's settlements, compute them, open one
with its lines and approve it; partner staff read their company's without a button; others are refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from partners import months
from partners.models import Settlement

from .commissions import LAST, PERIOD, USCCS, partner
from .test_partners import partner_user

pytestmark = pytest.mark.django_db


def test_staff_list_the_months_settlements_and_compute_them(login, cast, provider):
    client = login(cast["paul"])
    page = client.get(f"/partners/settlements/?period={PERIOD}")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="compute"' in html and 'data-testid="unsettled"' in html
    response = client.post("/partners/settlements/compute/", {"period": PERIOD})
    assert response.status_code == 302 and f"?period={PERIOD}&run=" in response["Location"]
    listed = client.get(response["Location"]).content.decode()
    assert 'data-testid="run-outcome"' in listed  # the embedded default has run the job by then
    settlement = Settlement.objects.get(partner=provider, period=LAST)
    assert f'data-settlement="{settlement.pk}"' in listed and "890.00" in listed
    assert 'data-testid="unsettled"' not in listed


def test_the_list_defaults_to_the_last_month_over_and_survives_a_bad_month(login, cast, provider, computed):
    client = login(cast["paul"])
    assert f'value="{PERIOD}"' in client.get("/partners/settlements/").content.decode()
    page = client.get("/partners/settlements/?period=2026-99", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200 and "YYYY-MM" in page.content.decode()
    current = months.format_month(timezone.localdate().replace(day=1))
    html = client.get(f"/partners/settlements/?period={current}").content.decode()
    assert 'data-testid="month-open"' in html and 'data-testid="compute" disabled' in html


def test_a_settlement_page_shows_its_lines_and_approves_once(login, cast, provider, computed):
    client = login(cast["paul"])
    html = client.get(f"/partners/settlements/{computed.pk}/").content.decode()
    assert html.count("data-line=") == 3 and 'data-testid="approve"' in html
    assert f"/api/v1/partners/{provider.pk}/settlements/export.xlsx?period={PERIOD}" in html
    response = client.post(
        f"/partners/settlements/{computed.pk}/approve/", {"computed_at": computed.computed_at.isoformat()}
    )
    assert response.status_code == 302
    computed.refresh_from_db()
    assert computed.is_approved and computed.approved_by == cast["paul"]
    html = client.get(f"/partners/settlements/{computed.pk}/").content.decode()
    assert 'data-testid="approve"' not in html and 'data-testid="approved-at"' in html
    again = client.post(f"/partners/settlements/{computed.pk}/approve/", follow=True, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "已审批" in again.content.decode()


def test_partner_staff_read_their_companys_settlements_without_a_button(login, cast, territory, provider, computed):
    own = login(partner_user(provider, territory, "pat"))
    listed = own.get("/partners/settlements/").content.decode()
    assert f'data-settlement="{computed.pk}"' in listed and 'data-testid="compute"' not in listed
    assert 'data-testid="nav-settlements"' in listed
    html = own.get(f"/partners/settlements/{computed.pk}/").content.decode()
    assert html.count("data-line=") == 3 and 'data-testid="approve"' not in html
    assert own.post(f"/partners/settlements/{computed.pk}/approve/").status_code == 403
    assert own.post("/partners/settlements/compute/", {"period": PERIOD}).status_code == 403
    other = partner(territory, "成都服务代理有限公司", ["service_agent"], USCCS["service"])
    stranger = login(partner_user(other, territory, "sam"))
    assert stranger.get(f"/partners/settlements/{computed.pk}/").status_code == 404
    assert f'data-settlement="{computed.pk}"' not in stranger.get("/partners/settlements/").content.decode()
    computed.refresh_from_db()
    assert computed.status == "draft" and computed.total == Decimal("890.00")


def test_others_are_refused_or_sent_to_sign_in(client, login, cast, computed):
    assert login(cast["carol"]).get(f"/partners/settlements/{computed.pk}/").status_code == 404
    assert login(cast["gd_paul"]).get(f"/partners/settlements/{computed.pk}/").status_code == 404
    assert login(cast["dora"]).get(f"/partners/settlements/{computed.pk}/").status_code == 403
    assert login(cast["alice"]).get("/partners/settlements/").status_code == 403
    response = client.get(f"/partners/settlements/{computed.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_navigation_links_the_settlements_for_provincial_staff(login, cast):
    assert 'data-testid="nav-settlements"' in login(cast["paul"]).get("/customers/").content.decode()
    assert 'data-testid="nav-settlements"' not in login(cast["dora"]).get("/customers/").content.decode()
