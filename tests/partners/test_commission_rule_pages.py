"""The commission rules page (酬金规则, issue 20): provincial staff list the national rules and their province's, add,
change and end their province's through the services the API uses, with the same refusals; the months of approved
settlements keep what their rules paid."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from crm.models import AuditEntry
from partners import months
from partners.models import CommissionRule

from .commissions import BEFORE, LAST, PERIOD, rule

pytestmark = pytest.mark.django_db

THIS_MONTH = timezone.localdate().replace(day=1)


def _share(**values) -> dict:
    return {
        "scope": "510000",
        "partner_kind": "sales_agent",
        "product": "CLOUD_VIDEO",
        "basis": "revenue_share",
        "rate": "8.00",
        "months": "6",
        "amount": "",
        "valid_from": months.format_month(THIS_MONTH),
        "valid_until": "",
        **values,
    }


def test_staff_list_their_provinces_rules_and_the_national_ones(login, cast, territory):
    national = rule("revenue_share", "sales_agent", "CLOUD_VIDEO", rate=Decimal("10"), months=3)
    own = rule("one_off", "solution_provider", "CLOUD_VIDEO", scope="510000", amount=Decimal("800"))
    other = rule("one_off", "solution_provider", "CLOUD_VIDEO", scope="440000", amount=Decimal("500"))
    html = login(cast["paul"]).get("/partners/commission-rules/").content.decode()
    assert f'data-rule="{national.pk}"' in html and f'data-rule="{own.pk}"' in html
    assert f'data-rule="{other.pk}"' not in html
    # paul keeps Sichuan's rule, not the national one
    assert html.count('data-testid="edit-rule"') == 1 and f"/partners/commission-rules/{own.pk}/" in html
    assert 'data-testid="add-rule"' in html and 'data-testid="nav-commission-rules"' in html
    filtered = login(cast["paul"]).get("/partners/commission-rules/?basis=one_off").content.decode()
    assert f'data-rule="{own.pk}"' in filtered and f'data-rule="{national.pk}"' not in filtered
    hq = login(cast["hq"]).get("/partners/commission-rules/").content.decode()
    assert hq.count('data-testid="edit-rule"') == 3


def test_the_rules_are_linked_from_the_settlements(login, cast):
    html = login(cast["paul"]).get("/partners/settlements/").content.decode()
    assert 'data-testid="to-commission-rules"' in html


def test_staff_add_a_rule_of_their_province(login, cast, territory):
    client = login(cast["paul"])
    assert 'data-testid="rule-form"' in client.get("/partners/commission-rules/new/").content.decode()
    response = client.post("/partners/commission-rules/new/", _share())
    assert response.status_code == 302, response.content.decode()
    added = CommissionRule.objects.get()
    assert (added.scope_id, added.rate, added.months, added.valid_from) == ("510000", Decimal("8.00"), 6, THIS_MONTH)
    assert added.created_by == cast["paul"]
    assert AuditEntry.objects.filter(object_type="partners.commissionrule", object_id=str(added.pk)).exists()


def test_a_negative_rate_is_refused_naming_the_field_and_nothing_is_saved(login, cast, territory):
    page = login(cast["paul"]).post(
        "/partners/commission-rules/new/", _share(rate="-5"), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-field="rate"' in html and "-5" in html and "不能为负" in html
    assert not CommissionRule.objects.exists()


def test_a_bad_month_and_a_field_the_basis_does_not_take_are_named(login, cast, territory):
    client = login(cast["paul"])
    html = client.post("/partners/commission-rules/new/", _share(valid_from="2026-13")).content.decode()
    assert 'data-field="valid_from"' in html
    html = client.post("/partners/commission-rules/new/", _share(amount="100")).content.decode()
    assert 'data-field="amount"' in html
    assert not CommissionRule.objects.exists()


def test_provincial_staff_cannot_give_a_rule_a_national_scope(login, cast, territory):
    html = login(cast["paul"]).post("/partners/commission-rules/new/", _share(scope="000000")).content.decode()
    assert 'data-field="scope"' in html and not CommissionRule.objects.exists()


def test_staff_change_and_end_their_rule(login, cast, territory):
    own = rule("revenue_share", "sales_agent", "CLOUD_VIDEO", scope="510000", rate=Decimal("8"), months=6)
    client = login(cast["paul"])
    form = client.get(f"/partners/commission-rules/{own.pk}/").content.decode()
    assert 'data-testid="end-form"' in form
    response = client.post(f"/partners/commission-rules/{own.pk}/", _share(rate="9.50", valid_from="2026-01"))
    assert response.status_code == 302
    own.refresh_from_db()
    assert own.rate == Decimal("9.50")
    response = client.post(f"/partners/commission-rules/{own.pk}/end/", {"valid_until": PERIOD})
    assert response.status_code == 302
    own.refresh_from_db()
    assert own.valid_until == LAST


def test_a_rule_of_an_approved_month_keeps_what_it_paid(login, cast, provider, computed):
    """The provider's settlement of LAST is approved: its rules cannot change in that month, only from the next."""
    client = login(cast["paul"])
    approve = client.post(
        f"/partners/settlements/{computed.pk}/approve/", {"computed_at": computed.computed_at.isoformat()}
    )
    assert approve.status_code == 302
    share = CommissionRule.objects.get(basis="revenue_share")
    share.scope_id = "510000"
    share.save()
    page = client.get(f"/partners/commission-rules/{share.pk}/").content.decode()
    assert 'data-testid="frozen-until"' in page
    changed = client.post(
        f"/partners/commission-rules/{share.pk}/",
        _share(partner_kind="solution_provider", rate="20.00", months="12", valid_from=months.format_month(BEFORE)),
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert changed.status_code == 200 and 'data-field="valid_from"' in changed.content.decode()
    ended = client.post(f"/partners/commission-rules/{share.pk}/end/", {"valid_until": months.format_month(BEFORE)})
    assert ended.status_code == 200 and 'data-field="valid_until"' in ended.content.decode()
    share.refresh_from_db()
    assert (share.rate, share.valid_until) == (Decimal("10.00"), None)
    # ending it with the approved month (it paid that month, and pays no more) is allowed
    assert client.post(f"/partners/commission-rules/{share.pk}/end/", {"valid_until": PERIOD}).status_code == 302


def test_national_rules_are_read_not_kept_by_provincial_staff(login, cast, territory):
    national = rule("revenue_share", "sales_agent", "CLOUD_VIDEO", rate=Decimal("10"), months=3)
    client = login(cast["paul"])
    assert client.get(f"/partners/commission-rules/{national.pk}/").status_code == 403
    assert client.post(f"/partners/commission-rules/{national.pk}/end/", {"valid_until": PERIOD}).status_code == 403
    national.refresh_from_db()
    assert national.valid_until is None


def test_others_are_refused_outsiders_get_404_anonymous_sign_in(client, login, cast, territory):
    own = rule("one_off", "solution_provider", "CLOUD_VIDEO", scope="510000", amount=Decimal("800"))
    assert login(cast["gd_paul"]).get(f"/partners/commission-rules/{own.pk}/").status_code == 404
    assert login(cast["alice"]).get("/partners/commission-rules/").status_code == 403
    assert login(cast["alice"]).get("/partners/commission-rules/new/").status_code == 403
    assert login(cast["dora"]).post("/partners/commission-rules/new/", _share()).status_code == 403
    for path in ("/partners/commission-rules/", f"/partners/commission-rules/{own.pk}/"):
        response = client.get(path)
        assert response.status_code == 302 and "/login/" in response["Location"]
    assert CommissionRule.objects.count() == 1
