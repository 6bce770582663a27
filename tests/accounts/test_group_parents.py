"""A branch's parent group where its reader does not see the parent (§2: a customer outside what one sees does not
exist for them), one lookup of a parent given by its code, and a group's roll-up added up in the database with its
branches paged (issue 21, point 2; the `group` fixture)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts import selectors, services
from accounts.forms import CustomerForm
from accounts.models import Customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def below_mianyang(group):
    """A branch of the 绵阳 branch filed in 武侯 (成都): dora (成都's head) sees it and the headquarters, not the
    绵阳 branch between them."""
    return CustomerFactory(code="BANK510701", region=group["sichuan"].region, parent=group["mianyang"])


# -- the parent's code, only when the reader sees the parent ----------------------------------------------------------


def test_the_api_names_no_parent_the_caller_does_not_see(group, cast, api):
    # gd_paul (广东) sees the 广州 branch, not its headquarters
    assert api(cast["gd_paul"]).get("/api/v1/customers/BANK44/").json()["parent"] is None
    listed = api(cast["gd_paul"]).get("/api/v1/customers/", {"search": "BANK"}).json()["results"]
    assert {row["code"]: row["parent"] for row in listed} == {"BANK44": None}
    # bob sees the Sichuan branch, not the headquarters above it
    assert api(cast["bob"]).get("/api/v1/customers/BANK51/").json()["parent"] is None
    assert api(cast["bob"]).get("/api/v1/customers/BANK5107/").json()["parent"] == "BANK51"
    assert api(group["hq_am"]).get("/api/v1/customers/BANK44/").json()["parent"] == "BANK00"


def test_an_intermediate_branch_the_caller_does_not_see_is_not_named(below_mianyang, cast, api, login):
    assert api(cast["dora"]).get("/api/v1/customers/BANK510701/").json()["parent"] is None
    page = login(cast["dora"]).get(reverse("accounts:customer-group", args=["BANK00"]))
    assert page.status_code == 200
    content = page.content.decode()
    assert 'data-branch="BANK510701"' in content and "BANK5107<" not in content and "BANK5107 " not in content
    assert "BANK5107" not in content.replace("BANK510701", "")


def test_the_serializer_reads_the_parent_seen_without_the_list_annotation(group, cast, rf):
    from accounts.api.serializers import CustomerSerializer

    request = rf.get("/")
    for user, expected in ((cast["gd_paul"], None), (group["hq_am"], "BANK00")):
        request.user = user
        customer = Customer.objects.get(code="BANK44")  # as a write returns it: no `parent_code`
        assert CustomerSerializer(customer, context={"request": request}).data["parent"] == expected


def test_the_customer_page_names_no_parent_the_reader_does_not_see(group, cast, login):
    branch = login(cast["gd_paul"]).get(reverse("accounts:customer-detail", args=["BANK44"])).content.decode()
    assert "BANK00" not in branch and 'data-testid="parent-group"' not in branch
    branch = login(group["hq_am"]).get(reverse("accounts:customer-detail", args=["BANK44"])).content.decode()
    assert 'data-testid="parent-group"' in branch and "BANK00" in branch


def test_writing_back_a_null_parent_keeps_a_parent_the_caller_does_not_see(group, cast, api):
    # bob, on the Sichuan branch's team, does not see its headquarters: the null he read, sent back, leaves the
    # branch in its group
    assert api(cast["bob"]).get("/api/v1/customers/BANK51/").json()["parent"] is None
    answer = api(cast["bob"]).patch("/api/v1/customers/BANK51/", {"parent": None, "name": "改名"}, format="json")
    assert answer.status_code == 200, answer.json()
    assert answer.json()["parent"] is None
    assert Customer.objects.get(code="BANK51").parent_id == group["head"].pk


def test_the_edit_form_neither_names_nor_drops_a_parent_the_user_does_not_see(group, cast, login):
    customer = Customer.objects.get(code="BANK51")
    assert "parent" not in CustomerForm(instance=customer, user=cast["bob"]).fields
    assert CustomerForm(instance=customer, user=cast["hq"]).initial["parent"] == "BANK00"
    page = login(cast["bob"]).get(reverse("accounts:customer-edit", args=["BANK51"]))
    assert page.status_code == 200 and "BANK00" not in page.content.decode()


# -- one lookup of a parent among the customers one sees ---------------------------------------------------------------


def test_the_api_the_form_and_the_service_look_the_parent_up_in_one_place(group, cast, customers, api, monkeypatch):
    asked = []
    lookup = selectors.customer_visible_by_code

    def spy(*, user, code):
        asked.append(code)
        return lookup(user=user, code=code)

    monkeypatch.setattr(selectors, "customer_visible_by_code", spy)
    answer = api(cast["alice"]).patch("/api/v1/customers/CD0001/", {"parent": "BANK44"}, format="json")
    assert answer.json()["parent"] == [selectors.parent_unknown("BANK44")]
    form = CustomerForm(instance=customers["alice"], user=cast["alice"])
    form.cleaned_data = {"parent": "BANK44"}
    with pytest.raises(Exception, match="BANK44"):
        form.clean_parent()
    with pytest.raises(Exception, match="BANK44"):
        services.customer_update(user=cast["alice"], customer=customers["alice"], data={"parent": group["guangzhou"]})
    assert asked == ["BANK44", "BANK44", "BANK44"]


# -- the roll-up ------------------------------------------------------------------------------------------------------


def test_the_rollup_adds_up_in_the_database_and_reads_no_branch_row(group, django_assert_max_num_queries):
    for n in range(30):
        CustomerFactory(
            code=f"BANKX{n:02d}", region=group["guangzhou"].region, parent=group["guangzhou"], handset_count=10
        )
    with django_assert_max_num_queries(4):
        rollup = selectors.group_rollup(user=group["hq_am"], customer=group["head"])
    assert rollup.branches._result_cache is None  # a query to page, never read whole
    assert rollup.branch_count == 33 and rollup.customers == 34
    assert rollup.handsets == group["head"].handset_count + sum(
        Customer.objects.filter(code__startswith="BANK").exclude(code="BANK00").values_list("handset_count", flat=True)
    )
    assert {area.code: area.branches for area in rollup.areas} == {"510100": 1, "510700": 1, "440100": 31}
    assert isinstance(rollup.monthly_spend, Decimal)


def test_the_rollup_counts_only_the_branches_the_reader_sees(below_mianyang, cast):
    rollup = selectors.group_rollup(user=cast["dora"], customer=Customer.objects.get(code="BANK00"))
    assert rollup.branch_count == 2 and {b.code for b in rollup.branches} == {"BANK51", "BANK510701"}


def test_the_group_page_pages_its_branches(group, login):
    for n in range(55):
        CustomerFactory(code=f"BANKX{n:02d}", region=group["guangzhou"].region, parent=group["guangzhou"])
    client = login(group["hq_am"])
    first = client.get(reverse("accounts:customer-group", args=["BANK00"]))
    assert first.content.decode().count("data-branch=") == 50
    assert first.context["group"].branch_count == 58
    second = client.get(reverse("accounts:customer-group", args=["BANK00"]), {"page": 2})
    assert second.content.decode().count("data-branch=") == 8


def test_the_customer_page_shows_the_groups_figures(group, login):
    head = login(group["hq_am"]).get(reverse("accounts:customer-detail", args=["BANK00"]))
    assert head.context["group"].branch_count == 3
    assert 'data-testid="group-rollup"' in head.content.decode()
