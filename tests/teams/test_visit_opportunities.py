"""The visit form finds opportunities (商机) and moves them on (issue 17, point 6): a title typed on the form is an
opportunity found by the visit; each of the customer's open opportunities can be moved to its next stage there;
both in the visit's transaction."""

from __future__ import annotations

import pytest
from django.utils import timezone

from campaigns.models import Opportunity, OpportunityStageChange
from teams.models import Visit
from tests.factories import CustomerFactory, OpportunityFactory

NEW_VISIT = "/customers/CD0001/visits/new/"


def _visit_data(**extra) -> dict:
    return {
        "visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "kind": "onsite",
        "visitor_role": "customer_manager",
        "summary": "上门拜访，了解专线需求。",
        **extra,
    }


@pytest.mark.django_db
def test_a_title_typed_on_the_visit_form_is_an_opportunity_found_by_the_visit(login, cast, customers):
    response = login(cast["alice"]).post(NEW_VISIT, _visit_data(new_opportunity="专线扩容至 500M"))
    assert response.status_code == 302
    visit = Visit.objects.get()
    opportunity = Opportunity.objects.get()
    assert (opportunity.title, opportunity.stage, opportunity.source) == ("专线扩容至 500M", "found", "visit")
    assert (opportunity.source_visit, opportunity.owner, opportunity.customer) == (
        visit,
        cast["alice"],
        customers["alice"],
    )


@pytest.mark.django_db
def test_the_customers_open_opportunities_move_on_from_the_visit_form(login, cast, customers):
    moving = OpportunityFactory(customer=customers["alice"], owner=cast["alice"], title="云视讯", stage="proposal")
    staying = OpportunityFactory(customer=customers["alice"], owner=cast["alice"], title="移动办公")
    won = OpportunityFactory(customer=customers["alice"], owner=cast["alice"], title="已签约", stage="won")
    client = login(cast["alice"])
    form = client.get(NEW_VISIT).context["form"]
    assert f"opportunity_{moving.pk}" in form.fields and f"opportunity_{staying.pk}" in form.fields
    assert f"opportunity_{won.pk}" not in form.fields  # not open any more
    assert "lost" not in dict(form.fields[f"opportunity_{moving.pk}"].choices)  # losing one needs a reason: its page
    data = _visit_data(**{f"opportunity_{moving.pk}": "negotiation", f"opportunity_{staying.pk}": "found"})
    assert client.post(NEW_VISIT, data).status_code == 302
    moving.refresh_from_db()
    staying.refresh_from_db()
    assert (moving.stage, staying.stage) == ("negotiation", "found")
    change = OpportunityStageChange.objects.get(opportunity=moving)
    assert (change.from_stage, change.to_stage, change.changed_by) == ("proposal", "negotiation", cast["alice"])


@pytest.mark.django_db
def test_an_opportunity_refused_saves_neither_it_nor_the_visit(login, cast, territory):
    # dora (department head, on no team) visits a customer that has no customer manager: nobody to own it.
    CustomerFactory(code="CD0050", region=territory["jinjiang"])
    response = login(cast["dora"]).post(
        "/customers/CD0050/visits/new/", _visit_data(visitor_role="", new_opportunity="专线")
    )
    assert response.status_code == 400
    assert not Visit.objects.exists() and not Opportunity.objects.exists()
    assert response.context["form"].errors


@pytest.mark.django_db
def test_changing_a_visit_shows_no_opportunity(login, cast, customers):
    OpportunityFactory(customer=customers["alice"], owner=cast["alice"])
    client = login(cast["alice"])
    client.post(NEW_VISIT, _visit_data())
    form = client.get(f"/visits/{Visit.objects.get().pk}/edit/").context["form"]
    assert "new_opportunity" not in form.fields
    assert not [name for name in form.fields if name.startswith("opportunity_")]
