"""A province that counts only verified on-site visits (外勤签到): the pure rule (`rules.visit_status(...,
verified_only=True)`) and the SQL condition the KPIs count with (`selectors.visits_met(..., verified_only_in)`) must
say the same of every customer, in that province and beside it in one that counts every visit; and so must the due
lists' statuses (`selectors.visit_statuses`), which learn of the province's choice through the slot kpis fills."""

from __future__ import annotations

import datetime
import random
from collections import Counter

import pytest
from django.db.models import Q
from django.utils import timezone

from accounts.models import Customer
from kpis.models import VisitCompliancePolicy
from kpis.selectors import verified_only_provinces
from teams.models import Visit
from teams.rules import VisitFact, period_bounds, visit_status
from teams.selectors import standards, visit_statuses, visits_met, visits_overdue
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

DAYS = [datetime.date(2026, 11, 30), datetime.date(2026, 12, 1), datetime.date(2026, 12, 15)]
KINDS = ["onsite", "onsite", "onsite", "phone", "internal"]
ROLES = ["customer_manager", "second_manager", "service_manager", ""]


def _ids(condition: Q) -> set[int]:
    return set(Customer.objects.filter(condition).values_list("pk", flat=True))


@pytest.fixture
def generated(territory):
    """160 customers of every tier, half in 四川 (counting only verified visits), half in 广东, each with up to six
    visits in the two months around DAYS, verified or not."""
    rng = random.Random(1717)
    tz = timezone.get_current_timezone()
    staff = UserFactory(region=territory["jinjiang"])
    facts: dict[int, list[VisitFact]] = {}
    rows = []
    for index in range(160):
        customer = CustomerFactory(region=territory["jinjiang" if index % 2 else "tianhe"])
        customer.tier = rng.choice(["A+", "A", "B", "C"])
        customer.save(update_fields=["tier"])
        facts[customer.pk] = []
        for _ in range(rng.choice([0, 1, 2, 3, 4, 6])):
            day = datetime.date(2026, 11, 1) + datetime.timedelta(days=rng.randrange(45))
            kind, role = rng.choice(KINDS), rng.choice(ROLES)
            verified = kind == "onsite" and rng.random() < 0.6
            rows.append(
                Visit(
                    customer=customer,
                    visited_at=datetime.datetime.combine(day, datetime.time(10), tzinfo=tz),
                    visitor=staff,
                    visitor_role=role,
                    kind=kind,
                    verified=verified,
                    summary="走访",
                )
            )
            facts[customer.pk].append(VisitFact(day, kind, role, verified=verified))
    Visit.objects.bulk_create(rows)
    return facts


def test_verified_only_agrees_between_the_pure_rule_and_sql(generated, territory):
    by_tier = standards()
    strict = [territory["sichuan"].path]
    customers = list(Customer.objects.select_related("region"))
    judged = Counter()
    for day in DAYS:
        met = _ids(visits_met(by_tier, day, strict))
        overdue = _ids(visits_overdue(by_tier, day, strict))
        for customer in customers:
            standard = by_tier[customer.tier]
            only_verified = customer.region.path.startswith(strict[0])
            status = visit_status(standard, generated[customer.pk], day, verified_only=only_verified)
            last_day = period_bounds(standard.period, day)[0] - datetime.timedelta(days=1)
            was_met = visit_status(standard, generated[customer.pk], last_day, verified_only=only_verified).met
            context = (day, customer.tier, only_verified, generated[customer.pk])
            assert (customer.pk in met) == status.met, context
            assert (customer.pk in overdue) == (not was_met), context
            judged[only_verified, status.met] += 1
    assert min(judged.values()) >= 10 and len(judged) == 4, judged


def test_without_a_strict_province_every_visit_counts_as_before(generated):
    by_tier = standards()
    assert _ids(visits_met(by_tier, DAYS[-1], [])) == _ids(visits_met(by_tier, DAYS[-1]))


def test_the_due_lists_statuses_follow_the_provinces_choice_as_the_kpi_does(generated, territory):
    VisitCompliancePolicy.objects.create(region=territory["sichuan"], verified_only=True)
    VisitCompliancePolicy.objects.create(region=territory["guangdong"], verified_only=False)
    by_tier = standards()
    customers = list(Customer.objects.select_related("region"))
    judged = Counter()
    for day in DAYS:
        met = _ids(visits_met(by_tier, day, verified_only_provinces()))
        statuses = visit_statuses([(c.pk, c.tier) for c in customers], day, by_tier)
        for customer in customers:
            only_verified = customer.region.path.startswith(territory["sichuan"].path)
            status = visit_status(by_tier[customer.tier], generated[customer.pk], day, verified_only=only_verified)
            context = (day, customer.tier, only_verified, generated[customer.pk])
            assert statuses[customer.pk] == status, context
            assert (customer.pk in met) == status.met, context
            judged[only_verified, status.met] += 1
    assert min(judged.values()) >= 10 and len(judged) == 4, judged
