"""The pages of teams and visits: the visit form, due visits, team assignment, incomplete teams, load, reassign,
service standards. Every page that shows customer data: owner, colleague, other city, provincial staff, anonymous."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.utils import timezone

from teams.models import ServiceStandard, TeamRole, Visit, VisitKind
from tests.factories import CustomerFactory, TeamRoleFactory

NEW_VISIT = "/customers/CD0001/visits/new/"


@pytest.mark.django_db
def test_the_visit_form_comes_with_the_defaults_filled(login, cast, tiered):
    client = login(cast["alice"])
    before = timezone.now().replace(second=0, microsecond=0)
    response = client.get(NEW_VISIT)
    after = timezone.now()
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["kind"] == "onsite"
    assert form.initial["visitor_role"] == "customer_manager"
    assert before <= form.initial["visited_at"] <= after  # this minute, to the minute
    html = response.content.decode()
    assert tiered["alice"].key_persons.get().name in html
    assert 'name="viewport"' in html


@pytest.mark.django_db
def test_saving_a_visit_returns_to_where_the_user_came_from_with_a_confirmation(login, cast, tiered):
    client = login(cast["alice"])
    when = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        NEW_VISIT,
        {
            "visited_at": when,
            "kind": "phone",
            "visitor_role": "customer_manager",
            "summary": "电话回访",
            "next": "/customers/?tier=B",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/customers/?tier=B"
    assert "Visit to 成都锦程科技有限公司 logged." in [str(m) for m in response.context["messages"]] or any(
        "成都锦程科技有限公司" in str(m) for m in response.context["messages"]
    )
    assert Visit.objects.get().kind == "phone"


@pytest.mark.django_db
def test_a_next_url_elsewhere_is_ignored(login, cast, tiered):
    when = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    response = login(cast["alice"]).post(
        NEW_VISIT, {"visited_at": when, "kind": "onsite", "summary": "拜访", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/customers/CD0001/"


@pytest.mark.django_db
def test_a_visit_in_the_future_is_refused_on_the_page_and_nothing_saved(login, cast, tiered):
    response = login(cast["alice"]).post(
        NEW_VISIT, {"visited_at": "2099-01-01T09:00", "kind": "onsite", "summary": "拜访"}
    )
    assert response.status_code == 400
    assert "visited_at" in response.context["form"].errors
    assert not Visit.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "status"), [("alice", 200), ("bob", 404), ("carol", 404), ("dora", 200), ("gd_paul", 404)]
)
def test_the_visit_form_follows_visibility(login, cast, tiered, who, status):
    assert login(cast[who]).get(NEW_VISIT).status_code == status


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_log_in(client, tiered):
    for url in [
        NEW_VISIT,
        "/visits/due/",
        "/customers/CD0001/team/",
        "/teams/incomplete/",
        "/teams/load/",
        "/teams/reassign/",
    ]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url


@pytest.mark.django_db
def test_only_the_visitor_edits_a_visit_within_seven_days(login, cast, tiered):
    visit = Visit.objects.create(
        customer=tiered["alice"], visitor=cast["alice"], visited_at=timezone.now(), summary="拜访"
    )
    url = f"/visits/{visit.pk}/edit/"
    assert login(cast["alice"]).get(url).status_code == 200
    assert login(cast["dora"]).get(url).status_code == 403
    assert login(cast["bob"]).get(url).status_code == 404
    Visit.objects.update(created_at=timezone.now() - datetime.timedelta(days=8))
    assert login(cast["alice"]).get(url).status_code == 403


@pytest.mark.django_db
def test_editing_a_visit_in_chinese_keeps_its_next_visit_date(login, cast, tiered):
    # a date field shows the ISO date the browser's date picker reads, whatever the language's own date format
    next_visit = timezone.localdate() + datetime.timedelta(days=14)
    visit = Visit.objects.create(
        customer=tiered["alice"],
        visitor=cast["alice"],
        visited_at=timezone.now(),
        summary="拜访",
        next_visit_on=next_visit,
    )
    page = login(cast["alice"]).get(f"/visits/{visit.pk}/edit/").content.decode()
    assert f'name="next_visit_on" value="{next_visit.isoformat()}"' in page


@pytest.mark.django_db
def test_saving_a_visit_changed_meanwhile_on_another_device_shows_both_values(login, api, cast, tiered):
    visit = Visit.objects.create(
        customer=tiered["alice"], visitor=cast["alice"], visited_at=timezone.now(), summary="初次拜访"
    )
    client = login(cast["alice"])
    url = f"/visits/{visit.pk}/edit/"
    form = client.get(url).context["form"]
    data = {name: form[name].value() for name in form.fields if form[name].value() not in (None, [])}
    data["visited_at"] = form["visited_at"].value().strftime("%Y-%m-%dT%H:%M")
    # the same visit changed on the phone meanwhile, through the API
    assert (
        api(cast["alice"])
        .patch(f"/api/v1/visits/{visit.pk}/", {"summary": "手机上改的纪要", "kind": "phone"}, format="json")
        .status_code
        == 200
    )
    data["summary"] = "电脑上改的纪要"
    refused = client.post(url, data)
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "data-conflicts" in page and "alice" in page
    conflicts = [row[1:] for row in refused.context["form"].conflicts]
    # choices by their labels, not their codes; the time, unchanged on a form that shows minutes, is not among them
    kinds = dict(VisitKind.choices)
    assert conflicts == [(kinds["onsite"], kinds["phone"]), ("电脑上改的纪要", "手机上改的纪要")]
    visit.refresh_from_db()
    assert visit.summary == "手机上改的纪要"
    data["version"] = refused.context["form"].data["version"]  # saving again, knowingly
    assert client.post(url, data).status_code == 302
    visit.refresh_from_db()
    assert visit.summary == "电脑上改的纪要"


@pytest.mark.django_db
def test_the_due_list_shrinks_when_a_visit_is_logged(login, cast, tiered):
    client = login(cast["alice"])
    response = client.get("/visits/due/")
    assert [item.customer.code for item in response.context["due"]] == ["CD0001"]
    assert response.context["due"][0].status.needed == 1
    Visit.objects.create(
        customer=tiered["alice"],
        visitor=cast["alice"],
        visitor_role="customer_manager",
        visited_at=timezone.now(),
        summary="拜访",
    )
    assert client.get("/visits/due/").context["due"] == []
    listing = client.get("/customers/")
    assert listing.context["due_count"] == 0


@pytest.mark.django_db
def test_my_customers_shows_the_due_badge_and_a_log_visit_link_per_row(login, cast, tiered):
    response = login(cast["alice"]).get("/customers/")
    assert response.context["due_count"] == 1
    html = response.content.decode()
    assert 'data-testid="row-due"' in html
    assert f'href="{NEW_VISIT}?next=/customers/"' in html


@pytest.mark.django_db
def test_second_manager_duties_are_shown_to_the_second_manager(login, cast, tiered):
    customer = tiered["alice"]
    TeamRoleFactory(customer=customer, user=cast["bob"], role="second_manager")
    client = login(cast["bob"])
    rows = client.get("/visits/due/").context["second_manager_rows"]
    assert [(r.customer.code, r.duties.visited, r.duties.synced) for r in rows] == [("CD0001", False, False)]
    sync = Visit.objects.create(
        customer=customer,
        visitor=cast["alice"],
        visitor_role="customer_manager",
        kind="internal",
        visited_at=timezone.now(),
        summary="月度沟通",
    )
    sync.staff_present.set([cast["bob"]])
    Visit.objects.create(
        customer=customer, visitor=cast["bob"], visitor_role="second_manager", visited_at=timezone.now(), summary="拜访"
    )
    rows = client.get("/visits/due/").context["second_manager_rows"]
    assert [(r.duties.visited, r.duties.synced) for r in rows] == [(True, True)]
    page = login(cast["alice"]).get("/customers/CD0001/")
    assert page.context["second_manager_duties"].synced is True


@pytest.mark.django_db
def test_the_customer_page_shows_team_gaps_and_visits(login, cast, tiered):
    Visit.objects.create(customer=tiered["alice"], visitor=cast["alice"], visited_at=timezone.now(), summary="洽谈专线")
    response = login(cast["alice"]).get("/customers/CD0001/")
    assert response.context["team"].missing == ["service_manager"]
    html = response.content.decode()
    assert "洽谈专线" in html and 'data-testid="team-incomplete"' in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "status"), [("dora", 200), ("paul", 200), ("alice", 403), ("carol", 404), ("gd_paul", 404)]
)
def test_the_team_page_is_for_department_heads_and_hides_outsiders(login, cast, tiered, who, status):
    assert login(cast[who]).get("/customers/CD0001/team/").status_code == status


@pytest.mark.django_db
def test_a_department_head_assigns_a_role_on_the_team_page(login, cast, tiered):
    client = login(cast["dora"])
    data = {"customer_manager": "alice", "service_manager": "bob", "assistants": ""}
    response = client.post("/customers/CD0001/team/", data)
    assert response.status_code == 302
    assert TeamRole.objects.active().get(customer=tiered["alice"], role="service_manager").user == cast["bob"]
    response = client.post("/customers/CD0001/team/", data | {"second_manager": "nobody"})
    assert response.status_code == 400
    assert "nobody" in response.context["form"].errors["second_manager"][0]


@pytest.mark.django_db
def test_incomplete_teams_list_missing_roles_within_the_territory_only(login, cast, tiered, territory):
    response = login(cast["dora"]).get("/teams/incomplete/")
    assert [c.code for c in response.context["page"]] == ["CD0001"]
    counts = {code: n for code, _, n in response.context["role_counts"]}
    assert counts["service_manager"] == 1 and counts["second_manager"] == 0
    assert [c.code for c in login(cast["dora"]).get("/teams/incomplete/?role=second_manager").context["page"]] == []
    # Mianyang's A customer lacks five roles; only provincial staff of Sichuan see it, Guangdong's see nothing
    assert [c.code for c in login(cast["paul"]).get("/teams/incomplete/").context["page"]] == ["CD0001", "MY0001"]
    assert list(login(cast["gd_paul"]).get("/teams/incomplete/").context["page"]) == []
    assert login(cast["alice"]).get("/teams/incomplete/").status_code == 403


@pytest.mark.django_db
def test_manager_load_highlights_managers_above_fifty(login, cast, territory, customers):
    for customer in CustomerFactory.create_batch(51, region=territory["wuhou"]):
        TeamRoleFactory(customer=customer, user=cast["bob"])
    response = login(cast["dora"]).get("/teams/load/")
    loads = {m.username: m.customer_count for m in response.context["page"]}
    assert loads == {"bob": 52, "alice": 1}
    html = response.content.decode()
    assert 'data-username="bob" class="overloaded"' in html
    assert 'href="/customers/?manager=bob"' in html


@pytest.mark.django_db
def test_provincial_staff_sort_managers_by_the_nights_counts_and_a_reassignment_recounts_its_own(
    login, cast, territory, customers
):
    """Issue 19: managers are sorted by the night's counts (teams.ManagerLoad) and the page says as of when; a
    reassignment recounts the managers it touched."""
    from teams import selectors
    from teams.models import ManagerLoad
    from teams.services import manager_loads_snapshot, team_reassign

    def loads(user):
        response = login(user).get("/teams/load/")
        return {m.username: m.customer_count for m in response.context["page"]}, response

    live, response = loads(cast["paul"])
    assert live == {"bob": 1, "alice": 1, "carol": 1}  # carol works in Mianyang
    assert 'data-testid="counts-as-of"' not in response.content.decode()
    assert manager_loads_snapshot() == ManagerLoad.objects.count() >= 3
    for customer in CustomerFactory.create_batch(3, region=territory["wuhou"]):
        TeamRoleFactory(customer=customer, user=cast["bob"])  # after the night: not counted for the province yet
    counted, response = loads(cast["paul"])
    assert counted == {"bob": 1, "alice": 1, "carol": 1}
    assert 'data-testid="counts-as-of"' in response.content.decode()
    assert loads(cast["dora"])[0] == {"bob": 1, "alice": 1}
    assert selectors.manager_load(cast["dora"], live=True).managers.get(username="bob").customer_count == 4
    team_reassign(by=cast["dora"], leaving=cast["bob"], targets=[cast["alice"]], confirm_overload=True)
    assert loads(cast["paul"])[0] == {"alice": 5, "bob": 0, "carol": 1}
    assert loads(cast["dora"])[0] == {"alice": 5, "bob": 0}


@pytest.mark.django_db
def test_the_reassign_page_previews_then_applies(login, cast, tiered):
    client = login(cast["dora"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post("/teams/reassign/", {"leaving": "alice", "targets": "bob", "preview": ""})
    assert response.status_code == 200
    assert len(response.context["plan"].customers) == 1
    assert TeamRole.objects.active().get(customer=tiered["alice"], role="customer_manager").user == cast["alice"]
    response = client.post("/teams/reassign/", {"leaving": "alice", "targets": "bob", "apply": ""})
    assert response.status_code == 302
    assert TeamRole.objects.active().get(customer=tiered["alice"], role="customer_manager").user == cast["bob"]
    response = client.post("/teams/reassign/", {"leaving": "bob", "targets": "carol", "apply": ""})
    assert response.status_code == 400
    assert "outside your region" in response.context["form"].errors["targets"][0]


# the standard page's form for tier B as both standard tests post it
STANDARD_B = {
    "required_roles": ["customer_manager", "service_manager"],
    "period": "month",
    "visits_required": 2,
    "visits_role": "",
    "visits_role_required": 0,
}


@pytest.mark.django_db
def test_provincial_staff_edit_a_service_standard_and_bad_values_are_refused(login, cast, tiered):
    listing = login(cast["dora"]).get("/teams/standards/")
    assert [row.tier for row in listing.context["standards"]] == ["A+", "A", "B", "C"]
    assert login(cast["dora"]).get("/teams/standards/B/").status_code == 403
    client = login(cast["paul"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    data = dict(STANDARD_B)
    assert client.post("/teams/standards/B/", data).status_code == 302
    assert ServiceStandard.objects.get(tier="B").visits_required == 2
    response = client.post("/teams/standards/B/", data | {"visits_role": "second_manager", "visits_role_required": 3})
    assert response.status_code == 400
    assert ServiceStandard.objects.get(tier="B").visits_role == ""
    response = client.post("/teams/standards/B/", data | {"required_roles": ["service_manager"]})
    assert "Every team needs a customer manager." in response.content.decode()


@pytest.mark.django_db
def test_a_service_standard_changed_meanwhile_is_not_saved_over_and_each_change_is_in_the_trail(login, cast, tiered):
    from crm.models import AuditEntry

    client = login(cast["paul"])
    form = client.get("/teams/standards/B/").context["form"]
    data = STANDARD_B | {"version": form["version"].value()}
    assert client.post("/teams/standards/B/", data).status_code == 302
    standard = ServiceStandard.objects.get(tier="B")
    (entry,) = AuditEntry.objects.filter(object_type="teams.servicestandard", object_id=str(standard.pk))
    assert entry.username == "paul" and entry.changes["visits_required"][1] == 2
    # the same page, still open, saved again on the version it was opened on: refused, both values shown
    refused = client.post("/teams/standards/B/", data | {"visits_required": 4})
    assert refused.status_code == 400 and "data-conflicts" in refused.content.decode()
    assert [row[1:] for row in refused.context["form"].conflicts] == [(4, 2)]
    assert ServiceStandard.objects.get(tier="B").visits_required == 2


@pytest.mark.django_db
def test_the_nights_counts_carry_each_managers_region_which_a_recount_follows(login, cast, territory, customers):
    """The load page reads its territory's counts by the managers' region paths (issue 19, point 3): the night
    writes each manager's, and a recount after a move writes the new one."""
    from teams.models import ManagerLoad
    from teams.services import manager_loads_recount, manager_loads_snapshot

    manager_loads_snapshot()
    bob = cast["bob"]
    assert ManagerLoad.objects.get(user=bob).region_path == bob.region.path
    bob.region = territory["mianyang"]
    bob.save()
    manager_loads_recount([bob.pk])
    assert ManagerLoad.objects.get(user=bob).region_path == territory["mianyang"].path
    response = login(cast["paul"]).get("/teams/load/")
    assert {m.username: m.customer_count for m in response.context["page"]} == {"bob": 1, "alice": 1, "carol": 1}
    assert 'data-testid="counts-as-of"' in response.content.decode()
