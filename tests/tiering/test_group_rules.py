"""Tier rules on a group's roll-up (issue 21, point 2): `group_handset_count`, the handsets of the whole group a
customer belongs to (its top headquarters and every branch below), in the pure function, in the set-based
recompute (the group totals built once per statement, nothing more when no rule reads them), in the simulation,
the rule form, the reasons and an import's new customers."""

from __future__ import annotations

import random
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from accounts.models import Customer
from tiering.bulk import GROUP_TOTALS_TABLE, apply_rules, new_customer_tier_sql
from tiering.models import Rule, RuleSet
from tiering.reasons import reason_display, reason_words
from tiering.rules import RuleSpec, evaluate, rule_values
from tiering.services import rule_set_draft_create

from .samples import rule_sets
from .test_bulk import normalised
from .test_rule_pages import formset_data

pytestmark = pytest.mark.django_db

D = Decimal


def group_totals() -> dict[int, int]:
    """Customer id → its group's handsets, worked out in Python from the parents (cycles left out, as in SQL)."""
    rows = {
        pk: (parent, handsets) for pk, parent, handsets in Customer.objects.values_list("pk", "parent", "handset_count")
    }

    def top(pk: int) -> int | None:
        seen = set()
        while rows[pk][0] is not None:
            if pk in seen:
                return None  # a cycle: no top
            seen.add(pk)
            pk = rows[pk][0]
        return pk

    tops = {pk: top(pk) for pk in rows}
    sums: dict[int, int] = {}
    for pk, root in tops.items():
        if root is not None:
            sums[root] = sums.get(root, 0) + rows[pk][1]
    in_group = {parent for parent, _handsets in rows.values() if parent is not None} | {
        pk for pk, (parent, _handsets) in rows.items() if parent is not None
    }
    return {pk: sums[tops[pk]] for pk in in_group if tops[pk] is not None}


def group_rules(national) -> list[list[RuleSpec]]:
    return [
        [*national.specs(), RuleSpec("A", "group_handset_count", "gte", D("2000"), rule_id=911)],
        [
            *national.specs(),
            RuleSpec("A+", "group_handset_count", "gt", D("6000"), rule_id=912),
            RuleSpec("B", "group_handset_count", "lt", D("150"), rule_id=913),
            RuleSpec("A", "group_handset_count", "lte", D("99"), rule_id=914),
        ],
    ]


