"""No page's form answers hostile input with a server error (SPEC §8.2; "no input, however malformed, produces a
server error"): every page the visibility matrix opens with a 200, as the caller who may use it, is read for its
forms, and each form is sent back (as the test client posts, multipart; each in a transaction rolled back) with
each field it shows given values no person means (far too long, a NUL character, a number past any column, a day
or a month past the calendar's last, a date that does not exist, an option the list does not have), one field at
a time and all at once. The API has the same check from its schema (`test_api_contract`); pages have no schema,
so their forms are found where users find them, in the HTML. What it found when it was written: a NUL in a staff
picker looked up as it came (500 on PostgreSQL), the call desk's last day 9999-12-31 and a month 9999-12 counted
past the calendar's end, a lead's closing note read raw from the request."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest
from django.db import transaction
from django.urls import reverse

from tests import test_visibility_matrix as matrix

pytestmark = pytest.mark.django_db

# Values no person means, by what the field looks like it takes.
LONG = "长" * 5000
HOSTILE = {
    "text": [LONG, "a\x00b", "99999999999999999999999"],
    "number": ["99999999999999999999999", "1e400", "一"],
    "date": ["9999-12-31", "2026-02-30"],
    "datetime-local": ["9999-12-31T23:59", "2026-02-30T25:61"],
    "month": ["9999-12", "2026-13"],
    "select": ["__no_such_option__"],
    "checkbox": ["__no_such_option__"],
    "hidden": [LONG, "99999999999999999999999"],
}
KEPT = {"csrfmiddlewaretoken"}
# Signing out would end the session the rest of the page's forms are sent in; it has tests of its own.
SKIPPED_FORMS = {"/logout/"}
# The forms of every page's top bar and footer (the search, the language), sent from the search page only.
SHARED_FORMS = {"/search/", "/i18n/setlang/"}


class Forms(HTMLParser):
    """The forms of a page: each one's method, action and fields (name → (kind, the value the page gives))."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.forms.append(
                {
                    "method": (attributes.get("method") or "get").lower(),
                    "action": attributes.get("action"),
                    "fields": {},
                }
            )
            return
        if not self.forms:
            return
        fields = self.forms[-1]["fields"]
        name = attributes.get("name")
        if tag == "input" and name:
            kind = (attributes.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                if kind == "submit" and name not in fields:
                    fields[name] = ("submit", attributes.get("value") or "")
                return
            if kind in ("checkbox", "radio") and "checked" not in attributes and name in fields:
                return
            value = attributes.get("value") or ("on" if kind == "checkbox" else "")
            if kind in ("checkbox", "radio") and "checked" not in attributes:
                value = ""
            fields[name] = (kind if kind in HOSTILE or kind == "radio" else "text", value)
        elif tag == "textarea" and name:
            fields[name] = ("text", "")
        elif tag == "select" and name:
            fields[name] = ("select", None)  # its selected option, else its first
            self._select = name
        elif tag == "option" and self._select:
            kind, value = fields[self._select]
            if value is None or "selected" in attributes:
                fields[self._select] = (kind, attributes.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def _variants(fields: dict) -> list[dict]:
    """The form as the page gives it with one field at a time made hostile, then every field at once."""
    plain = {name: value or "" for name, (_kind, value) in fields.items()}
    variants = []
    for name, (kind, _value) in fields.items():
        if name in KEPT or kind == "submit":
            continue
        for bad in HOSTILE.get(kind if kind != "radio" else "select", HOSTILE["text"]):
            variants.append(plain | {name: bad})
    worst = {
        name: (value if name in KEPT or kind == "submit" else HOSTILE.get(kind, HOSTILE["text"])[0])
        for name, (kind, value) in fields.items()
    }
    variants.append(worst)
    return variants


PAGES = [
    pytest.param(name, id=name)
    for name, route in matrix.EXPECTATIONS.items()
    if route.kind == matrix.PAGE
    and route.method == "get"
    and isinstance(route.insider_with_right, matrix.Call)
    and route.insider_with_right.status == 200
    and route.insider_with_right.method is None
]


@pytest.fixture(autouse=True)
def _eager_celery(monkeypatch):
    from crm.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)


@pytest.fixture
def world(territory, cast, customers):
    return matrix.World(territory, cast, customers)


def _signed_in(world, login, name: str):
    """The route's expectations, the caller who may use it (signed in, a 500 answered, not raised) and its URL."""
    route = matrix.EXPECTATIONS[name]
    call = route.insider_with_right
    for needed in route.needs:
        getattr(world, needed)
    client = login(world.cast[call.user])
    client.raise_request_exception = False
    url = reverse(name, kwargs=(call.kwargs or route.kwargs)(world) or None) + route.query
    return route, call, client, url


@pytest.mark.parametrize("name", PAGES)
def test_no_form_of_the_page_answers_hostile_input_with_a_server_error(world, login, name):
    _route, _call, client, url = _signed_in(world, login, name)
    page = client.get(url)
    assert page.status_code == 200, f"GET {url}: {page.status_code}"
    if getattr(page, "streaming", False) or "html" not in page.get("Content-Type", ""):
        return
    parser = Forms()
    parser.feed(page.content.decode())
    failures = []
    for form in parser.forms:
        target = form["action"] or url
        if not target.startswith(("/", "?")) or target in SKIPPED_FORMS:
            continue
        if target in SHARED_FORMS and name != "search:search":
            continue
        if target.startswith("?"):
            target = url.split("?")[0] + target
        for data in _variants(form["fields"]):
            send = client.post if form["method"] == "post" else client.get
            with transaction.atomic():  # rolled back: the next one meets the page's objects as they were
                response = send(target, data)
                if getattr(response, "streaming", False):
                    b"".join(response.streaming_content)
                transaction.set_rollback(True)
            if response.status_code >= 500:
                changed = {key: str(value)[:40] for key, value in data.items() if key not in KEPT}
                failures.append(f"{form['method'].upper()} {target} {changed}: {response.status_code}")
    assert not failures, "\n".join(failures[:10])


# The actions the pages post to from a button or a small form of another page (a lead's close, a plan's move, a
# month's settlement): each field of what the matrix posts given every hostile value, as a browser sends a form
# (url-encoded) and as the test client does (multipart), each in a transaction rolled back so that the next one
# meets the same objects.
POSTED = [LONG, "a\x00b", "99999999999999999999999", "-1", "9999-12-31", "9999-12", "__x__", ""]
ACTIONS = [
    pytest.param(name, id=name)
    for name, route in matrix.EXPECTATIONS.items()
    if route.kind == matrix.PAGE
    and isinstance(route.insider_with_right, matrix.Call)
    and (route.insider_with_right.method or route.method) == "post"
    and (route.insider_with_right.data if route.insider_with_right.data is not None else route.data)
]


@pytest.mark.parametrize("name", ACTIONS)
def test_no_posted_action_answers_hostile_input_with_a_server_error(world, login, name):
    route, call, client, url = _signed_in(world, login, name)
    data = call.data if call.data is not None else route.data
    data = data(world) if callable(data) else data
    files = [value for value in data.values() if hasattr(value, "seek")]  # sent as they are beside the others
    # a form with a file goes multipart only, as a browser sends it
    encodings = (False,) if files else (True, False)
    failures = []
    for field, value in data.items():
        if hasattr(value, "seek"):
            continue
        for bad in POSTED:
            for encoded in encodings:
                sent = data | {field: bad}
                for file in files:
                    file.seek(0)
                with transaction.atomic():
                    if encoded:
                        response = client.post(url, urlencode(sent), content_type="application/x-www-form-urlencoded")
                    else:
                        response = client.post(url, sent)
                    transaction.set_rollback(True)
                if response.status_code >= 500:
                    failures.append(f"POST {url} {field}={bad[:40]!r} ({'form' if encoded else 'multipart'})")
    assert not failures, "\n".join(failures[:10])
