"""Provincial staff change a threshold in a draft, see who would move, publish, and the recompute follows."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import Customer
from tiering.models import RuleSet
from tiering.services import tier_override_set

pytestmark = pytest.mark.django_db


def formset_data(rule_set, change=None):
    """The rule set page's form as the browser would post it, with `change(index, rule_fields)` applied."""
    data = {
        "name": rule_set.name,
        "effective_on": rule_set.effective_on.isoformat(),
        "target_a_share": "5",
        "target_b_share": "25",
        "target_c_share": "70",
    }
    rules = list(rule_set.rules.order_by("id"))
    data.update(
        {
            "rules-TOTAL_FORMS": str(len(rules)),
            "rules-INITIAL_FORMS": str(len(rules)),
            "rules-MIN_NUM_FORMS": "0",
            "rules-MAX_NUM_FORMS": "1000",
        }
    )
    for index, rule in enumerate(rules):
        fields = {
            "id": str(rule.pk),
            "rule_set": str(rule_set.pk),
            "tier": rule.tier,
            "field": rule.field,
            "operator": rule.operator,
            "threshold": "" if rule.threshold is None else str(rule.threshold),
            "industries": ", ".join(rule.industries),
            "label": rule.label,
        }
        if change:
            change(index, fields)
        data.update({f"rules-{index}-{key}": value for key, value in fields.items()})
    return data


def lower_a_threshold_to_100(index, fields):
    if fields["tier"] == "A" and fields["field"] == "handset_count":
        fields["threshold"] = "100"


@pytest.fixture
def computed(customers):
    call_command("recompute_tiers", stdout=StringIO())
    return customers


def test_draft_simulate_publish_recompute(login, cast, computed):
    client = login(cast["paul"])
    response = client.post("/tiering/rule-sets/")
    draft = RuleSet.objects.get(scope_id="510000")
    assert response["Location"] == f"/tiering/rule-sets/{draft.pk}/"
    assert (draft.status, draft.version, draft.rules.count()) == ("draft", 1, 19)

    response = client.post(f"/tiering/rule-sets/{draft.pk}/", formset_data(draft, lower_a_threshold_to_100))
    assert response.status_code == 302
    assert draft.rules.get(tier="A", field="handset_count").threshold == 100

    page = client.get(f"/tiering/rule-sets/{draft.pk}/", {"simulate": 1})
    movers = {customer.code for customer in page.context["movers"]}
    assert movers == {"CD0001", "CD0002", "MY0001"}  # 120 handsets each: B → A; Guangdong is not in scope
    rows = {(row.code, row.level): row for row in page.context["simulation"].rows}
    assert rows["510100", "city"].up == 2 and rows["510100", "city"].then.counts["A"] == 2
    assert Customer.objects.get(code="CD0001").tier == "B"  # a simulation changes nothing

    preview = client.get(f"/tiering/rule-sets/{draft.pk}/", {"publish": 1})
    client.post(
        f"/tiering/rule-sets/{draft.pk}/", {"publish": "1", "confirm": "1", "version": preview.context["version"]}
    )
    draft.refresh_from_db()
    assert draft.status == "published"
    assert RuleSet.objects.get(scope_id="000000").status == "published"  # the national set stays for the rest
    call_command("recompute_tiers", stdout=StringIO())
    assert dict(Customer.objects.values_list("code", "tier")) == {
        "CD0001": "A",
        "CD0002": "A",
        "MY0001": "A",
        "GZ0001": "B",
    }


def test_simulation_leaves_out_customers_whose_override_holds_their_tier(login, cast, computed):
    cd0001 = Customer.objects.get(code="CD0001")
    tier_override_set(
        customer=cd0001, user=cast["paul"], tier="B", reason="合同约定", expires_on=date.today() + timedelta(days=30)
    )
    client = login(cast["paul"])
    client.post("/tiering/rule-sets/")
    draft = RuleSet.objects.get(scope_id="510000")
    client.post(f"/tiering/rule-sets/{draft.pk}/", formset_data(draft, lower_a_threshold_to_100))

    page = client.get(f"/tiering/rule-sets/{draft.pk}/", {"simulate": 1})
    assert {customer.code for customer in page.context["movers"]} == {"CD0002", "MY0001"}
    assert {(row.code, row.level): row for row in page.context["simulation"].rows}["510100", "city"].up == 1


def test_a_bad_rule_is_shown_on_its_field_and_nothing_is_saved(login, cast, computed):
    client = login(cast["paul"])
    client.post("/tiering/rule-sets/")
    draft = RuleSet.objects.get(scope_id="510000")

    def negative(index, fields):
        if index == 0:
            fields["threshold"] = "-5"

    response = client.post(f"/tiering/rule-sets/{draft.pk}/", formset_data(draft, negative))
    assert response.status_code == 200
    assert 'data-field="threshold"' in response.content.decode()
    assert not draft.rules.filter(threshold__lt=0).exists()


def test_published_national_rules_are_read_only_for_provincial_staff(login, cast, computed):
    national = RuleSet.objects.get(scope_id="000000")
    client = login(cast["paul"])
    assert client.get(f"/tiering/rule-sets/{national.pk}/").status_code == 200
    assert client.post(f"/tiering/rule-sets/{national.pk}/", formset_data(national)).status_code == 403
    assert client.post(f"/tiering/rule-sets/{national.pk}/", {"publish": "1"}).status_code == 403


def test_only_provincial_staff_and_headquarters_maintain_rules(login, cast, computed, client):
    assert login(cast["alice"]).get("/tiering/rule-sets/").status_code == 403
    assert login(cast["dora"]).get("/tiering/rule-sets/").status_code == 403
    assert client.get("/tiering/rule-sets/").status_code == 302
    other = RuleSet.objects.create(scope_id="440000", version=1, name="广东", effective_on="2026-01-01")
    assert login(cast["paul"]).get(f"/tiering/rule-sets/{other.pk}/").status_code == 404


