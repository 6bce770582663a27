"""The recompute as staff run it: command, API, job runs, nightly fan-out, and the rule validation."""

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from accounts.models import Customer
from crm.celery import app as celery_app
from tiering.models import Rule, RuleSet, TierJobRun
from tiering.services import plan_chunks, tier_recompute
from tiering.tasks import tier_recompute_nightly

pytestmark = pytest.mark.django_db


@pytest.fixture
def tiered(customers):
    Customer.objects.filter(code="CD0001").update(handset_count=612)
    Customer.objects.filter(code="GZ0001").update(industry_id="J66")
    return customers


def test_command_recomputes_and_reports_progress(tiered):
    out = StringIO()
    call_command("recompute_tiers", stdout=out)
    assert "chunks 1/1" in out.getvalue()
    assert dict(Customer.objects.values_list("code", "tier")) == {
        "CD0001": "A",
        "CD0002": "B",
        "MY0001": "B",
        "GZ0001": "A",
    }
    run = TierJobRun.objects.get()
    assert (run.status, run.customers_seen, run.customers_changed) == ("succeeded", 4, 4)
    call_command("recompute_tiers", stdout=StringIO())
    assert TierJobRun.objects.first().customers_changed == 0


def test_command_for_one_region_touches_only_it(tiered):
    call_command("recompute_tiers", region="510100", stdout=StringIO())
    assert set(Customer.objects.exclude(tier=None).values_list("code", flat=True)) == {"CD0001", "CD0002"}


def test_command_rejects_an_unknown_region(tiered):
    with pytest.raises(CommandError, match="999999"):
        call_command("recompute_tiers", region="999999", stdout=StringIO())


def test_a_province_with_its_own_published_rules_uses_them(tiered, territory):
    own = RuleSet.objects.create(
        scope=territory["sichuan"],
        version=1,
        name="四川省分级规则",
        status="published",
        effective_on=datetime.date(2026, 1, 1),
    )
    Rule.objects.create(rule_set=own, tier="A+", field="handset_count", operator="gte", threshold=Decimal("600"))
    tier_recompute(scope=territory["root"])
    tiers = dict(Customer.objects.values_list("code", "tier"))
    assert tiers["CD0001"] == "A+"  # Sichuan's own rule
    assert tiers["CD0002"] == "C"  # Sichuan's set has no B rule for 120 handsets
    assert tiers["GZ0001"] == "A"  # Guangdong keeps the national rules
    assert Customer.objects.get(code="CD0001").tier_rule_set == own


def test_a_failing_chunk_is_recorded_and_others_keep_their_results(tiered, territory, monkeypatch):
    from tiering import services

    real = services.apply_rules
    calls = []

    def flaky(customers, rules, rule_set_id, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("disk full")
        return real(customers, rules, rule_set_id, **kwargs)

    monkeypatch.setattr(services, "apply_rules", flaky)
    monkeypatch.setattr(services, "CHUNK_SIZE", 1)
    chunks = list(plan_chunks(territory["root"], chunk_size=1))
    run = services.tier_recompute(scope=territory["root"])
    assert run.status == "failed" and len(run.errors) == 1 and "disk full" in run.errors[0]["error"]
    assert run.chunks_done == run.chunks_total == len(chunks)
    first = chunks[0]
    assert Customer.objects.get(pk=first.first_id).tier is None  # its chunk rolled back whole
    assert Customer.objects.exclude(pk=first.first_id).filter(tier=None).count() == 0


def test_nightly_fans_out_chunks_and_records_the_run(tiered, monkeypatch):
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    from tiering import services

    monkeypatch.setattr(services, "CHUNK_SIZE", 2)
    run_id = tier_recompute_nightly.delay().get()
    run = TierJobRun.objects.get(pk=run_id)
    assert run.source == "nightly" and run.status == "succeeded"
    assert run.chunks_total >= 2 and run.chunks_done == run.chunks_total
    assert run.customers_seen == 4
    assert not Customer.objects.filter(status="active", tier=None).exists()


# -- API ---------------------------------------------------------------------------------------------------------


def test_tier_endpoint_says_why(api, cast, tiered):
    call_command("recompute_tiers", stdout=StringIO())
    body = api(cast["alice"]).get("/api/v1/customers/CD0001/tier/").json()
    assert body["tier"] == "A"
    assert [reason["text"] for reason in body["reasons"]] == ["handset_count 612 ≥ 500"]
    assert body["rule_set"]["version"] == 1 and body["rule_set"]["scope"] == "000000"
    assert body["override"] is None
    listed = api(cast["alice"]).get("/api/v1/customers/CD0001/").json()
    assert listed["tier"] == "A" and listed["tier_reasons"][0]["field"] == "handset_count"


def test_tier_endpoint_visibility(api, cast, tiered):
    assert APIClient().get("/api/v1/customers/CD0001/tier/").status_code == 401
    assert api(cast["bob"]).get("/api/v1/customers/CD0001/tier/").status_code == 404
    assert api(cast["gd_paul"]).get("/api/v1/customers/CD0001/tier/").status_code == 404


def test_recompute_endpoint_is_for_provincial_staff_and_keeps_to_their_province(api, cast, tiered, monkeypatch):
    from crm.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)  # no broker: run here, answered when done
    assert APIClient().post("/api/v1/tiering/recompute/").status_code == 401
    assert api(cast["alice"]).post("/api/v1/tiering/recompute/").status_code == 403
    assert api(cast["dora"]).post("/api/v1/tiering/recompute/").status_code == 403
    body = api(cast["paul"]).post("/api/v1/tiering/recompute/").json()
    assert body["scope"] == "510000" and body["customers_seen"] == 3 and body["status"] == "succeeded"
    assert Customer.objects.get(code="GZ0001").tier is None
    body = api(cast["hq"]).post("/api/v1/tiering/recompute/").json()
    assert body["scope"] == "000000" and body["customers_changed"] == 1


