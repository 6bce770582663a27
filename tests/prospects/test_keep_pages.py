"""The pool's claim rules and the new-customer targets kept from the browser (issue 21): provincial staff their
province's, headquarters the national rule and any region's; department heads read their region's targets; every
other role refused (403), another province's 404, the anonymous sent to log in. Bad input: the field named, nothing
written. The targets page shows each target's new customers of the year and the share reached, each count a link
to its customers."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import Customer
from crm.models import AuditEntry
from prospects import selectors, services
from prospects.models import ClaimRule, NewCustomerTarget
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db
RULES = reverse("prospects:claim-rules")
TARGETS = reverse("prospects:targets")
YEAR = timezone.localdate().year


@pytest.fixture
def gina(territory):
    return UserFactory(username="gina", role="grid_manager", region=territory["grid"])


@pytest.fixture
def targets(territory):
    rows = {
        key: NewCustomerTarget.objects.create(region=territory[key], year=YEAR, target=target)
        for key, target in (("sichuan", 22900), ("chengdu", 4000), ("grid", 4), ("mianyang", 900), ("guangdong", 30000))
    }
    NewCustomerTarget.objects.create(region=territory["chengdu"], year=YEAR - 1, target=3000)
    return rows


def errors(response) -> dict[str, list[str]]:
    form = response.context["form"]
    return {name: list(messages) for name, messages in form.errors.items()}


# -- who may come ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [RULES, TARGETS])
def test_the_anonymous_are_sent_to_log_in(client, url):
    for response in (client.get(url), client.post(url, {"max_claimed": 5})):
        assert response.status_code == 302
        assert reverse("login") in response["Location"]


@pytest.mark.parametrize("who", ["alice", "gina"])
def test_account_and_grid_managers_are_refused_both_pages(login, cast, gina, who):
    user = gina if who == "gina" else cast[who]
    for url in (RULES, TARGETS):
        assert login(user).get(url).status_code == 403
        assert login(user).post(url, {"region": "510104-G01", "year": YEAR, "target": 5}).status_code == 403
    assert not NewCustomerTarget.objects.exists()


def test_a_department_head_reads_their_regions_targets_and_changes_none(login, cast, targets):
    client = login(cast["dora"])  # heads the 成都 department
    assert client.get(RULES).status_code == 403
    page = client.get(TARGETS)
    assert page.status_code == 200
    assert [row.region.code for row in page.context["rows"]] == ["510100", "510104-G01"]
    assert not page.context["may_keep"]
    assert b'data-testid="target-form"' not in page.content
    assert client.post(TARGETS, {"region": "510100", "year": YEAR, "target": 1}).status_code == 403
    assert NewCustomerTarget.objects.get(region_id="510100", year=YEAR).target == 4000


def test_provincial_staff_see_their_provinces_targets_not_anothers(login, cast, targets):
    codes = [row.region.code for row in login(cast["paul"]).get(TARGETS).context["rows"]]
    assert codes == ["510000", "510100", "510104-G01", "510700"]
    codes = [row.region.code for row in login(cast["gd_paul"]).get(TARGETS).context["rows"]]
    assert codes == ["440000"]
    assert [row.region.code for row in login(cast["hq"]).get(TARGETS).context["rows"]] == [
        "440000",
        "510000",
        "510100",
        "510104-G01",
        "510700",
    ]
    last_year = login(cast["paul"]).get(TARGETS, {"year": YEAR - 1}).context["rows"]
    assert [(row.region.code, row.target) for row in last_year] == [("510100", 3000)]


def test_another_provinces_claim_rule_is_404_to_provincial_staff(login, cast):
    assert login(cast["paul"]).get(RULES, {"region": "440000"}).status_code == 404
    data = {"region": "440000", "max_claimed": 5, "return_after_days": 7}
    assert login(cast["paul"]).post(RULES, data).status_code == 404
    assert not ClaimRule.objects.exists()


# -- claim rules ----------------------------------------------------------------------------------------------------


def test_provincial_staff_set_their_provinces_claim_rule(login, cast, territory):
    client = login(cast["paul"])
    page = client.get(RULES)
    assert page.status_code == 200 and page.context["region"] == territory["sichuan"]
    response = client.post(RULES, {"max_claimed": "12", "return_after_days": "21"})
    assert response.status_code == 302
    rule = ClaimRule.objects.get(region=territory["sichuan"])
    assert (rule.max_claimed, rule.return_after_days) == (12, 21)
    assert selectors.claim_limits(territory["grid"]) == selectors.ClaimLimits(12, 21)
    entry = AuditEntry.objects.get(object_type="prospects.claimrule")
    assert (entry.action, entry.username, entry.changes) == (
        "create",
        "paul",
        {"max_claimed": [None, 12], "return_after_days": [None, 21]},
    )
    # both empty: the province's own rule goes, the national default applies again
    assert client.post(RULES, {"max_claimed": "", "return_after_days": ""}).status_code == 302
    assert not ClaimRule.objects.exists()
    assert AuditEntry.objects.filter(object_type="prospects.claimrule", action="delete").count() == 1


@pytest.mark.parametrize(
    "data, field",
    [
        ({"max_claimed": "0", "return_after_days": "30"}, "max_claimed"),
        ({"max_claimed": "-3", "return_after_days": "30"}, "max_claimed"),
        ({"max_claimed": "ten", "return_after_days": "30"}, "max_claimed"),
        ({"max_claimed": "10", "return_after_days": "0"}, "return_after_days"),
        ({"max_claimed": "10", "return_after_days": ""}, "return_after_days"),
        ({"max_claimed": "", "return_after_days": "30"}, "max_claimed"),
        ({"max_claimed": "99999999999999999999", "return_after_days": "30"}, "max_claimed"),
    ],
)
def test_a_bad_claim_rule_names_the_field_and_writes_nothing(login, cast, data, field):
    response = login(cast["paul"]).post(RULES, data)
    assert response.status_code == 400
    assert list(errors(response)) == [field]
    assert b'data-testid="form-errors"' in response.content
    assert not ClaimRule.objects.exists()
    assert not AuditEntry.objects.filter(object_type="prospects.claimrule").exists()


def test_headquarters_keep_the_national_rule_and_any_provinces(login, cast, territory):
    client = login(cast["hq"])
    assert client.get(RULES).context["region"] == territory["root"]
    assert client.post(RULES, {"max_claimed": "40", "return_after_days": "45"}).status_code == 302
    assert client.post(RULES, {"region": "440000", "max_claimed": "8", "return_after_days": "14"}).status_code == 302
    assert dict(ClaimRule.objects.values_list("region_id", "max_claimed")) == {"000000": 40, "440000": 8}
    page = client.get(RULES)
    assert [rule.region_id for rule in page.context["province_rules"]] == ["440000"]
    assert selectors.claim_limits(territory["chengdu"]) == selectors.ClaimLimits(40, 45)  # the national one


def test_provincial_staff_cannot_set_the_national_rule(cast, territory):
    with pytest.raises(PermissionDenied):
        services.claim_rule_set(user=cast["paul"], region=territory["root"], max_claimed=5, return_after_days=5)
    with pytest.raises(PermissionDenied):
        services.claim_rule_set(user=cast["paul"], region=territory["guangdong"], max_claimed=5, return_after_days=5)
    with pytest.raises(ValidationError) as refused:
        services.claim_rule_set(user=cast["paul"], region=territory["chengdu"], max_claimed=5, return_after_days=5)
    assert "region" in refused.value.message_dict  # a city: rules are per province
    assert not ClaimRule.objects.exists()


# -- new-customer targets -------------------------------------------------------------------------------------------


def test_provincial_staff_set_a_target_of_a_region_of_their_province(login, cast, territory):
    client = login(cast["paul"])
    response = client.post(TARGETS, {"region": "510104", "year": YEAR, "target": "120"})
    assert response.status_code == 302
    assert NewCustomerTarget.objects.get(region=territory["jinjiang"], year=YEAR).target == 120
    assert client.post(TARGETS, {"region": "510104", "year": YEAR, "target": "150"}).status_code == 302
    entries = AuditEntry.objects.filter(object_type="prospects.newcustomertarget").order_by("id")
    assert [(e.action, e.changes) for e in entries] == [
        ("create", {"target": [None, 120]}),
        ("update", {"target": [120, 150]}),
    ]
    # an empty target removes it
    assert client.post(TARGETS, {"region": "510104", "year": YEAR, "target": ""}).status_code == 302
    assert not NewCustomerTarget.objects.exists()


@pytest.mark.parametrize(
    "data, field",
    [
        ({"region": "440100", "year": YEAR, "target": "10"}, "region"),  # 广州: another province's
        ({"region": "999999", "year": YEAR, "target": "10"}, "region"),  # no such region
        ({"region": "000000", "year": YEAR, "target": "10"}, "region"),  # the national root: not theirs
        ({"region": "", "year": YEAR, "target": "10"}, "region"),
        ({"region": "510100", "year": "1999", "target": "10"}, "year"),
        ({"region": "510100", "year": "twenty", "target": "10"}, "year"),
        ({"region": "510100", "year": YEAR, "target": "-1"}, "target"),
        ({"region": "510100", "year": YEAR, "target": "1.5"}, "target"),
        ({"region": "510100", "year": YEAR, "target": "99999999999999999999"}, "target"),
    ],
)
def test_a_bad_target_names_the_field_and_writes_nothing(login, cast, data, field):
    response = login(cast["paul"]).post(TARGETS, data)
    assert response.status_code == 400
    assert list(errors(response)) == [field]
    assert not NewCustomerTarget.objects.exists()
    assert not AuditEntry.objects.filter(object_type="prospects.newcustomertarget").exists()


def test_headquarters_set_a_national_level_is_refused_by_level(login, cast):
    response = login(cast["hq"]).post(TARGETS, {"region": "000000", "year": YEAR, "target": "10"})
    assert response.status_code == 400
    assert "region" in errors(response)
    assert login(cast["hq"]).post(TARGETS, {"region": "440106", "year": YEAR, "target": "10"}).status_code == 302


def test_the_service_refuses_a_region_outside_the_territory(cast, territory):
    with pytest.raises(PermissionDenied):
        services.new_customer_target_set(user=cast["paul"], region=territory["tianhe"], year=YEAR, target=3)
    with pytest.raises(PermissionDenied):
        services.new_customer_target_set(user=cast["dora"], region=territory["chengdu"], year=YEAR, target=3)
    assert not NewCustomerTarget.objects.exists()


# -- progress ---------------------------------------------------------------------------------------------------------


def test_each_target_shows_the_new_customers_of_the_year_and_links_to_them(login, cast, targets, territory):
    CustomerFactory(code="CD0101", region=territory["grid"])
    CustomerFactory(code="CD0102", region=territory["wuhou"])
    old = CustomerFactory(code="CD0103", region=territory["grid"])
    Customer.objects.filter(pk=old.pk).update(created_at=timezone.now().replace(year=YEAR - 1))
    CustomerFactory(code="GZ0101", region=territory["tianhe"])
    page = login(cast["paul"]).get(TARGETS)
    rows = {row.region.code: (row.achieved, row.target, row.share_pct) for row in page.context["rows"]}
    assert rows["510000"][:2] == (2, 22900)
    assert rows["510100"][:2] == (2, 4000)
    assert rows["510104-G01"] == (1, 4, 25)
    assert rows["510700"][:2] == (0, 900)
    link = f"{reverse('accounts:customer-list')}?region=510104-G01&amp;created_in={YEAR}"
    assert link.encode() in page.content
    listed = login(cast["paul"]).get(reverse("accounts:customer-list"), {"region": "510100", "created_in": YEAR})
    assert sorted(customer.code for customer in listed.context["page"].object_list) == ["CD0101", "CD0102"]


def test_the_targets_page_costs_the_same_whatever_the_number_of_regions(
    login, cast, targets, territory, django_assert_max_num_queries
):
    client = login(cast["paul"])
    client.get(TARGETS)
    with django_assert_max_num_queries(12) as counted:
        client.get(TARGETS)
    before = len(counted.captured_queries)
    for key in ("jinjiang", "wuhou", "fucheng"):
        NewCustomerTarget.objects.create(region=territory[key], year=YEAR, target=10)
    with django_assert_max_num_queries(before) as counted:
        client.get(TARGETS)


def test_the_customer_list_refuses_a_bad_year_without_a_server_error(login, cast):
    response = login(cast["paul"]).get(reverse("accounts:customer-list"), {"created_in": "nineteen"})
    assert response.status_code == 200
    assert response.context["filter"].errors.get("created_in")
    assert not response.context["page"].object_list


def test_the_pool_and_grid_pages_link_to_the_kept_pages(login, cast, gina, territory):
    pool = login(cast["paul"]).get(reverse("prospects:list")).content.decode()
    assert reverse("prospects:claim-rules") in pool and TARGETS in pool
    dora_pool = login(cast["dora"]).get(reverse("prospects:list")).content.decode()
    assert TARGETS in dora_pool and RULES not in dora_pool
    assert RULES not in login(gina).get(reverse("prospects:list")).content.decode()
    grid = login(cast["paul"]).get(reverse("kpis:grid", args=["510104-G01"])).content.decode()
    assert TARGETS in grid and RULES in grid


@pytest.mark.parametrize("query", [{"year": "²"}, {"target": "²"}, {"year": "9" * 40, "target": "9" * 40}])
def test_the_targets_page_takes_a_malformed_year_or_target_without_a_server_error(login, cast, query):
    """Digits that `str.isdigit` takes but `int` refuses ("²"), and huge numbers: the page shows this year, never a
    server error."""
    page = login(cast["paul"]).get(TARGETS, query)
    assert page.status_code == 200
    assert page.context["year"] == YEAR