@pytest.fixture
def grouped(generated):
    """The generated customers in groups of one to four levels (a third of them left alone) and one cycle of two,
    which the services refuse but the data may hold."""
    rng = random.Random(2121)
    pks = [customer.pk for customer in generated]
    rng.shuffle(pks)
    placed: list[int] = []
    for pk in pks[: len(pks) * 2 // 3]:
        if placed and rng.random() < 0.8:
            Customer.objects.filter(pk=pk).update(parent_id=rng.choice(placed[-12:]))
        placed.append(pk)
    first, second = pks[-2:]
    Customer.objects.filter(pk=first).update(parent_id=second)
    Customer.objects.filter(pk=second).update(parent_id=first)
    return generated


# -- the pure function -----------------------------------------------------------------------------------------------


def test_the_pure_function_reads_the_group_total_given_and_the_own_handsets_without_one():
    rules = [RuleSpec("A", "group_handset_count", "gte", D("1000"), rule_id=1)]
    values = {"status": "active", "industry": None, "handset_count": 10}
    assert evaluate({**values, "group_handset_count": 1200}, rules).tier == "A"
    assert evaluate({**values, "group_handset_count": 999}, rules).tier == "C"
    assert evaluate(values, rules).tier == "C"  # in no group: its own 10
    assert evaluate({**values, "handset_count": 1000}, rules).tier == "A"
    (reason,) = evaluate({**values, "group_handset_count": 1200}, rules).reasons
    assert (reason["field"], reason["value"], reason["threshold"]) == ("group_handset_count", 1200, "1000")


def test_rule_values_give_the_group_total_or_the_own_handsets():
    customer = Customer(status="active", handset_count=7)
    assert rule_values(customer)["group_handset_count"] == 7
    assert rule_values(customer, 900)["group_handset_count"] == 900


def test_a_group_reason_reads_with_its_name_and_value():
    reason = {"field": "group_handset_count", "operator": "gte", "value": 12345, "threshold": "10000.00"}
    with translation.override("zh-hans"):
        assert reason_display(reason, reason_words(industries={})) == "集团手机总数 12 345 ≥ 10 000"
    with translation.override("en"):
        assert reason_display(reason, reason_words(industries={})) == "Group handset count 12 345 ≥ 10 000"


# -- the set-based recompute -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", [0, 1])
def test_bulk_recompute_with_group_totals_agrees_with_the_pure_function(grouped, variant):
    national, _variants = rule_sets()
    rules = group_rules(national)[variant]
    apply_rules(Customer.objects.all(), rules, national.pk)
    totals = group_totals()
    assert len(totals) > 150 and any(total >= 2000 for total in totals.values())
    for customer in Customer.objects.all():
        values = rule_values(customer, totals.get(customer.pk))
        expected = evaluate(values, rules)
        assert customer.tier == expected.tier, values
        assert normalised(customer.tier_reasons) == normalised(expected.reasons), values


def test_a_part_of_the_customers_is_recomputed_with_the_whole_groups_totals(grouped):
    national, _variants = rule_sets()
    rules = group_rules(national)[0]
    totals = group_totals()
    some = [pk for pk in totals][:20]
    apply_rules(Customer.objects.filter(pk__in=some), rules, national.pk)
    for customer in Customer.objects.filter(pk__in=some):
        assert customer.tier == evaluate(rule_values(customer, totals[customer.pk]), rules).tier


def test_a_rerun_writes_nothing_and_a_branchs_handsets_move_its_whole_group(grouped):
    national, _variants = rule_sets()
    rules = [*national.specs(), RuleSpec("A+", "group_handset_count", "gte", D("50000"), rule_id=915)]
    apply_rules(Customer.objects.all(), rules, national.pk)
    rows = "SELECT id, ctid FROM accounts_customer ORDER BY id"
    postgres = connection.vendor == "postgresql"
    if postgres:  # a row rewritten gets a new ctid, heap-only or not
        with connection.cursor() as cursor:
            cursor.execute(rows)
            before = cursor.fetchall()
    assert apply_rules(Customer.objects.all(), rules, national.pk) == 0
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute(rows)
            assert cursor.fetchall() == before

    head = Customer.objects.filter(parent=None, status="active", children__status="active").distinct().first()
    branch = Customer.objects.filter(parent=head).first()
    members = [head.pk, *Customer.objects.filter(parent=head).values_list("pk", flat=True)]
    Customer.objects.filter(pk=branch.pk).update(handset_count=60000)
    changed = apply_rules(Customer.objects.all(), rules, national.pk)
    active = Customer.objects.filter(pk__in=members, status="active")
    assert changed >= active.count() > 1
    assert set(active.values_list("tier", flat=True)) == {"A+"}
    (reason,) = [r for r in active.get(pk=head.pk).tier_reasons if r["field"] == "group_handset_count"]
    assert reason["value"] == group_totals()[head.pk] >= 60000


def test_a_cycle_counts_its_own_handsets(grouped):
    national, _variants = rule_sets()
    cycle = [c.pk for c in Customer.objects.exclude(parent=None).select_related("parent") if c.parent.parent_id == c.pk]
    assert len(cycle) == 2
    Customer.objects.filter(pk__in=cycle).update(status="active")
    rules = [RuleSpec("A", "group_handset_count", "gte", D("0"), rule_id=916)]
    apply_rules(Customer.objects.all(), rules, national.pk)
    for customer in Customer.objects.filter(pk__in=cycle):
        (reason,) = customer.tier_reasons
        assert reason["value"] == customer.handset_count


def test_the_group_totals_are_built_once_and_only_when_a_rule_reads_them(grouped):
    national, (rules, extra) = rule_sets()
    for plain in (rules, extra, []):
        with CaptureQueriesContext(connection) as queries:
            apply_rules(Customer.objects.all(), plain, national.pk)
        sql = " ".join(query["sql"] for query in queries.captured_queries)
        assert GROUP_TOTALS_TABLE not in sql and "RECURSIVE" not in sql.upper()
    with CaptureQueriesContext(connection) as queries:
        apply_rules(Customer.objects.all(), group_rules(national)[1], national.pk)
    built = [q["sql"] for q in queries.captured_queries if q["sql"].startswith(f"INSERT INTO {GROUP_TOTALS_TABLE}")]
    assert len(built) == 1
    assert any(GROUP_TOTALS_TABLE in q["sql"] and "UPDATE" in q["sql"] for q in queries.captured_queries)
    assert queries.captured_queries[-1]["sql"] == f"DROP TABLE IF EXISTS {GROUP_TOTALS_TABLE}"


def test_a_rule_set_without_the_group_rule_compiles_to_the_same_statement_as_before(grouped):
    """The statement of a rule set without a group rule is the one it was before the field existed: its rules'
    expressions compile to the plain column tests, with the same SQL as `group_totals=False` gives."""
    from tiering.bulk import reasons_expression, tier_expression

    national, (_rules, extra) = rule_sets()
    queryset = Customer.objects.all()
    for build in (tier_expression, reasons_expression):
        with_totals = str(queryset.annotate(x=build(extra)).query)
        without = str(queryset.annotate(x=build(extra, group_totals=False)).query)
        assert with_totals == without and GROUP_TOTALS_TABLE not in with_totals


def test_a_new_customer_of_an_import_reads_its_own_handsets():
    national_rules = [RuleSpec("A", "group_handset_count", "gte", D("500"), rule_id=917)]
    sqls = new_customer_tier_sql(national_rules, "s")
    assert all(GROUP_TOTALS_TABLE not in sql for sql, _params in sqls.values())
    assert connection.ops.quote_name("handset_count") in sqls["tier"][0]


# -- the rule form and the simulation --------------------------------------------------------------------------------


def test_a_group_rule_is_a_number_compared_with_a_threshold(territory):
    national = RuleSet.objects.get(scope_id="000000", status="published")
    rule = Rule(rule_set=national, tier="A", field="group_handset_count", operator="is_true")
    with pytest.raises(ValidationError) as error:
        rule.full_clean()
    assert "operator" in error.value.message_dict
    rule.operator, rule.threshold = "gte", None
    with pytest.raises(ValidationError) as error:
        rule.full_clean()
    assert "threshold" in error.value.message_dict
    rule.threshold = D("1000")
    rule.full_clean()


def test_the_draft_form_takes_a_group_rule_and_the_simulation_moves_the_whole_group(login, cast, group):
    Customer.objects.filter(code__startswith="BANK").update(handset_count=300)  # 1 200 for the group
    call_command("recompute_tiers", stdout=StringIO())
    assert Customer.objects.get(code="BANK51").tier == "B"
    client = login(cast["paul"])
    draft = rule_set_draft_create(user=cast["paul"])

    def group_rule(index, fields):
        if fields["tier"] == "A" and fields["field"] == "handset_count":
            fields["field"], fields["threshold"] = "group_handset_count", "1000"

    response = client.post(f"/tiering/rule-sets/{draft.pk}/", formset_data(draft, group_rule))
    assert response.status_code == 302
    assert draft.rules.filter(field="group_handset_count", threshold=1000).exists()
    page = client.get(f"/tiering/rule-sets/{draft.pk}/", {"simulate": 1})
    assert "集团手机总数" in page.content.decode()
    movers = {customer.code: customer for customer in page.context["movers"]}
    # Paul sees Sichuan's: the headquarters in 锦江 and both Sichuan branches; 广州's branch is not in the scope
    assert {"BANK00", "BANK51", "BANK5107"} <= set(movers)
    assert "BANK44" not in movers
    assert "集团手机总数 1 200 ≥ 1 000" in page.content.decode()
    assert Customer.objects.get(code="BANK51").tier == "B"  # a simulation changes nothing


def test_the_nightly_run_in_small_chunks_gives_each_customer_its_whole_groups_total(grouped, monkeypatch):
    """Each chunk sums the groups its customers are in, whole, wherever their other members are."""
    from tiering import services

    monkeypatch.setattr(services, "CHUNK_SIZE", 7)
    national = RuleSet.objects.get(scope_id="000000", status="published")
    national.rules.create(tier="A+", field="group_handset_count", operator="gte", threshold=D("3000"))
    rules = national.specs()
    call_command("recompute_tiers", stdout=StringIO())
    totals = group_totals()
    for customer in Customer.objects.all():
        expected = evaluate(rule_values(customer, totals.get(customer.pk)), rules)
        assert customer.tier == expected.tier
        assert normalised(customer.tier_reasons) == normalised(expected.reasons)


def test_an_edited_customer_is_refreshed_with_its_groups_total(group):
    from tiering.services import tier_refresh

    national = RuleSet.objects.get(scope_id="000000", status="published")
    national.rules.create(tier="A+", field="group_handset_count", operator="gte", threshold=D("1000"))
    Customer.objects.filter(code__startswith="BANK").update(handset_count=200)
    branch = Customer.objects.get(code="BANK5107")
    assert tier_refresh(customer=branch).tier != "A+"  # 800 for the group
    Customer.objects.filter(code="BANK44").update(handset_count=400)  # another branch, in 广州
    branch = tier_refresh(customer=branch)
    assert branch.tier == "A+"
    assert [(r["field"], r["value"]) for r in branch.tier_reasons] == [("group_handset_count", 1000)]
