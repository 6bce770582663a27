"""The one timeline of a customer (issue 17, point 7): every floor's events through
`accounts.hooks.customer_timeline`, merged newest first and paged by `before`, each receiver one query."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from accounts import services as customer_services
from accounts import timeline
from accounts.hooks import TimelineEntry
from teams import timeline as team_timeline
from teams.models import TeamRole
from tests.factories import TeamRoleFactory, TierChangeFactory, VisitFactory
from tiering.extensions import tier_timeline

TIMELINE = "/customers/CD0001/timeline/"
T0 = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)


def at(minutes: int) -> datetime.datetime:
    return T0 + datetime.timedelta(minutes=minutes)


def entry(minutes: int, title: str = "") -> TimelineEntry:
    return TimelineEntry(at=at(minutes), kind="visit", title=title or str(minutes))


# -- the merge, a pure function ---------------------------------------------------------------------------------------


def test_the_merge_is_newest_first_across_receivers():
    page = timeline.merge([[entry(5), entry(1)], [entry(4), entry(2)], []], limit=10)
    assert [e.title for e in page.entries] == ["5", "4", "2", "1"]
    assert page.next_before is None


def test_the_merge_stops_at_the_limit_and_says_where_the_next_page_starts():
    page = timeline.merge([[entry(9), entry(7), entry(5)], [entry(8), entry(6), entry(4)]], limit=3)
    assert [e.title for e in page.entries] == ["9", "8", "7"]
    assert page.next_before == at(7)


def test_a_receiver_that_gave_its_whole_limit_may_hold_more():
    page = timeline.merge([[entry(3), entry(2)], []], limit=2)
    assert len(page.entries) == 2 and page.next_before == at(2)


def test_entries_of_one_moment_are_never_split_across_pages():
    page = timeline.merge([[entry(9), entry(5, "a")], [entry(5, "b"), entry(1)]], limit=2)
    assert [e.title for e in page.entries] == ["9", "a", "b"]
    assert page.next_before == at(5)


# -- the page ---------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_visits_tier_team_and_status_changes_are_merged_newest_first(login, cast, customers):
    customer = customers["alice"]
    VisitFactory(customer=customer, visitor=cast["alice"], visited_at=at(-60 * 24), purpose="需求调研")
    TierChangeFactory(customer=customer, from_tier="C", to_tier="B", changed_at=at(-60 * 48))
    customer_services.customer_update(user=cast["alice"], customer=customer, data={"status": "churned"})
    response = login(cast["alice"]).get(TIMELINE)
    assert response.status_code == 200
    rows = [(e.kind, e.title) for e, _label in response.context["entries"]]
    kinds = [kind for kind, _title in rows]
    assert kinds[:4] == ["status", "team", "visit", "tier"]  # the edit now, the team given today, then older
    assert any("需求调研" in title for _kind, title in rows)
    moments = [e.at for e, _label in response.context["entries"]]
    assert moments == sorted(moments, reverse=True)


@pytest.mark.django_db
def test_before_pages_through_every_visit_once(login, cast, customers):
    customer = customers["alice"]
    TeamRole.objects.filter(customer=customer).update(starts_on=datetime.date(2020, 1, 1))
    for minutes in range(45):
        VisitFactory(customer=customer, visitor=cast["alice"], visited_at=at(minutes), summary=f"第{minutes}次")
    client = login(cast["alice"])
    seen, url = [], TIMELINE
    for _page in range(5):
        response = client.get(url)
        seen += [e.body for e, _label in response.context["entries"] if e.kind == "visit"]
        if not response.context["more"]:
            break
        assert b'data-testid="timeline-more"' in response.content
        url = response.context["more"]
    assert seen == [f"第{minutes}次" for minutes in reversed(range(45))]
    assert len(client.get(TIMELINE).context["entries"]) == timeline.PAGE_SIZE


@pytest.mark.django_db
def test_a_role_given_and_taken_are_both_on_the_timeline(cast, customers):
    customer = customers["alice"]
    TeamRoleFactory(
        customer=customer,
        user=cast["bob"],
        role="service_manager",
        starts_on=datetime.date(2026, 10, 1),
        ends_on=datetime.date(2026, 11, 1),
    )
    TeamRoleFactory(customer=customer, user=cast["carol"], role="assistant", starts_on=datetime.date(2099, 1, 1))
    entries = team_timeline.team_entries(customer=customer, user=cast["alice"], before=None, limit=10)
    titles = [e.title for e in entries]
    assert [e.at.date() for e in entries] == sorted((e.at.date() for e in entries), reverse=True)
    assert sum("bob" in title for title in titles) == 2  # given on 10-01, taken on 11-01
    assert not any("carol" in title for title in titles)  # a role given in the future is not history yet
    before = timezone.make_aware(datetime.datetime(2026, 11, 1, 0, 0))
    older = team_timeline.team_entries(customer=customer, user=cast["alice"], before=before, limit=10)
    assert [e.at.date() for e in older if "bob" in e.title] == [datetime.date(2026, 10, 1)]


@pytest.mark.django_db
def test_each_receiver_is_one_query(cast, customers, django_assert_num_queries):
    customer = customers["alice"]
    for minutes in range(30):
        VisitFactory(customer=customer, visitor=cast["alice"], visited_at=at(minutes))
        TierChangeFactory(customer=customer, changed_at=at(minutes))
    arguments = {"customer": customer, "user": cast["alice"], "before": at(20), "limit": 5}
    for receiver in (team_timeline.visit_entries, team_timeline.team_entries, tier_timeline, timeline.customer_edits):
        with django_assert_num_queries(1):
            assert len(receiver(**arguments)) <= 5


@pytest.mark.django_db
def test_the_page_costs_a_fixed_number_of_queries(login, cast, customers, django_assert_num_queries):
    customer = customers["alice"]
    for minutes in range(60):
        VisitFactory(customer=customer, visitor=cast["alice"], visited_at=at(minutes))
        TierChangeFactory(customer=customer, changed_at=at(minutes))
    client = login(cast["alice"])
    client.get(TIMELINE)
    # session, user, customer; one per receiver here (the customer's edits, tier changes, visits, team) and the
    # campaigns' four (opportunities, their stage moves, calls, plan stage moves); the user comes with their region
    # and unread notifications. However many visits and tier changes the customer has.
    with django_assert_num_queries(11):
        assert client.get(TIMELINE).status_code == 200


@pytest.mark.django_db
def test_a_before_that_is_no_moment_is_a_400(login, cast, customers):
    client = login(cast["alice"])
    assert client.get(TIMELINE, {"before": "yesterday"}).status_code == 400
    assert client.get(TIMELINE, {"before": "2026-11-02T09:00:00"}).status_code == 400  # no offset
    assert client.get(TIMELINE, {"before": "2026-11-02T09:00:00+08:00"}).status_code == 200


@pytest.mark.django_db
def test_the_timeline_is_seen_by_whoever_sees_the_customer(login, cast, customers):
    assert Client().get(TIMELINE)["Location"].startswith("/login/")
    assert login(cast["carol"]).get(TIMELINE).status_code == 404
    assert login(cast["paul"]).get(TIMELINE).status_code == 200
    assert login(cast["dora"]).get(TIMELINE).status_code == 200


@pytest.mark.django_db
def test_the_timeline_is_a_list_not_a_table(login, cast, customers):
    VisitFactory(customer=customers["alice"], visitor=cast["alice"])
    content = login(cast["alice"]).get(TIMELINE).content.decode()
    assert 'data-testid="timeline"' in content and "<table" not in content
    assert 'data-testid="tab-timeline"' in content
