"""seed_demo: a realistic province, idempotent, with the tier mix the default rules expect."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, F
from django.test import override_settings
from django.utils import timezone

from accounts.models import Customer, GroupMember, KeyPerson, StatusPeriod
from accounts.rules import vip_level_for
from accounts.validators import uscc_error
from campaigns.selectors import customer_coverage
from crm.models import Department, Region, User
from kpis.models import KpiSnapshot
from teams.models import TeamRole, Visit
from tiering.models import TierChange

pytestmark = pytest.mark.django_db

N = 3000

# The default national rule set of SPEC §4.1, written out here independently of the product's tiering code.
A_INDUSTRIES = {
    "S91",
    "S92",
    "S93",
    "S94",
    "S95",
    "S96",
    "R86",
    "R87",
    "I63",
    "G60",
    "J66",
    "D44",
    "D45",
    "D46",
    "G53",
    "G54",
    "G56",
}


def default_tier(c: Customer) -> str:
    if (
        c.handset_count >= 500
        or c.monthly_spend >= Decimal("100000")
        or c.is_tax_top500
        or c.is_major_influence
        or c.industry_id in A_INDUSTRIES
    ):
        return "A"
    if c.handset_count >= 100 or c.monthly_spend >= Decimal("20000") or c.industry_id in {"J67", "J68"}:
        return "B"
    return "C"


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The province seeded once for the module, as Django's `setUpTestData` does: in a transaction around the
    module's tests, each of which runs in a savepoint of its own, rolled back at the end."""
    fast_hashing = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), transaction.atomic(), fast_hashing:  # the hasher the tests check with
        out = StringIO()
        call_command("seed_demo", customers=N, stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


def test_seed_builds_the_province(seeded):
    assert Customer.objects.count() == N
    assert Region.objects.filter(level="city", parent_id="510000").count() == 21
    for city in ("510100", "510600", "510700", "511500"):
        assert Region.objects.filter(level="county", parent_id=city).count() >= 6
    # every city has counties: a profile is complete only in a county or a grid
    for city in Region.objects.filter(level="city", parent_id="510000"):
        assert Region.objects.filter(level="county", parent=city).count() >= 3, city.name
    assert Region.objects.filter(level="grid").count() >= 10
    assert Region.objects.get(code="510104").name == "锦江区"
    assert Department.objects.count() == 22  # one per city plus the provincial department


def test_every_role_has_a_demo_login_printed(seeded):
    for username, role in [
        ("admin", "hq_admin"),
        ("sc_staff", "provincial_staff"),
        ("cd_head", "department_head"),
        ("cd_am01", "account_manager"),
    ]:
        assert User.objects.get(username=username).role == role
        assert username in seeded
    assert "Demo@2026crm" in seeded
    assert User.objects.get(username="cd_am01").check_password("Demo@2026crm")


def test_seed_is_idempotent(seeded):
    counts = (
        Customer.objects.count(),
        KeyPerson.objects.count(),
        GroupMember.objects.count(),
        User.objects.count(),
        TeamRole.objects.count(),
        Region.objects.count(),
    )
    out = StringIO()
    call_command("seed_demo", customers=N, stdout=out)
    assert (
        Customer.objects.count(),
        KeyPerson.objects.count(),
        GroupMember.objects.count(),
        User.objects.count(),
        TeamRole.objects.count(),
        Region.objects.count(),
    ) == counts
    assert "cd_am01" in out.getvalue()


def test_default_rules_would_give_roughly_5_25_70(seeded):
    tiers = [default_tier(c) for c in Customer.objects.filter(status="active")]
    share = {tier: tiers.count(tier) / len(tiers) for tier in "ABC"}
    assert 0.03 <= share["A"] <= 0.08, share
    assert 0.20 <= share["B"] <= 0.30, share
    assert 0.64 <= share["C"] <= 0.76, share


def test_seeded_tiers_are_the_rules_and_start_the_history_as_imports(seeded):
    tiered = Customer.objects.filter(tier__isnull=False)
    assert tiered.count() == Customer.objects.filter(status="active").count()
    assert all(customer.tier == default_tier(customer) for customer in tiered)
    history = TierChange.objects.filter(customer__in=tiered)
    assert history.count() == tiered.count()
    assert set(history.values_list("source", "from_tier")) == {("import", "")}
    assert not TierChange.objects.filter(customer__tier__isnull=True).exists()


def test_customer_managers_carry_40_to_70_customers(seeded):
    loads = (
        TeamRole.objects.filter(role="customer_manager")
        .values("user")
        .annotate(n=Count("id"))
        .values_list("n", flat=True)
    )
    loads = list(loads)
    assert Customer.objects.count() == sum(loads)  # every customer has its customer manager
    assert max(loads) <= 70
    # Only the last manager of each city may carry a remainder below 40; some are above 50 (overloaded).
    assert sum(1 for n in loads if n < 40) <= 21
    assert any(n > 50 for n in loads)


def test_data_is_valid_and_realistic(seeded):
    sample = list(Customer.objects.select_related("region")[:300])
    for customer in sample:
        customer.full_clean()
        assert customer.uscc is None or uscc_error(customer.uscc) is None
    assert all(all("\u4e00" <= ch <= "\u9fff" for ch in c.name) for c in sample)  # Chinese names only
    members = GroupMember.objects.filter(customer__status="active", left_on__isnull=True)
    on_net = members.filter(on_net=True).count() / members.count()
    assert 0.8 <= on_net <= 0.95
    # some members left within the year, none in the future
    left = GroupMember.objects.filter(left_on__isnull=False)
    assert left.exists()
    assert not left.filter(left_on__gt=timezone.localdate()).exists()
    assert left.filter(left_on__lt=timezone.localdate() - timedelta(days=180)).exists()
    for member in members[:500]:
        assert member.vip_level == vip_level_for(member.arpu)
    industries = Customer.objects.values("industry_id").distinct().count()
    assert industries >= 40


def test_visits_meet_the_standard_of_part_of_the_customers_and_none_is_in_the_future(seeded):
    from django.utils import timezone

    from teams import selectors
    from teams.models import Visit

    assert not Visit.objects.filter(visited_at__gt=timezone.now()).exists()
    tiered = list(Customer.objects.filter(tier__isnull=False).values_list("pk", "tier"))
    statuses = selectors.visit_statuses(tiered)
    met = sum(status.met for status in statuses.values()) / len(statuses)
    assert 0.3 < met < 0.9
    manager = User.objects.get(username="cd_am01")
    assert selectors.due_visit_count(manager) > 0


def test_the_demo_has_a_year_of_history_and_its_kpi_snapshots(seeded):
    # every customer's status has a history, and its open period matches the status it has
    assert StatusPeriod.objects.filter(ends_on__isnull=True).count() == N
    mismatched = StatusPeriod.objects.filter(ends_on__isnull=True).exclude(status=F("customer__status"))
    assert not mismatched.exists()
    assert StatusPeriod.objects.filter(
        status="churned", starts_on__gte=timezone.localdate() - timedelta(days=366)
    ).exists()
    # visits in each of the last 12 months, and the snapshots of those months for the dashboards' trend
    months = {
        visit.astimezone(timezone.get_current_timezone()).strftime("%Y-%m")
        for visit in Visit.objects.values_list("visited_at", flat=True)
    }
    assert len(months) == 12
    assert KpiSnapshot.objects.values("period").distinct().count() == 12
    assert "KPIs of " in seeded


def test_active_customers_hold_products_with_every_kind_of_coverage(seeded):
    holders = Customer.objects.filter(holdings__isnull=False).distinct()
    assert set(holders.values_list("status", flat=True)) == {"active"}
    assert holders.count() > N * 0.5
    statuses = set()
    for customer in holders.order_by("id")[:300]:
        statuses |= {item.status for item in customer_coverage(customer)}
    assert statuses == {"uncovered", "fake", "thin", "covered"}


def test_every_department_and_the_demo_manager_have_opportunities(seeded):
    from campaigns.models import Opportunity
    from crm.models import Department
    from demo.seed import DEMO_MANAGER

    assert "opportunities across the departments" in seeded
    for department in Department.objects.exclude(region__code="510000").select_related("region"):
        assert Opportunity.objects.filter(customer__region__path__startswith=department.region.path).exists()
    mine = Opportunity.objects.filter(owner__username=DEMO_MANAGER)
    assert mine.count() >= 3 and mine.values("stage").distinct().count() >= 2


# -- a demo that looks like a province (issue 18, point 11) ---------------------------------------------------------

# Plausible bands of the latest month's figures, for the province and for every city (SPEC §7 targets: coverage
# 27 %, profiles 95 % (A+/A/B) and 80 % (C), authenticity 100 %, visits 100 %).
PROVINCE_BANDS = {
    "member_coverage_rate": (0.22, 0.32),
    "archive_rate_ab": (0.88, 0.98),
    "archive_rate_c": (0.74, 0.88),
    "member_authenticity_rate": (0.86, 0.97),
    "team_completeness_rate": (0.85, 1.0),
    "visit_compliance_rate": (0.55, 0.97),
}
CITY_BANDS = {
    "member_coverage_rate": (0.12, 0.45),
    "archive_rate_ab": (0.8, 1.0),
    "archive_rate_c": (0.6, 0.97),
    "member_authenticity_rate": (0.75, 1.0),
    "visit_compliance_rate": (0.4, 1.0),
}


def _latest(metric: str, least: int = 0) -> dict[str, Decimal]:
    """The latest month's values by region, of the regions with at least `least` in the denominator."""
    period = KpiSnapshot.objects.order_by("-period").values_list("period", flat=True).first()
    rows = KpiSnapshot.objects.filter(kind="region", period=period, metric=metric, denominator__gte=least)
    return dict(rows.values_list("region_id", "value"))


def _trend(metric: str) -> list[Decimal]:
    rows = KpiSnapshot.objects.filter(kind="region", region_id="510000", metric=metric).order_by("period")
    return list(rows.values_list("value", flat=True))


def test_the_demo_looks_like_a_province(seeded):
    """Issue 18, point 11: the headline KPIs near their targets with cities on both sides, trend lines that move,
    and a first recompute that changes nobody. One test, as each seeds a province."""
    from kpis.metrics import METRICS
    from tiering.models import TierJobRun

    cities = set(Region.objects.filter(level="city", parent_id="510000").values_list("code", flat=True))
    for metric, (low, high) in PROVINCE_BANDS.items():
        assert low <= _latest(metric)["510000"] <= high, (metric, _latest(metric)["510000"])
    for metric, (low, high) in CITY_BANDS.items():
        # the cities with enough customers to count (a small city of a 3 000-customer demo has a dozen in tier B)
        values = [value for code, value in _latest(metric, least=40).items() if code in cities]
        assert len(values) >= 5, metric
        assert all(low <= value <= high for value in values), (metric, values)
        assert max(values) - min(values) >= Decimal("0.03"), (metric, values)  # a spread between cities
    coverage = [value for code, value in _latest("member_coverage_rate", least=1000).items() if code in cities]
    assert min(coverage) < Decimal("0.27") <= max(coverage), coverage  # cities on both sides of the target
    profiles = [value for code, value in _latest("archive_rate_c", least=40).items() if code in cities]
    assert min(profiles) < Decimal("0.8") <= max(profiles), profiles

    # the trend lines move: only the tier shares, which the KPIs read as they stand today, may stay flat
    assert len(set(KpiSnapshot.objects.order_by().values_list("period", flat=True))) == 12
    moving = {metric.code for metric in METRICS if len(set(_trend(metric.code))) > 1}
    assert len(moving) >= 12, moving
    assert moving >= {
        "informatization_revenue",
        "member_coverage_rate",
        "member_authenticity_rate",
        "archive_rate_ab",
        "archive_rate_c",
        "team_completeness_rate",
        "visit_compliance_rate",
        "opportunity_discovery_rate",
    }, moving
    # informatization grows over the year, read from the months' bills
    revenue = _trend("informatization_revenue")
    assert revenue[-1] > revenue[0] * Decimal("1.1"), revenue
    # profiles fill in over the year as customers get their managers
    profiles_ab = _trend("archive_rate_ab")
    assert profiles_ab[-1] - profiles_ab[0] >= Decimal("0.03"), profiles_ab

    # the first recompute after seeding changes no tier, no reason and no member's VIP level
    history = TierChange.objects.count()
    reasons = dict(Customer.objects.values_list("pk", "tier_reasons"))
    out = StringIO()
    call_command("recompute_tiers", stdout=out)
    run = TierJobRun.objects.latest("pk")
    assert run.status == "succeeded", run.errors
    assert (run.customers_seen, run.customers_changed, run.members_changed) == (N, 0, 0), out.getvalue()
    assert TierChange.objects.count() == history
    assert dict(Customer.objects.values_list("pk", "tier_reasons")) == reasons


def test_the_demo_has_arrears_and_their_collection_cases(seeded):
    """Issue 21: a Chengdu branch of the national bank owes ¥86 000 and its case is its billing and second managers';
    other customers owe more or less, the large ones under a case, a couple already chased."""
    from arrears.models import ArrearsCase, ArrearsOutcome, CustomerArrears
    from crm.models import Notification

    case = ArrearsCase.objects.select_related("customer").get(customer__code__startswith="BANK0001-5101")
    assert case.opened_amount == Decimal("86000.00") and case.closed_on is None
    assert case.billing_manager is not None and case.second_manager is not None
    told = Notification.objects.filter(kind="arrears_case").values_list("recipient_id", flat=True)
    assert {case.billing_manager_id, case.second_manager_id} <= set(told)
    assert ArrearsCase.objects.count() >= 4
    assert CustomerArrears.objects.count() > ArrearsCase.objects.count()  # small arrears open no case
    assert set(ArrearsOutcome.objects.values_list("kind", flat=True)) == {"promised", "disputed"}


def test_issue_21_done_means_on_the_demo(seeded):
    """Issue 21's Done means, walked through the API on the seeded demo: the national bank's headquarters and its 30
    branches in four cities are one group its headquarters' account team sees whole; the 成都 branch's arrears of
    ¥86 000 are a case of its billing and second managers; the grid manager of 春熙路网格 (锦江区) files three
    prospects, one flagged as the duplicate of a customer, and converts another; the province's revenue of 集团彩铃
    stands against its target."""
    from rest_framework.test import APIClient

    def client(username: str) -> APIClient:
        api = APIClient()
        api.force_authenticate(User.objects.get(username=username))
        return api

    # One group, seen whole from its headquarters' account team, across four cities.
    bank = Customer.objects.get(code="BANK0001")
    branches = Customer.objects.filter(code__startswith="BANK0001-")
    assert branches.count() == 30
    assert len({branch.region.path.split("/")[2] for branch in branches.select_related("region")}) == 4
    hq = client("hq_bank_am")
    group = hq.get("/api/v1/customers/", {"search": "BANK0001", "page_size": 100}).json()
    assert {row["code"] for row in group["results"]} >= {bank.code, *branches.values_list("code", flat=True)}
    assert hq.get(f"/api/v1/customers/{bank.code}/").json()["children_count"] > 0

    # The 成都 branch's arrears: ¥86 000 under an open case of its billing and second managers.
    from arrears.models import CustomerArrears

    chengdu = CustomerArrears.objects.get(customer__code__startswith="BANK0001-5101", amount=86000).customer
    case = TeamRole.objects.filter(customer=chengdu, role__in=["billing_manager", "second_manager"])
    collector = case.select_related("user").first().user
    arrears = client(collector.username).get(f"/api/v1/customers/{chengdu.code}/arrears/").json()
    assert Decimal(arrears["amount"]) == Decimal("86000.00")
    assert arrears["case"]["status"] == "open" and arrears["case"]["due_on"]

    # The grid manager files three prospects, one a customer's duplicate, and converts another.
    grid = client("cd_grid01")
    known = Customer.objects.filter(region_id="510104-G01").exclude(uscc=None).first()
    filed = [
        grid.post(
            "/api/v1/prospects/",
            {"name": name, "region": "510104-G01", "address": f"成都市锦江区春熙路{number}号", **extra},
            format="json",
        )
        for number, (name, extra) in enumerate(
            (
                ("成都蓉新文化传播有限公司", {}),
                ("成都锦悦餐饮管理有限公司", {"latitude": 30.657, "longitude": 104.081}),
                (f"{known.name}（分店）", {"uscc": known.uscc}),
            ),
            start=101,
        )
    ]
    assert [response.status_code for response in filed] == [201, 201, 201], [r.content for r in filed]
    flagged = [response.json()["possible_duplicates"] for response in filed]
    assert [bool(found) for found in flagged] == [False, False, True]
    assert flagged[2][0]["code"] == known.code
    duplicate = filed[2].json()["id"]
    refused = grid.post(f"/api/v1/prospects/{duplicate}/convert/", {"code": "NEW0000001"}, format="json")
    assert refused.status_code == 400
    chosen = filed[1].json()["id"]
    assert grid.post(f"/api/v1/prospects/{chosen}/claim/", {}, format="json").status_code == 200
    converted = grid.post(f"/api/v1/prospects/{chosen}/convert/", {"code": "NEW0000002"}, format="json")
    assert converted.status_code == 201, converted.content
    customer = Customer.objects.get(code="NEW0000002")
    assert (customer.name, customer.region_id, customer.status) == ("成都锦悦餐饮管理有限公司", "510104-G01", "active")
    assert (customer.latitude, customer.longitude) == (30.657, 104.081)

    # The province's dashboard: 集团彩铃's revenue against its target.
    revenue = client("sc_staff").get("/api/v1/kpis/product-revenue/", {"region": "510000"}).json()
    rows = revenue["results"] if isinstance(revenue, dict) else revenue
    crbt = next(row for row in rows if row["product"] == "GROUP_CRBT")
    assert Decimal(crbt["revenue"]) > 0 and crbt["year_target"] is not None and crbt["year_share"] is not None