def test_quota_report_flags_deviations_over_three_points(login, cast, computed):
    # Sichuan now: CD0001, CD0002, MY0001 all B (120 handsets) → B share 100 % against 25 %, A 0 % against 5 %.
    response = login(cast["paul"]).get("/tiering/quota/")
    rows = {row.code: row for row in response.context["rows"]}
    assert set(rows) == {"510000", "510100", "510700"}  # Guangdong is not Paul's
    sichuan = rows["510000"]
    assert sichuan.counts == {"A": 0, "B": 3, "C": 0}
    # each city counts its own customers, those filed in its districts and grids included
    assert rows["510100"].counts == {"A": 0, "B": 2, "C": 0} and rows["510700"].counts == {"A": 0, "B": 1, "C": 0}
    assert sichuan.shares["B"] == 100 and sichuan.flagged == {"A", "B", "C"}
    html = response.content.decode()
    assert 'data-flagged="510000-B"' in html
    # shares and targets written one way, as the simulation writes them (the `percent` filter): 目标 25.0%
    assert "100.0%" in html and "目标 25.0%" in html and "(25%)" not in html
    assert "偏差超过 3 个百分点" in html


def test_quota_within_tolerance_is_not_flagged():
    from decimal import Decimal

    from tiering.selectors import QuotaRow

    targets = {"A": Decimal("5"), "B": Decimal("25"), "C": Decimal("70")}
    assert QuotaRow("510000", "四川省", "province", {"A": 7, "B": 22, "C": 71}, targets).flagged == set()
    assert QuotaRow("510000", "四川省", "province", {"A": 9, "B": 21, "C": 70}, targets).flagged == {"A", "B"}


def test_recompute_runs_are_listed_for_provincial_staff(login, cast, computed):
    html = login(cast["paul"]).get("/tiering/rule-sets/").content.decode()
    runs = html[html.index('data-testid="runs"') :]
    assert "集团总部" in runs and ">4<" in runs  # the national run saw 4 customers


def test_recompute_button_runs_the_job_for_the_staff_territory(login, cast, customers, monkeypatch):
    from crm.celery import app as celery_app
    from tiering.models import TierJobRun

    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    response = login(cast["paul"]).post("/tiering/recompute/", {"confirm": "1", "scope": "510000"})
    assert response.status_code == 302 and response["Location"] == "/tiering/rule-sets/"
    run = TierJobRun.objects.get()
    assert (run.scope_id, run.source, run.triggered_by, run.status) == ("510000", "manual", cast["paul"], "succeeded")
    assert run.customers_seen == 3  # Sichuan's three, not Guangdong's
    assert Customer.objects.get(code="GZ0001").tier is None


def test_recompute_button_is_for_provincial_staff_only(client, login, cast, customers):
    assert login(cast["dora"]).post("/tiering/recompute/").status_code == 403
    assert login(cast["alice"]).post("/tiering/recompute/").status_code == 403
    assert client.post("/tiering/recompute/")["Location"].startswith("/login/")
    assert not Customer.objects.filter(tier__isnull=False).exists()


def test_a_draft_changed_meanwhile_is_neither_saved_nor_published_over_and_every_change_is_in_the_trail(
    login, cast, computed
):
    from crm.models import AuditEntry

    paul = login(cast["paul"])
    paul.post("/tiering/rule-sets/")
    draft = RuleSet.objects.get(scope_id="510000")
    created = AuditEntry.objects.get(object_type="tiering.ruleset", object_id=str(draft.pk), action="create")
    assert created.username == "paul" and len(created.changes["rules"][1]) == 19
    seen = paul.get(f"/tiering/rule-sets/{draft.pk}/").context["version"]
    # another staff member of the province saves the draft meanwhile
    other = login(cast["paul"])
    assert (
        other.post(f"/tiering/rule-sets/{draft.pk}/", formset_data(draft, lower_a_threshold_to_100)).status_code == 302
    )
    (saved,) = AuditEntry.objects.filter(object_type="tiering.ruleset", object_id=str(draft.pk), action="update")
    removed, added = saved.changes["rules"]
    assert len(set(removed) - set(added)) == 1 and len(set(added) - set(removed)) == 1  # the one rule changed

    # a save made on the version paul saw is refused with who and when; the targets he typed beside theirs
    data = formset_data(draft) | {"version": seen, "target_a_share": "6"}
    refused = paul.post(f"/tiering/rule-sets/{draft.pk}/", data)
    assert refused.status_code == 200 and "data-conflicts" in refused.content.decode()
    assert ("6", "5.00") in [(str(row[1]), str(row[2])) for row in refused.context["form"].conflicts]
    draft.refresh_from_db()
    assert draft.target_a_share == 5 and draft.rules.get(tier="A", field="handset_count").threshold == 100
    # publishing the version paul saw is refused too; the page now carries the draft's version, which publishes
    paul.post(f"/tiering/rule-sets/{draft.pk}/", {"publish": "1", "confirm": "1", "version": seen})
    draft.refresh_from_db()
    assert draft.status == "draft"
    now = refused.context["version"]
    assert now != seen
    paul.post(f"/tiering/rule-sets/{draft.pk}/", {"publish": "1", "confirm": "1", "version": now})
    draft.refresh_from_db()
    assert draft.status == "published"
    published = AuditEntry.objects.filter(object_type="tiering.ruleset", action="update", changes__status__isnull=False)
    assert {(entry.object_id, tuple(entry.changes["status"])) for entry in published} == {
        (str(draft.pk), ("draft", "published"))
    }  # Sichuan had no set of its own in force to retire
