"""The top bar's search: customers by name, code or USCC, key persons by name or mobile, only among what the user
sees (§2), grouped, on every page."""

from __future__ import annotations

import pytest

from accounts.models import Customer
from tests.factories import KeyPersonFactory, make_uscc

SEARCH = "/search/"


@pytest.fixture
def searchable(customers):
    Customer.objects.filter(pk=customers["alice"].pk).update(uscc=make_uscc(4242))
    KeyPersonFactory(customer=customers["alice"], name="张建国", title="信息中心主任", mobile="13912345678")
    KeyPersonFactory(customer=customers["guangzhou"], name="张建华", title="总经理", mobile="13912349999")
    return customers


def _found(response) -> tuple[list[str], list[str]]:
    results = response.context["results"]
    return [c.code for c in results.customers], [p.name for p in results.key_persons]


@pytest.mark.django_db
def test_finds_customers_by_part_of_the_name_the_start_of_the_code_and_the_whole_uscc(login, cast, searchable):
    client = login(cast["hq"])
    assert _found(client.get(SEARCH, {"q": "锦程科"}))[0] == ["CD0001"]
    assert _found(client.get(SEARCH, {"q": "cd00"}))[0] == ["CD0001", "CD0002"]
    assert _found(client.get(SEARCH, {"q": make_uscc(4242).lower()}))[0] == ["CD0001"]


@pytest.mark.django_db
def test_two_characters_match_the_start_of_a_name_three_anywhere_in_it(login, cast, searchable):
    client = login(cast["hq"])
    assert _found(client.get(SEARCH, {"q": "成都"}))[0] == ["CD0001", "CD0002"]
    assert _found(client.get(SEARCH, {"q": "锦程"}))[0] == []  # in the middle: too short to look there
    assert _found(client.get(SEARCH, {"q": "建国"}))[1] == []
    assert _found(client.get(SEARCH, {"q": "张建国"}))[1] == ["张建国"]


@pytest.mark.django_db
def test_finds_key_persons_by_name_and_by_the_start_of_the_mobile_with_the_number_masked(login, cast, searchable):
    client = login(cast["hq"])
    assert sorted(_found(client.get(SEARCH, {"q": "张建"}))[1]) == ["张建华", "张建国"]
    response = client.get(SEARCH, {"q": "1391234"})
    assert sorted(_found(response)[1]) == ["张建华", "张建国"]
    html = response.content.decode()
    assert "139****5678" in html and "13912345678" not in html


@pytest.mark.django_db
def test_finds_only_what_the_user_sees(login, cast, searchable):
    # alice sees the customers on whose team she is; paul his province; nobody else's key persons show.
    assert _found(login(cast["alice"]).get(SEARCH, {"q": "张建"})) == ([], ["张建国"])
    assert _found(login(cast["alice"]).get(SEARCH, {"q": "CD00"}))[0] == ["CD0001"]
    assert _found(login(cast["paul"]).get(SEARCH, {"q": "广州"})) == ([], [])
    assert _found(login(cast["gd_paul"]).get(SEARCH, {"q": "张建"})) == ([], ["张建华"])


@pytest.mark.django_db
def test_the_anonymous_user_is_sent_to_log_in(client, searchable):
    response = client.get(SEARCH, {"q": "锦程"})
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.django_db
def test_a_short_query_asks_for_more_and_a_long_one_is_cut_not_refused(login, cast, searchable):
    client = login(cast["hq"])
    response = client.get(SEARCH, {"q": "锦"})
    assert response.status_code == 200 and _found(response) == ([], [])
    assert "至少" in response.content.decode() or "at least" in response.content.decode()
    assert client.get(SEARCH, {"q": "锦" * 5000}).status_code == 200


@pytest.mark.django_db
def test_the_type_ahead_gets_the_results_alone_and_every_page_has_the_box(login, cast, searchable):
    client = login(cast["alice"])
    fragment = client.get(SEARCH, {"q": "锦程科", "partial": "1"}).content.decode()
    assert "<html" not in fragment and 'data-code="CD0001"' in fragment
    for page in ("/today/", "/customers/", "/customers/CD0001/", "/visits/due/"):
        assert 'data-testid="top-search"' in client.get(page).content.decode(), page


@pytest.mark.django_db
def test_a_search_reads_two_queries_besides_the_session(login, cast, searchable, django_assert_num_queries):
    client = login(cast["hq"])
    client.get(SEARCH, {"q": "张建", "partial": "1"})
    with django_assert_num_queries(4):  # session, user, customers, key persons
        client.get(SEARCH, {"q": "张建", "partial": "1"})