def test_customer_page_shows_the_tier_and_why(login, cast, tiered):
    call_command("recompute_tiers", stdout=StringIO())
    html = login(cast["alice"]).get("/customers/CD0001/").content.decode()
    assert "手机数量 612 ≥ 500" in html and "handset_count" not in html
    assert "全国默认分级规则 v1" in html


# -- rule validation ---------------------------------------------------------------------------------------------


def national():
    return RuleSet.objects.get(scope_id="000000")


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"field": "handset_count", "operator": "gte", "threshold": Decimal("-1")}, "threshold"),
        ({"field": "handset_count", "operator": "gte", "threshold": None}, "threshold"),
        ({"field": "handset_count", "operator": "in", "threshold": Decimal("1")}, "operator"),
        ({"field": "is_tax_top500", "operator": "gte", "threshold": Decimal("1")}, "operator"),
        ({"field": "industry", "operator": "in", "industries": ["J66", "X99"]}, "industries"),
        ({"field": "industry", "operator": "in", "industries": []}, "industries"),
        ({"field": "shoe_size", "operator": "gte", "threshold": Decimal("1")}, "field"),
        ({"field": "handset_count", "operator": "approx", "threshold": Decimal("1")}, "operator"),
    ],
)
def test_bad_rules_are_field_errors(territory, rule, field):
    candidate = Rule(rule_set=national(), tier="B", **rule)
    with pytest.raises(ValidationError) as exc:
        candidate.full_clean()
    assert field in exc.value.message_dict


def test_every_change_of_tier_is_appended_to_the_history(tiered):
    from tiering.models import TierChange

    call_command("recompute_tiers", stdout=StringIO())
    first = TierChange.objects.get(customer__code="CD0001")
    assert (first.from_tier, first.to_tier, first.source) == ("", "A", "manual")
    assert first.rule_set.version == 1
    call_command("recompute_tiers", stdout=StringIO())
    assert TierChange.objects.count() == 4  # nothing changed, nothing appended
    Customer.objects.filter(code="CD0001").update(handset_count=150)
    call_command("recompute_tiers", stdout=StringIO())
    latest = TierChange.objects.filter(customer__code="CD0001").first()
    assert (latest.from_tier, latest.to_tier) == ("A", "B")
    assert TierChange.objects.filter(customer__code="CD0001").count() == 2


def test_customer_page_shows_the_tier_history(login, cast, tiered):
    call_command("recompute_tiers", stdout=StringIO())
    html = login(cast["alice"]).get("/customers/CD0001/").content.decode()
    history = html[html.index('data-testid="tier-history"') :].split("</ul>")[0]
    assert "tier-A" in history and "手动重算" in history


def test_an_edit_re_evaluates_the_customer_at_once(api, cast, tiered):
    call_command("recompute_tiers", stdout=StringIO())
    assert Customer.objects.get(code="CD0002").tier == "B"
    response = api(cast["hq"]).patch("/api/v1/customers/CD0002/", {"handset_count": 640}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["tier"] == "A"
    assert [reason["value"] for reason in body["tier_reasons"]] == [640]
    change = Customer.objects.get(code="CD0002").tier_changes.first()
    assert (change.from_tier, change.to_tier, change.source) == ("B", "A", "manual")


def test_a_new_customer_has_its_tier_from_the_start(login, cast, territory):
    client = login(cast["alice"])
    response = client.post(
        "/customers/new/",
        {
            "code": "CD0100",
            "name": "成都新建银行支行",
            "industry": "J66",
            "region": "510104",
            "list_level": "city",
            "handset_count": 10,
            "employee_count": 20,
            "monthly_spend": "0",
            "informatization_revenue": "0",
            "status": "active",
        },
    )
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    customer = Customer.objects.get(code="CD0100")
    assert customer.tier == "A" and customer.tier_reasons[0]["value"] == "J66"
